"""The office's month (FEE-1..10 summed) and the comparison of two versions (VER-3).

Pure: given each person's :class:`projections.claim.PersonMonth` (and what identifies the
person), the totals by rule and the office total; given the same months under two
versions, what changed, per person and in total, and why (the schedule values that
differ, :func:`domain.rules.schedule.compare_entries`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.rules.schedule import Version, compare_entries
from projections.claim import PersonMonth


@dataclass(frozen=True)
class PersonClaim:
    """One person's month with who they are (personal fields: for authorised readers only)."""

    case_id: str
    person: Mapping[str, Any]
    month: PersonMonth

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "name": self.person.get("name"),
            "recipient_number": self.person.get("recipient_number"),
            "municipality_code": self.person.get("municipality_code"),
            **self.month.as_json(),
        }


def totals(people: Sequence[PersonClaim]) -> dict[str, Any]:
    """The office total: units (``None`` while any person's is undecided), yen, by rule."""
    by_rule: dict[str, int] = {}
    for p in people:
        for ln in p.month.lines:
            if ln.units:
                by_rule[ln.rule] = by_rule.get(ln.rule, 0) + ln.units
    undecided = [p.case_id for p in people if p.month.units is None]
    units = sum(p.month.units or 0 for p in people)
    priced = [p.month.yen for p in people if p.month.yen is not None]
    verdicts: dict[str, int] = {}
    for p in people:
        verdicts[p.month.verdict] = verdicts.get(p.month.verdict, 0) + 1
    return {
        "persons": len(people),
        "verdicts": verdicts,
        "units": None if undecided else units,
        "units_known": units,
        "undecided_cases": undecided,
        "by_rule": dict(sorted(by_rule.items(), key=lambda kv: _rule_order(kv[0]))),
        "yen": sum(priced) if priced and len(priced) == len(people) else None,
        "user_burden_yen": _burden_total(people),
    }


def _burden_total(people: Sequence[PersonClaim]) -> int | None:
    amounts = [p.month.burden.get("yen") if p.month.burden else None for p in people]
    return None if not amounts or any(a is None for a in amounts) else sum(a or 0 for a in amounts)


def _rule_order(rule: str) -> int:
    try:
        return int(rule.split("-")[1])
    except (IndexError, ValueError):
        return 99


@dataclass(frozen=True)
class Side:
    """One person's months under one version."""

    months: Sequence[PersonMonth]

    @property
    def units(self) -> int | None:
        if any(m.units is None for m in self.months):
            return None
        return sum(m.units or 0 for m in self.months)


def compare(
    people: Sequence[tuple[str, Mapping[str, Any], Side, Side]], a: Version | None, b: Version
) -> dict[str, Any]:
    """VER-3: per person and in total, the units under the version in force (``a``; per
    month, ``None`` = each month's own) and under ``b``, with the lines that differ."""
    rows = []
    for case_id, person, current, other in people:
        changed = []
        for m1, m2 in zip(current.months, other.months, strict=True):
            lines1 = {(ln.rule, ln.title_ja): ln.units for ln in m1.lines}
            lines2 = {(ln.rule, ln.title_ja): ln.units for ln in m2.lines}
            for key in sorted(set(lines1) | set(lines2)):
                if lines1.get(key) != lines2.get(key):
                    changed.append({"month": m1.month, "rule": key[0], "title_ja": key[1],
                                    "from": lines1.get(key), "to": lines2.get(key)})  # fmt: skip
        u1, u2 = current.units, other.units
        rows.append({
            "case_id": case_id, "name": person.get("name"),
            "recipient_number": person.get("recipient_number"),
            "units_in_force": u1, "units_other": u2,
            "difference": None if u1 is None or u2 is None else u2 - u1,
            "changed_lines": changed,
        })  # fmt: skip
    known = [r for r in rows if r["difference"] is not None]
    in_force_versions = sorted({m.version.name for _, _, s, _ in people for m in s.months
                                if m.version is not None})  # fmt: skip
    return {
        "other_version": b.as_json(),
        "versions_in_force": in_force_versions,
        "schedule_changes": compare_entries(a, b) if a is not None else [],
        "people": rows,
        "total": {
            "units_in_force": sum(r["units_in_force"] or 0 for r in known),
            "units_other": sum(r["units_other"] or 0 for r in known),
            "difference": sum(r["difference"] for r in known),
            "undecided_cases": [r["case_id"] for r in rows if r["difference"] is None],
        },
    }
