"""The dispute report: what was true on a day, beside what the system showed then.

``now`` reads every event recorded so far (all corrections applied: ``as_of=None``);
``then`` reads only what had been recorded at the instant ``as_of`` — what a staff
member or the municipality saw at that moment. Both are evaluated on the same day
``on``, for the entitlement and the compliance of the month of ``on``. Each difference
names the events recorded after ``as_of`` that explain it (corrections, retractions,
or facts recorded late), so the report answers "why did it say X then and Y now?".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.history import Recorded
from domain.payloads import AMENDMENT_TYPES, TYPE_LABEL_JA
from projections.compliance import Compliance, compliance
from projections.entitlement import Derived, Entitlement, entitlement
from projections.reading import Reading, read

#: The derived dates of the entitlement, with their Japanese names.
DATE_FIELDS_JA = {
    "base_date": "起算日",
    "eligible_from": "支援の対象となる日",
    "last_eligible_day": "支援の対象となる最終日",
    "job_change_deadline": "転職の期限",
    "renewal_due_by": "支給決定の更新期限",
    "support_end": "請求できる最終日",
    "contract_from": "契約上の支援開始日",
}
STATUS_LABEL_JA = {
    "not_employed": "就職前(対象外)",
    "waiting": "就職後6か月の経過待ち",
    "eligible_no_decision": "対象だが支給決定なし",
    "in_support": "支援中",
    "job_change_grace": "転職の猶予期間中",
    "ended": "支援終了",
    "expired": "期間満了",
}
OTHER_FIELDS_JA = {
    "status": "状態",
    "job_change_used": "転職の特例の使用",
    "decisions": "支給決定",
    "billable": "請求可否",
    "face_to_face": "対面支援の回数",
    "employer_contacts": "事業主との連絡の回数",
    "report_shared": "支援レポートの共有",
    "reasons": "請求できない理由",
    "review_due_by": "計画の見直し期限",
    "overdue": "計画の見直しの遅れ",
    "consent_violations": "同意に関する違反",
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One field that reads differently now than it did at ``as_of``."""

    section: str
    field: str
    label_ja: str
    then: Any
    now: Any
    explained_by: tuple[Recorded, ...]

    def as_json(self) -> dict[str, Any]:
        versions = "、".join(f"第{r.version}版" for r in self.explained_by) or "なし"
        text = (
            f"{self.label_ja}は当時「{show_value(self.then)}」と表示されましたが、"
            f"現在の記録では「{show_value(self.now)}」です(その後の記録: {versions})"
        )
        return {
            "section": self.section,
            "field": self.field,
            "label_ja": self.label_ja,
            "then": self.then,
            "now": self.now,
            "explained_by": [_event_json(r) for r in self.explained_by],
            "text_ja": text,
        }


@dataclass(frozen=True, slots=True)
class Dispute:
    """The two readings side by side, their differences, and what was recorded since."""

    on: dt.date
    as_of: dt.datetime
    then_entitlement: Entitlement
    now_entitlement: Entitlement
    then_compliance: Compliance
    now_compliance: Compliance
    differences: tuple[Difference, ...]
    recorded_since: tuple[Recorded, ...]

    @property
    def month(self) -> str:
        return self.on.strftime("%Y-%m")

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "as_of": self.as_of.isoformat(),
            "month": self.month,
            "dates": [self._date_row(name) for name in DATE_FIELDS_JA],
            "then": _side(self.then_entitlement, self.then_compliance),
            "now": _side(self.now_entitlement, self.now_compliance),
            "differences": [d.as_json() for d in self.differences],
            "recorded_since": [_event_json(r) for r in self.recorded_since],
            "summary_ja": self.summary_ja,
        }

    @property
    def summary_ja(self) -> str:
        at = self.as_of.isoformat(timespec="minutes")
        if not self.differences:
            return f"{self.on.isoformat()}時点の内容は、{at}の表示と現在の記録とで違いはありません"
        return (
            f"{self.on.isoformat()}時点の内容は、{at}の表示と現在の記録とで"
            f"{len(self.differences)}項目が異なります"
        )

    def _date_row(self, name: str) -> dict[str, Any]:
        then: Derived | None = getattr(self.then_entitlement, name)
        now: Derived | None = getattr(self.now_entitlement, name)
        return {
            "field": name,
            "label_ja": DATE_FIELDS_JA[name],
            "then": _derived_json(then),
            "now": _derived_json(now),
            "differs": _day(then) != _day(now),
        }


def dispute(
    records: Sequence[Recorded] | Reading,
    on: dt.date | None = None,
    as_of: dt.datetime | None = None,
) -> Dispute:
    """The dispute report of a case for the day ``on``, as shown at ``as_of`` versus now.

    ``records`` may be the request's :class:`~projections.reading.Reading` (as of the
    disputed instant): the two readings, then and now, are each folded once.
    """
    then = read(records, on, as_of)
    if then.as_of is None:
        raise ValueError("a dispute compares what was known at an instant (as_of) with now")
    now = then.at(None)
    on, as_of = then.on, then.as_of
    month = on.strftime("%Y-%m")
    then_ent, now_ent = entitlement(then), entitlement(now)
    then_comp = compliance(then, from_month=month, to_month=month)
    now_comp = compliance(now, from_month=month, to_month=month)
    since = tuple(r for r in now.records if r.recorded_at > as_of)
    pairs = _entitlement_pairs(then_ent, now_ent) + _compliance_pairs(then_comp, now_comp)
    differences = tuple(
        Difference(section, name, _label(name), a, b, _explaining(since, events))
        for section, name, a, b, events in pairs
        if a != b
    )
    return Dispute(on, as_of, then_ent, now_ent, then_comp, now_comp, differences, since)


_Pair = tuple[str, str, Any, Any, set[int]]


def _entitlement_pairs(then: Entitlement, now: Entitlement) -> list[_Pair]:
    pairs: list[_Pair] = []
    for name in DATE_FIELDS_JA:
        a, b = getattr(then, name), getattr(now, name)
        pairs.append(("entitlement", name, _day(a), _day(b), _events(a) | _events(b)))
    status_events = set(then.status_explanation.events) | set(now.status_explanation.events)
    pairs.append(("entitlement", "status", then.status, now.status, status_events))
    used = then.job_change_used, now.job_change_used
    pairs.append(("entitlement", "job_change_used", *used, _all_events(then, now)))
    decisions = _decisions(then), _decisions(now)
    sources = {v for d in (*then.decisions, *now.decisions) for v in d.sources}
    pairs.append(("entitlement", "decisions", *decisions, sources))
    return pairs


def _compliance_pairs(then: Compliance, now: Compliance) -> list[_Pair]:
    pairs: list[_Pair] = []
    a = then.months[0].as_json() if then.months else {}
    b = now.months[0].as_json() if now.months else {}
    events = _json_events(a) | _json_events(b)
    for name in ("billable", "face_to_face", "employer_contacts", "report_shared"):
        pairs.append(("compliance", name, a.get(name), b.get(name), events))
    rules = [sorted(r["rule"] for r in side.get("reasons", [])) for side in (a, b)]
    pairs.append(("compliance", "reasons", rules[0], rules[1], events))
    plan = then.plan.as_json(), now.plan.as_json()
    plan_events = set(then.plan.explanation.events) | set(now.plan.explanation.events)
    for name in ("review_due_by", "overdue"):
        pairs.append(("compliance", name, plan[0][name], plan[1][name], plan_events))
    counts = len(then.consent_violations), len(now.consent_violations)
    violations = [v.as_json() for v in (*then.consent_violations, *now.consent_violations)]
    pairs.append(("compliance", "consent_violations", *counts, _json_events(violations)))
    return pairs


def _explaining(since: Sequence[Recorded], events: set[int]) -> tuple[Recorded, ...]:
    """Events recorded after ``as_of`` that the differing field came from or amended.

    When none can be tied to the field (a fact that disappeared leaves no source behind
    on one side), every amendment recorded since is listed: one of them is the cause.
    """
    tied = tuple(r for r in since if r.version in events or _target(r) in events)
    if tied:
        return tied
    return tuple(r for r in since if r.type in AMENDMENT_TYPES)


def _target(rec: Recorded) -> int | None:
    if rec.type not in AMENDMENT_TYPES:
        return None
    return int(rec.payload["target_version"])


def _day(derived: Derived | None) -> str | None:
    return derived.date.isoformat() if derived is not None else None


def _events(derived: Derived | None) -> set[int]:
    return set(derived.explanation.events) if derived is not None else set()


def _all_events(*sides: Entitlement) -> set[int]:
    return {v for side in sides for e in side.explanation for v in e.events}


def _decisions(ent: Entitlement) -> list[str]:
    """Each decision's period, with the rule ids of its problems (PER-3) when it has any."""
    shown = []
    for d in ent.decisions:
        problems = "・".join(sorted({p.rule for p in d.problems}))
        period = f"{d.valid_from.isoformat()}〜{d.valid_to.isoformat()}"
        shown.append(f"{period}(問題: {problems})" if problems else period)
    return shown


def _json_events(value: Any) -> set[int]:
    """Every version named under an ``events`` key anywhere in a JSON value."""
    found: set[int] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "events" and isinstance(item, list):
                found.update(v for v in item if isinstance(v, int))
            else:
                found |= _json_events(item)
    elif isinstance(value, list):
        for item in value:
            found |= _json_events(item)
    return found


def _label(name: str) -> str:
    return DATE_FIELDS_JA.get(name) or OTHER_FIELDS_JA.get(name, name)


def _derived_json(derived: Derived | None) -> dict[str, Any] | None:
    if derived is None:
        return None
    return {"date": derived.date.isoformat(), **derived.explanation.as_json()}


def _side(ent: Entitlement, comp: Compliance) -> dict[str, Any]:
    months = comp.as_json()["months"]
    return {
        "entitlement": ent.as_json(),
        "compliance": {
            "month": months[0] if months else None,
            "plan": comp.plan.as_json(),
            "consent_violations": [v.as_json() for v in comp.consent_violations],
        },
    }


def _event_json(rec: Recorded) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": rec.version,
        "type": rec.type,
        "label_ja": TYPE_LABEL_JA.get(rec.type, rec.type),
        "recorded_at": rec.recorded_at.isoformat(),
        "recorded_by": rec.recorded_by,
    }
    if rec.type in AMENDMENT_TYPES:
        out["target_version"] = _target(rec)
        out["reason"] = rec.payload.get("reason")
    return out


def show_value(value: Any) -> str:
    """A compared value as a sentence shows it: 状態 in Japanese, はい/いいえ, なし."""
    if isinstance(value, str) and value in STATUS_LABEL_JA:
        return STATUS_LABEL_JA[value]
    if value is None:
        return "なし"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "なし"
    return str(value)
