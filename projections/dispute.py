"""The dispute report: what was true on a day, beside what the system showed then.

``now`` reads every event recorded so far (all corrections applied: ``as_of=None``);
``then`` reads only what had been recorded at the instant ``as_of`` — what a staff
member or the municipality saw at that moment. The entitlement, the plan and consent
are evaluated on the day ``on``. Each difference names the events recorded after
``as_of`` that explain it (corrections, retractions, or facts recorded late), so the
report answers "why did it say X then and Y now?".

**Months** (issue 21, decision 0045): each month from the start of support to the month
of ``on`` is judged, on each side, from *every* fact for that month the side knows,
whenever the fact is dated: a report for April shared on 05-05 counts for April in a
column that knows it, even when ``on`` is 04-30. So each side's months are folded on
the latest day any of its facts is dated (:func:`_judging_day`), never before ``on``.
The month of ``on`` is still open on ``on``: unless it is already billable it reads
``in_progress`` (今月まだ) in both columns, with what is missing, as the case page says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.history import TOKYO, History, Recorded
from domain.payloads import AMENDMENT_TYPES, TYPE_LABEL_JA, SupportReportShared
from domain.rules.cal import month_end, month_of
from projections.compliance import Compliance, MonthCompliance, compliance, plan_status
from projections.compliance_model import PlanStatus
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


BILLABLE, IN_PROGRESS, UNBILLABLE = "billable", "in_progress", "unbillable"
VERDICT_JA = {BILLABLE: "請求可", IN_PROGRESS: "今月まだ", UNBILLABLE: "請求不可"}


@dataclass(frozen=True, slots=True)
class MonthVerdict:
    """One month judged on both sides: ``then`` as known at ``as_of``, ``now`` from all.

    ``verdict_then``/``verdict_now`` are ``billable``, ``in_progress`` (the month of ``on``,
    not yet billable: 今月まだ) or ``unbillable``; ``days_left`` is the open month's days
    left on ``on`` (民法143条 plays no part: calendar days of the month).
    """

    month: str
    then: MonthCompliance | None
    now: MonthCompliance | None
    open: bool
    days_left: int | None
    explained_by: tuple[Recorded, ...]

    @property
    def verdict_then(self) -> str:
        return _verdict(self.then, self.open)

    @property
    def verdict_now(self) -> str:
        return _verdict(self.now, self.open)

    @property
    def text_then(self) -> str:
        return _verdict_text(self.then, self.verdict_then, self.days_left)

    @property
    def text_now(self) -> str:
        return _verdict_text(self.now, self.verdict_now, self.days_left)

    @property
    def differs(self) -> bool:
        return self.verdict_then != self.verdict_now or _reason_rules(self.then) != _reason_rules(
            self.now
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "open": self.open,
            "days_left": self.days_left,
            "then": {
                "verdict": self.verdict_then,
                "text_ja": self.text_then,
                **_month_json(self.then),
            },
            "now": {"verdict": self.verdict_now, "text_ja": self.text_now, **_month_json(self.now)},
            "differs": self.differs,
            "explained_by": [_event_json(r) for r in self.explained_by],
        }


def _verdict(month: MonthCompliance | None, is_open: bool) -> str:
    if month is not None and month.billable:
        return BILLABLE
    return IN_PROGRESS if is_open else UNBILLABLE


def _verdict_text(month: MonthCompliance | None, verdict: str, days_left: int | None) -> str:
    """「請求可」, 「請求不可」 or 「今月まだ: 支援レポート(残り1日)」: the words of
    ``api.web.month_words`` (a test holds the two to the same words)."""
    if verdict != IN_PROGRESS:
        return VERDICT_JA[verdict]
    rules = _reason_rules(month)
    face = month is None or not month.face_to_face or any(r != "MON-4" for r in rules)
    report = month is None or not month.report_shared
    missing = [w for w, lacking in (("対面支援", face), ("支援レポート", report)) if lacking]
    return f"{VERDICT_JA[verdict]}: {'・'.join(missing)}(残り{days_left}日)"


def _reason_rules(month: MonthCompliance | None) -> list[str]:
    return sorted(r.rule for r in month.reasons) if month is not None else []


def _month_json(month: MonthCompliance | None) -> dict[str, Any]:
    if month is None:  # the side knew of no support in that month
        return {"billable": False, "face_to_face": 0, "employer_contacts": 0,
                "report_shared": False, "reasons": [], "warnings": []}  # fmt: skip
    out = month.as_json()
    del out["month"]
    return out


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
    months: tuple[MonthVerdict, ...] = ()

    @property
    def month(self) -> str:
        return self.on.strftime("%Y-%m")

    @property
    def change_ja(self) -> str:
        """One sentence: what reads differently now, and which records changed it."""
        if not self.differences:
            return "当時の表示と現在の記録とで違いはありません。"
        fields = {d.field for d in self.differences}
        said = f"month:{self.month}" in fields  # the open month's line tells its counts
        told = [d for d in self.differences if not (said and d.field in _MONTH_FIELDS)]
        changed = "、".join(
            f"{d.label_ja}が「{_shown_ja(d)[0]}」から「{_shown_ja(d)[1]}」に" for d in told
        )
        causes: dict[int, Recorded] = {}
        for diff in told:
            causes.update((r.version, r) for r in diff.explained_by)
        if not causes:
            return f"{changed}変わりました(変えた記録は特定できません)。"
        named = "、".join(_cause_ja(causes[v]) for v in sorted(causes))
        return f"{changed}変わりました。変えた記録は{named}です。"

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
            "change_ja": self.change_ja,
            "months": [m.as_json() for m in self.months],
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
    month = month_of(on)
    then_ent, now_ent = entitlement(then), entitlement(now)
    first = _first_month(compliance(then), compliance(now), month)
    then_comp = _judged(then, first, month)
    now_comp = _judged(now, first, month)
    since = tuple(r for r in now.records if r.recorded_at > as_of)
    verdicts = _month_verdicts(then, now, then_comp, now_comp, since)
    month_facts = _month_facts(then.history, month) | _month_facts(now.history, month)
    pairs = _entitlement_pairs(then_ent, now_ent) + _compliance_pairs(
        then_comp, now_comp, month_facts
    )
    differences = tuple(
        Difference(section, name, _label(name), a, b, _explaining(since, events))
        for section, name, a, b, events in pairs
        if a != b
    )
    differences = _month_differences(verdicts, month) + differences
    return Dispute(on, as_of, then_ent, now_ent, then_comp, now_comp, differences, since, verdicts)


def _judging_day(reading: Reading) -> dt.date:
    """The day a side's months are folded on: ``on``, or the latest day any fact it knows
    is dated, whichever is later (every fact for a month counts, whenever dated)."""
    latest = max((f.effective_on for f in reading.history.facts), default=reading.on)
    return max(reading.on, latest)


def _first_month(then: Compliance, now: Compliance, month: str) -> str:
    """The first month either side has support in (its default range), else ``month``."""
    firsts = [c.months[0].month for c in (then, now) if c.months]
    return min([*firsts, month])


def _judged(side: Reading, first: str, last: str) -> Compliance:
    """The months ``first``..``last`` from every fact the side knows (on the judging day);
    the plan and consent as they stood on ``on``."""
    judged = compliance(side.on_day(_judging_day(side)), from_month=first, to_month=last)
    on_day = compliance(side)
    plan: PlanStatus = plan_status(side)
    return Compliance(side.on, judged.months, plan, on_day.consent_violations)


def _month_verdicts(
    then: Reading, now: Reading, then_comp: Compliance, now_comp: Compliance,
    since: Sequence[Recorded],
) -> tuple[MonthVerdict, ...]:  # fmt: skip
    by_then = {m.month: m for m in then_comp.months}
    by_now = {m.month: m for m in now_comp.months}
    month = month_of(then.on)
    left = (month_end(then.on) - then.on).days + 1  # as the case page counts (incl. on)
    verdicts = []
    for name in sorted(by_then.keys() | by_now.keys()):
        a, b = by_then.get(name), by_now.get(name)
        events = _month_facts(then.history, name) | _month_facts(now.history, name)
        events |= _json_events(_month_json(a)) | _json_events(_month_json(b))
        is_open = name == month
        verdict = MonthVerdict(name, a, b, is_open, left if is_open else None, ())
        explained = _explaining(since, events, everything=True) if verdict.differs else ()
        verdicts.append(MonthVerdict(name, a, b, is_open, verdict.days_left, explained))
    return tuple(verdicts)


def _month_facts(history: History, month: str) -> set[int]:
    """The versions of the facts that are for ``month``: its contacts and its reports."""
    found: set[int] = set()
    for fact in history.facts:
        report = fact.payload if isinstance(fact.payload, SupportReportShared) else None
        mine = report.month == month if report is not None else (
            fact.type == "contact_recorded" and month_of(fact.effective_on) == month
        )  # fmt: skip
        if mine:
            found.update(fact.sources)
    found.update(v for v, r in history.retracted.items() if _retracted_month(history, v, month))
    return found


def _retracted_month(history: History, version: int, month: str) -> bool:
    original = next((r for r in history.recorded if r.version == version), None)
    if original is None:
        return False
    if original.type == "support_report_shared":
        return str(original.payload.get("month")) == month
    return original.type == "contact_recorded" and month_of(original.effective_on) == month


def _month_differences(verdicts: Sequence[MonthVerdict], month: str) -> tuple[Difference, ...]:
    """A month whose verdict reads differently; the month of ``on`` only when its words
    differ (its counts and reasons are compared field by field below it)."""
    return tuple(
        Difference(
            "months",
            f"month:{v.month}",
            f"{v.month[:4]}年{int(v.month[5:])}月の請求可否",
            v.text_then,
            v.text_now,
            v.explained_by,
        )
        for v in verdicts
        if (v.differs if v.month != month else v.text_then != v.text_now)
    )


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


def _compliance_pairs(then: Compliance, now: Compliance, month_facts: set[int]) -> list[_Pair]:
    """The month of ``on``'s counts and verdict (explained by its own facts and the
    versions its reasons name), the plan on ``on``, and consent."""
    pairs: list[_Pair] = []
    month = month_of(then.on)
    a = next((m.as_json() for m in then.months if m.month == month), {})
    b = next((m.as_json() for m in now.months if m.month == month), {})
    events = _json_events(a) | _json_events(b) | month_facts
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


def _explaining(
    since: Sequence[Recorded], events: set[int], everything: bool = False
) -> tuple[Recorded, ...]:
    """Events recorded after ``as_of`` that the differing field came from or amended.

    When none can be tied to the field (a fact that disappeared leaves no source behind
    on one side), every amendment recorded since is listed: one of them is the cause;
    with ``everything``, when there was no amendment either, every record since.
    """
    tied = tuple(r for r in since if r.version in events or _target(r) in events)
    if tied:
        return tied
    amendments = tuple(r for r in since if r.type in AMENDMENT_TYPES)
    return amendments if amendments or not everything else tuple(since)


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
    month = month_of(comp.on)
    months = [m for m in comp.as_json()["months"] if m["month"] == month]
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


#: The open month's fields its verdict line (「今月まだ: 支援レポート」) already tells.
_MONTH_FIELDS = frozenset({"billable", "report_shared", "reasons", "face_to_face"})


def _shown_ja(diff: Difference) -> tuple[str, str]:
    return _short(diff.then), _short(diff.now)


def _short(value: Any) -> str:
    text = show_value(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _cause_ja(rec: Recorded) -> str:
    """第12版「支援レポートの共有」(2026年5月5日 10:00(日本時間)、担当 一郎、理由: …)."""
    at = rec.recorded_at.astimezone(TOKYO)
    when = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}(日本時間)"
    reason = rec.payload.get("reason") if rec.type in AMENDMENT_TYPES else None
    why = f"、理由: {reason}" if reason else ""
    label = TYPE_LABEL_JA.get(rec.type, rec.type)
    return f"第{rec.version}版「{label}」({when}、{rec.recorded_by}{why})"
