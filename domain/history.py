"""A case's history as recorded, and as it reads at a given instant.

:class:`Recorded` is one stored event, exactly as written (never altered).
:func:`read_history` is the single fold that turns recorded events into the facts
known at an instant ``as_of``: corrections replace their target's payload from the
moment the correction was recorded, retractions remove their target from that moment.
The aggregate's invariants and every projection read the case through this one fold.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from domain.payloads import (
    AMENDMENT_TYPES,
    EFFECTIVE_DATE_FIELD,
    PAYLOADS,
    Payload,
)

TOKYO = timezone(timedelta(hours=9), "Asia/Tokyo")

#: Order of event types recorded for the same effective day: the opening first, the end
#: of support last. Hires and resignations of one day keep their recorded order, so
#: "left the old job and started the new one the same day" and "a one-day job" both read
#: as they were entered.
_SAME_DAY_ORDER = {"case_opened": 0, "hired": 1, "resigned": 1, "support_ended": 9}


def tokyo_date(instant: datetime) -> date:
    """The calendar day in Japan of an instant (how staff and municipalities count days)."""
    return instant.astimezone(TOKYO).date()


@dataclass(frozen=True, slots=True)
class Recorded:
    """One stored event of a case, as recorded; immutable.

    ``payload`` is the payload as read: its personal values opened with the person's key,
    or :data:`~domain.payloads.ERASED` once the key is destroyed (:mod:`domain.sealing`).
    ``stored_payload`` is the stored form when it differs (sealed values): that is what
    the hash chain covers (:attr:`hashed_payload`); ``openings`` are the salts of the
    opened values, so an export can be checked against it without the key.

    ``typed`` is the typed form of the payload this record puts into the history (its own
    payload; for a correction, its replacement; ``None`` for a retraction), when it is
    known already: a record just written carries the payload it was validated as
    (:meth:`with_typed`). A record read from the store has none until a fact of it types
    the payload, when first read (:class:`Fact`, decision 0056), and keeps it here. It is
    not compared, and ``replace`` never carries it over to a changed record.
    """

    case_id: UUID
    version: int
    type: str
    payload: Mapping[str, Any]
    recorded_at: datetime
    recorded_by: str
    hash: str
    previous_hash: str
    stored_payload: Mapping[str, Any] | None = field(default=None, repr=False)
    openings: Mapping[str, str] | None = field(default=None, compare=False, repr=False)
    typed: Payload | None = field(default=None, init=False, compare=False, repr=False)
    _recorded_at_text: str | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def recorded_at_text(self) -> str:
        """``recorded_at`` in ISO 8601, formatted once per record (every read shows it)."""
        text = self._recorded_at_text
        if text is None:
            text = self.recorded_at.isoformat()
            object.__setattr__(self, "_recorded_at_text", text)
        return text

    @property
    def hashed_payload(self) -> Mapping[str, Any]:
        """The payload as stored, which the hash chain covers."""
        return self.payload if self.stored_payload is None else self.stored_payload

    @property
    def effective_on(self) -> date:
        """The day the fact happened (for amendments: the Japanese day it was recorded)."""
        name = EFFECTIVE_DATE_FIELD.get(self.type)
        if name is None:
            return tokyo_date(self.recorded_at)
        return date.fromisoformat(str(self.payload[name]))

    def public_json(self) -> dict[str, Any]:
        """The event as ``GET /cases/{id}/events`` shows it (spec/api.md)."""
        return {
            "version": self.version,
            "type": self.type,
            "recorded_at": self.recorded_at_text,
            "recorded_by": self.recorded_by,
            "payload": dict(self.payload),
        }

    def as_json(self) -> dict[str, Any]:
        """The JSON form used by exports: the public form plus the case id and chain links.

        A record with sealed values also carries its ``stored_payload`` (what the chain
        hashes) and the ``openings`` that tie the shown values to it.
        """
        out = {
            "case_id": str(self.case_id),
            **self.public_json(),
            "hash": self.hash,
            "previous_hash": self.previous_hash,
        }
        if self.stored_payload is not None:
            out["stored_payload"] = dict(self.stored_payload)
            out["openings"] = dict(self.openings or {})
        return out

    def with_typed(self, typed: Payload | None) -> Recorded:
        """The same record carrying ``typed`` (see the class docstring)."""
        copy = replace(self)
        object.__setattr__(copy, "typed", typed)
        return copy

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recorded:
        case_id = data["case_id"]
        return cls(
            case_id=case_id if isinstance(case_id, UUID) else UUID(str(case_id)),
            version=int(data["version"]),
            type=str(data["type"]),
            payload=data["payload"],
            recorded_at=datetime.fromisoformat(str(data["recorded_at"])),
            recorded_by=str(data["recorded_by"]),
            hash=str(data["hash"]),
            previous_hash=str(data["previous_hash"]),
            stored_payload=data.get("stored_payload"),
            openings=data.get("openings"),
        )


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact of the case as read at an instant: the corrected payload, typed.

    ``sources`` are the versions it came from: the original event, then every
    correction applied to it, in recorded order.

    The typed :attr:`payload` is read from the stored JSON when it is first asked for,
    and kept: a fold that only looks at some types (an entitlement, a list ``as_of``)
    never validates the others' payloads (issue 24: a case loaded cold typed every one
    of its ~200 payloads, ~40 % of the load). ``effective_on`` is read from the stored
    day itself (:func:`fact_of`), so the order of facts needs no typing.
    """

    version: int
    type: str
    effective_on: date
    recorded: Recorded
    corrections: tuple[Recorded, ...] = ()
    _typed: Payload | None = field(default=None, compare=False, repr=False)

    @property
    def payload(self) -> Payload:
        """The payload as corrected, typed (validated once, on first read)."""
        typed = self._typed
        if typed is None:
            last = self.corrections[-1] if self.corrections else None
            source = self.recorded.payload if last is None else last.payload["replacement"]
            typed = parse_payload(self.type, source)
            object.__setattr__(self, "_typed", typed)  # the same value whoever sets it
            # Kept on the record that states it too, so another history of the same record
            # (the next fold of a cached case) does not type it again (issue 24).
            holder = self.recorded if last is None else last
            if holder.typed is None:
                object.__setattr__(holder, "typed", typed)
        return typed

    @property
    def sources(self) -> tuple[int, ...]:
        return (self.version, *(c.version for c in self.corrections))

    @property
    def original(self) -> Payload:
        """The payload as first recorded, before any correction."""
        if self.recorded.typed is not None:
            return self.recorded.typed
        if not self.corrections:
            return self.payload
        return parse_payload(self.type, self.recorded.payload)


@dataclass(frozen=True, slots=True)
class History:
    """A case read at ``as_of``: its facts in effective order, and what was amended.

    ``answers`` keeps what read models derived from this history (see
    :class:`projections.reading.Reading`): a history never changes, so an answer derived
    from it holds as long as it is read; the aggregate's history as known now is shared
    by every read until the next event, which makes a new one.
    """

    as_of: datetime | None
    recorded: tuple[Recorded, ...]
    facts: tuple[Fact, ...]
    retracted: Mapping[int, Recorded] = field(default_factory=dict)
    answers: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def of_type(self, *types: str) -> list[Fact]:
        return [f for f in self.facts if f.type in types]

    def opened(self) -> Fact | None:
        found = self.of_type("case_opened")
        return found[0] if found else None


def parse_payload(event_type: str, payload: Mapping[str, Any]) -> Payload:
    """Re-read a stored (already validated) payload as its typed model.

    Personal fields of a stored payload may read :data:`~domain.payloads.ERASED`.
    """
    return PAYLOADS[event_type].model_validate(payload, context=_STORED)


_STORED = {"stored": True}


def fact_order(fact: Fact) -> tuple[date, int, int]:
    """The order of facts in a history: effective day, same-day order, version."""
    return (fact.effective_on, _SAME_DAY_ORDER.get(fact.type, 5), fact.version)


def fact_of(rec: Recorded, corrections: tuple[Recorded, ...] = ()) -> Fact:
    """The fact a recorded event states, with its corrections (recorded order) applied.

    Its payload is typed when first read (:class:`Fact`), unless a record already
    carries it typed (:attr:`Recorded.typed`).
    """
    name = EFFECTIVE_DATE_FIELD[rec.type]
    if corrections:
        typed = corrections[-1].typed
        if typed is not None and not isinstance(typed, PAYLOADS[rec.type]):
            typed = None
        source = corrections[-1].payload["replacement"]
    else:
        typed, source = rec.typed, rec.payload
    if typed is None:
        effective = _stored_day(source.get(name))
        if effective is None:  # not the stored day's own form: as the typed payload reads it
            typed = parse_payload(rec.type, source)
    if typed is not None:
        effective = getattr(typed, name)
    assert effective is not None
    return Fact(rec.version, rec.type, effective, rec, corrections, typed)


def _stored_day(value: Any) -> date | None:
    """A stored payload's day (``YYYY-MM-DD``, as every payload stores its days), else None."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def known_at(records: Iterable[Recorded], as_of: datetime | None) -> list[Recorded]:
    """The events recorded at or before ``as_of`` (all of them when ``as_of`` is None)."""
    if as_of is None:
        return list(records)
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a UTC offset")
    return [r for r in records if r.recorded_at <= as_of]


def read_history(records: Sequence[Recorded], as_of: datetime | None = None) -> History:
    """Fold recorded events into the facts known at ``as_of`` (see module docstring)."""
    known = known_at(records, as_of)
    corrections: dict[int, list[Recorded]] = {}
    retracted: dict[int, Recorded] = {}
    for rec in known:
        if rec.type == "event_corrected":
            corrections.setdefault(int(rec.payload["target_version"]), []).append(rec)
        elif rec.type == "event_retracted":
            retracted[int(rec.payload["target_version"])] = rec
    facts = [
        fact_of(rec, tuple(corrections.get(rec.version, ())))
        for rec in known
        if rec.type not in AMENDMENT_TYPES and rec.version not in retracted
    ]
    facts.sort(key=fact_order)
    return History(as_of, tuple(known), tuple(facts), retracted)


def utc_now() -> datetime:
    """The default clock: an aware UTC instant (tests inject their own clock)."""
    return datetime.now(UTC)
