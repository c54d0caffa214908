"""The case bundle: one self-checking JSON document of a case, for auditors.

A bundle holds every recorded event (each with its link in the hash chain), the chain's
head, the projections as of the export, a hash of each top-level section and one
``bundle_hash`` over all of that. :func:`verify_bundle` needs no database: it recomputes
the chain (:mod:`domain.chain`), every section hash and the bundle hash, and re-derives
the projections from the bundle's own events, so an edited byte is caught and located
(the event version, the section, or the projection field that no longer agrees).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson

from domain.history import Recorded
from projections.audit import verify_chain
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.reading import Reading, read
from projections.timeline import timeline

FORMAT = "teichaku-case-bundle/1"
_HASHED = ("format", "case_id", "exported_at", "exported_by", "on", "events", "head")
_HASHED_PROJECTIONS = ("entitlement", "compliance", "timeline")


def canonical(value: Any) -> bytes:
    """Keys sorted at every level, no whitespace, UTF-8 as is (as in :mod:`domain.chain`)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def derive_projections(records: Sequence[Recorded] | Reading, on: date) -> dict[str, Any]:
    """The projections a bundle carries: everything recorded, evaluated on ``on``
    (one reading: the entitlement is computed once for all three)."""
    reading = read(records, on)
    if reading.as_of is not None:
        reading = reading.at(None)
    return {
        "entitlement": entitlement(reading).as_json(),
        "compliance": compliance(reading).as_json(),
        "timeline": timeline(reading).as_json(),
    }


def build_bundle(
    case_id: UUID,
    records: Sequence[Recorded],
    *,
    exported_at: datetime,
    exported_by: str,
    on: date,
) -> dict[str, Any]:
    """The bundle of a case (``records`` as stored, in recorded order)."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "case_id": str(case_id),
        "exported_at": exported_at.isoformat(),
        "exported_by": exported_by,
        "on": on.isoformat(),
        "events": [r.as_json() for r in records],
        "head": records[-1].hash if records else None,
        "projections": derive_projections(records, on),
    }
    # A JSON round trip first, so the hashes are of exactly what a reader will load.
    body = orjson.loads(canonical(body))
    body["section_hashes"] = _section_hashes(body)
    body["bundle_hash"] = sha256_of(body)
    return body


def _section_hashes(body: Mapping[str, Any]) -> dict[str, str]:
    hashes = {key: sha256_of(body.get(key)) for key in _HASHED}
    projections = body.get("projections") or {}
    for key in _HASHED_PROJECTIONS:
        hashes[f"projections.{key}"] = sha256_of(projections.get(key))
    return hashes


@dataclass(frozen=True, slots=True)
class BundleReport:
    """``problems``: ``{location, problem, text_ja}``; ``ok`` when there are none."""

    case_id: str | None
    head: str | None
    problems: tuple[dict[str, Any], ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "case_id": self.case_id,
            "head": self.head,
            "problems": list(self.problems),
        }


def _problem(location: str, problem: str, text_ja: str) -> dict[str, Any]:
    return {"location": location, "problem": problem, "text_ja": text_ja}


def verify_bundle_bytes(raw: bytes) -> BundleReport:
    """Verify a bundle file's bytes (an unreadable file is reported, with its position)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        text = f"ファイルが JSON として読めません({where}、書き換えられた可能性があります)"
        return BundleReport(None, None, (_problem(where, "unreadable", text),))
    if not isinstance(data, dict):
        return BundleReport(
            None, None, (_problem("$", "unreadable", "バンドルの形式ではありません"),)
        )
    return verify_bundle(data)


def verify_bundle(data: Mapping[str, Any]) -> BundleReport:
    """Check a loaded bundle: format, hashes, hash chain, and the projections it carries."""
    problems = _format_problems(data) + _hash_problems(data)
    records, decode = _records(data)
    problems += decode
    if records is not None:
        problems += _chain_problems(data, records)
        problems += _projection_problems(data, records)
    head = data.get("head")
    return BundleReport(
        str(data.get("case_id")), head if isinstance(head, str) else None, tuple(problems)
    )


def _format_problems(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    if data.get("format") == FORMAT:
        return []
    text = f"形式が {FORMAT} ではありません"
    return [_problem("format", "format", text)]


def _hash_problems(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    body = {k: v for k, v in data.items() if k != "bundle_hash"}
    if sha256_of(body) != data.get("bundle_hash"):
        text = "バンドル全体のハッシュが一致しません(出力後に書き換えられています)"
        found.append(_problem("bundle_hash", "bundle_hash_mismatch", text))
    stored = data.get("section_hashes")
    if not isinstance(stored, dict):
        return [*found, _problem("section_hashes", "missing", "項目ごとのハッシュがありません")]
    for location, digest in _section_hashes(data).items():
        if stored.get(location) != digest:
            text = f"「{location}」の内容がハッシュと一致しません(この項目が書き換えられています)"
            found.append(_problem(location, "section_hash_mismatch", text))
    return found


def _records(data: Mapping[str, Any]) -> tuple[list[Recorded] | None, list[dict[str, Any]]]:
    events = data.get("events")
    if not isinstance(events, list):
        return None, [_problem("events", "unreadable", "記録(events)がありません")]
    records: list[Recorded] = []
    for i, item in enumerate(events):
        try:
            records.append(Recorded.from_json(item))
        except (KeyError, TypeError, ValueError):
            text = f"{i + 1}件目の記録が読み取れません"
            return None, [_problem(f"events[{i}]", "unreadable", text)]
    return records, []


def _chain_problems(data: Mapping[str, Any], records: list[Recorded]) -> list[dict[str, Any]]:
    found = [
        _problem(f"events[version={b['version']}]", str(b["problem"]), str(b["text_ja"]))
        for b in verify_chain(records).breaks
    ]
    for rec in records:
        if str(rec.case_id) != str(data.get("case_id")):
            text = f"第{rec.version}版の記録が別のケースのものです"
            found.append(_problem(f"events[version={rec.version}]", "foreign_event", text))
    head = records[-1].hash if records else None
    if data.get("head") != head:
        text = "head が最後の記録のハッシュと一致しません"
        found.append(_problem("head", "head_mismatch", text))
    return found


def _projection_problems(data: Mapping[str, Any], records: list[Recorded]) -> list[dict[str, Any]]:
    try:
        on = date.fromisoformat(str(data.get("on")))
        # Records read from the bundle carry no typed payloads: every payload is read
        # from the bundle's own bytes, so an altered one is derived as altered.
        derived = orjson.loads(canonical(derive_projections(records, on)))
    except Exception:  # a bundle whose events no longer read as a case: say so, don't crash
        text = "記録から受給状態などを再計算できません(記録が書き換えられています)"
        return [_problem("projections", "not_derivable", text)]
    given = data.get("projections")
    if not isinstance(given, dict):
        return [_problem("projections", "missing", "projections がありません")]
    return [
        _problem(path, "projection_mismatch", f"「{path}」が記録から再計算した値と一致しません")
        for path in _differences("projections", given, derived)
    ]


def _differences(path: str, given: Any, derived: Any, limit: int = 20) -> list[str]:
    """JSON paths where ``given`` and ``derived`` differ (the first ``limit`` of them)."""
    if isinstance(given, dict) and isinstance(derived, dict):
        out: list[str] = []
        for key in sorted(set(given) | set(derived)):
            out += _differences(f"{path}.{key}", given.get(key), derived.get(key), limit)
        return out[:limit]
    if isinstance(given, list) and isinstance(derived, list) and len(given) == len(derived):
        out = []
        for i, (a, b) in enumerate(zip(given, derived, strict=True)):
            out += _differences(f"{path}[{i}]", a, b, limit)
        return out[:limit]
    return [] if given == derived else [path]
