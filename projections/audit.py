"""The audit trail of a case and the check of its hash chain (domain/chain.py).

:func:`verify_chain` recomputes every event's hash from its stored content and checks
each link, so a stored history that was altered, thinned out or shuffled after the fact
is caught and located:

- ``altered``: the content no longer gives the stored hash (edited after recording), or a
  shown personal value is not the one sealed in the stored form (its commitment, checked
  with the value's salt from ``openings``; :func:`domain.sealing.check_openings`);
- ``missing``: a version number is absent (a row was removed);
- ``reordered``: a record is not where its version puts it in the given order;
- ``broken_link``: a record's ``previous_hash`` is not the hash of the record before it
  (e.g. an edited row whose own hash was recomputed to hide the edit).

Removing the *last* records leaves no gap to find: only comparing ``head`` with a head
noted earlier (an export, a printed audit) shows that, which is why ``head`` is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.chain import GENESIS, event_hash
from domain.history import Recorded, known_at
from domain.sealing import check_openings

_TEXT_JA = {
    "altered": (
        "第{v}版の記録内容が記録時のハッシュと一致しません(記録後に書き換えられた可能性があります)"
    ),
    "missing": "第{v}版の記録が見つかりません(削除された可能性があります)",
    "reordered": "第{v}版の記録が版番号の順に並んでいません(並べ替えられた可能性があります)",
    "broken_link": "第{v}版の記録が直前の版のハッシュを指していません(連鎖が切れています)",
}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking a chain: ``breaks`` are ``{version, problem, text_ja}``."""

    verified: bool
    head: str | None
    breaks: list[dict[str, Any]]
    #: versions of given records that fail their own hash, their link, or their place.
    invalid: frozenset[int] = field(default_factory=frozenset)

    def as_json(self) -> dict[str, Any]:
        return {"verified": self.verified, "head": self.head, "breaks": list(self.breaks)}


def recomputed_hash(rec: Recorded) -> str:
    """The hash the record's content gives now (equal to ``rec.hash`` when untouched)."""
    return event_hash(
        case_id=rec.case_id,
        version=rec.version,
        type=rec.type,
        payload=dict(rec.hashed_payload),
        recorded_at=rec.recorded_at,
        recorded_by=rec.recorded_by,
        previous_hash=rec.previous_hash,
    )


def _shows_what_is_stored(rec: Recorded) -> bool:
    """The shown payload is the stored one, its sealed values opened (or erased)."""
    if rec.stored_payload is None:
        return True
    return not check_openings(rec.stored_payload, rec.payload, rec.openings or {})


def _break(version: int, problem: str) -> dict[str, Any]:
    return {"version": version, "problem": problem, "text_ja": _TEXT_JA[problem].format(v=version)}


def verify_chain(records: Sequence[Recorded]) -> ChainReport:
    """Check every record's hash and link; locate each break by version."""
    found: list[tuple[int, int, dict[str, Any]]] = []  # (version, order, break) for sorting
    invalid: set[int] = set()
    by_version = sorted(records, key=lambda r: r.version)
    for given, expected in zip(records, by_version, strict=True):
        if given.version != expected.version:
            found.append((given.version, 2, _break(given.version, "reordered")))
            invalid.add(given.version)
    previous: Recorded | None = None
    for rec in by_version:
        if recomputed_hash(rec) != rec.hash or not _shows_what_is_stored(rec):
            found.append((rec.version, 0, _break(rec.version, "altered")))
            invalid.add(rec.version)
        expected_version = previous.version + 1 if previous else 1
        for gone in range(expected_version, rec.version):
            found.append((gone, 1, _break(gone, "missing")))
        if rec.version != expected_version:
            invalid.add(rec.version)  # its predecessor is gone: its link cannot be checked
        elif rec.previous_hash != (previous.hash if previous else GENESIS):
            found.append((rec.version, 3, _break(rec.version, "broken_link")))
            invalid.add(rec.version)
        previous = rec
    breaks = [b for _, _, b in sorted(found, key=lambda t: (t[0], t[1]))]
    head = by_version[-1].hash if by_version else None
    return ChainReport(not breaks, head, breaks, frozenset(invalid))


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """The events known at ``as_of`` in recorded order, with the chain check of all given."""

    events: tuple[Recorded, ...]
    report: ChainReport

    @property
    def head(self) -> str | None:
        """The hash of the last event shown (the chain's head as of ``as_of``)."""
        return self.events[-1].hash if self.events else None

    def as_json(self) -> dict[str, Any]:
        return {
            "events": [_event_json(r, r.version not in self.report.invalid) for r in self.events],
            "verified": self.report.verified,
            "head": self.head,
            "breaks": list(self.report.breaks),
        }


def _event_json(rec: Recorded, valid: bool) -> dict[str, Any]:
    return {
        **rec.public_json(),
        "hash": rec.hash,
        "previous_hash": rec.previous_hash,
        "valid": valid,
    }


def audit_trail(records: Sequence[Recorded], as_of: datetime | None = None) -> AuditTrail:
    """The audit trail: events recorded at or before ``as_of``; the chain check over all given.

    The check always covers everything given, so a break recorded after ``as_of`` (or a
    tampered row) is never hidden by asking about an earlier instant.
    """
    return AuditTrail(tuple(known_at(records, as_of)), verify_chain(records))
