"""Compliance: which months can be billed, is the plan reviewed, which sharings broke consent.

A pure fold of a case's events (as known at ``as_of``) on the day ``on``; as in
:mod:`projections.entitlement`, facts dated after ``on`` had not happened yet. The rules
are :mod:`domain.duties` (MON, PLAN, CON) and the entitlement (ELIG, PER, JOB).

Edges of a month (decided here; the spec is silent): a month is billable when at least
one face-to-face support with the person (MON-1) took place on a day that lies within a
支給決定 (and within its first year, PER-3), within the entitlement (ELIG-3, ELIG-4,
JOB, PER-5) and on or after the contract's support start (PER-1), and the month's
report was shared (MON-4). Support given on an uncovered day cannot be billed, even
when other days of the same month are covered. Coverage reasons are judged on the
face-to-face days when there are any; otherwise a coverage reason is listed only when
it holds for every day of the month (a month with no support at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain import duties
from domain.calendar import day_after, month_end, months_in
from domain.history import Fact, Recorded, read_history
from domain.payloads import (
    CaseOpened,
    ContactRecorded,
    PlanRevised,
    SupportReportShared,
)
from domain.rules import decision_max_end
from projections.consent import ConsentViolation, consent_violations
from projections.entitlement import Entitlement, entitlement
from projections.explain import Explanation, explained


@dataclass(frozen=True, slots=True)
class MonthCompliance:
    """One calendar month: its counts, whether it can be billed, and every reason why not."""

    month: str
    face_to_face: int
    employer_contacts: int
    report_shared: bool
    billable: bool
    reasons: tuple[Explanation, ...]
    warnings: tuple[Explanation, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "face_to_face": self.face_to_face,
            "employer_contacts": self.employer_contacts,
            "report_shared": self.report_shared,
            "billable": self.billable,
            "reasons": [r.as_json() for r in self.reasons],
            "warnings": [w.as_json() for w in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """PLAN-1/PLAN-2: the last revision, the next review's due day, and whether it is late."""

    last_revised_on: dt.date | None
    review_due_by: dt.date | None
    overdue: bool
    explanation: Explanation

    def as_json(self) -> dict[str, Any]:
        return {
            "last_revised_on": _iso(self.last_revised_on),
            "review_due_by": _iso(self.review_due_by),
            "overdue": self.overdue,
            **self.explanation.as_json(),
        }


@dataclass(frozen=True, slots=True)
class Compliance:
    on: dt.date
    months: tuple[MonthCompliance, ...]
    plan: PlanStatus
    consent_violations: tuple[ConsentViolation, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "months": [m.as_json() for m in self.months],
            "plan": self.plan.as_json(),
            "consent_violations": [v.as_json() for v in self.consent_violations],
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


@dataclass(frozen=True, slots=True)
class _Case:
    """The facts compliance reads, gathered once."""

    on: dt.date
    facts: tuple[Fact, ...]
    ent: Entitlement
    person_names: frozenset[str]

    def of(self, kind: str) -> list[Fact]:
        return [f for f in self.facts if f.type == kind]


def compliance(
    records: Sequence[Recorded],
    on: dt.date,
    as_of: dt.datetime | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
) -> Compliance:
    """Compliance of a case on ``on`` as known at ``as_of``, for months ``from``..``to``.

    By default the months run from the month support could first start (the contract's
    support start, else the first decision, else the eligible-from day) to the month of
    ``on``, and never past the month the entitlement ends.
    """
    history = read_history(records, as_of)
    opened = history.opened()
    names = (
        {opened.payload.person.name} if opened and isinstance(opened.payload, CaseOpened) else set()
    )
    facts = tuple(f for f in history.facts if f.effective_on <= on)
    case = _Case(on, facts, entitlement(records, on, as_of), frozenset(names))
    months = tuple(_month(case, m) for m in _month_range(case, from_month, to_month))
    return Compliance(on, months, _plan(case), consent_violations(facts, case.person_names))


# -- Months ----------------------------------------------------------------------------


def _month_range(case: _Case, from_month: str | None, to_month: str | None) -> list[str]:
    first = _first_day(from_month) if from_month else _default_first(case)
    if to_month:
        last = _first_day(to_month)
    else:
        last = dt.date(case.on.year, case.on.month, 1)
        if case.ent.support_end is not None:
            last = min(last, case.ent.support_end.date)
    return months_in(first, last) if first is not None else []


def _default_first(case: _Case) -> dt.date | None:
    start = _support_start(case)
    if start is not None:
        return start[0]
    return case.ent.eligible_from.date if case.ent.eligible_from is not None else None


def _first_day(month: str) -> dt.date:
    try:
        year, number = month.split("-")
        return dt.date(int(year), int(number), 1)
    except ValueError:
        raise ValueError("月は YYYY-MM の形式で指定してください") from None


def _support_start(case: _Case) -> tuple[dt.date, tuple[int, ...]] | None:
    """When support (and PLAN-1's duty) starts: the contract's start, else the first decision."""
    ent = case.ent
    if ent.contract_from is not None:
        return ent.contract_from.date, ent.contract_from.explanation.events
    if ent.decisions:
        first = min(ent.decisions, key=lambda d: d.valid_from)
        return first.valid_from, first.sources
    return None


def _month(case: _Case, month: str) -> MonthCompliance:
    first = _first_day(month)
    days = _days(first, month_end(first))
    contacts = [f for f in case.of("contact_recorded") if days[0] <= f.effective_on <= days[-1]]
    f2f = [f for f in contacts if duties.satisfies_face_to_face(_contact(f))]
    reports = [
        f for f in case.of("support_report_shared") if duties.report_for_month(_report(f), month)
    ]
    billable_f2f = [f for f in f2f if not _gaps_on(case, f.effective_on)]
    reasons: list[Explanation] = []
    if not billable_f2f:
        if not f2f:
            reasons.append(_no_face_to_face(month, contacts))
        reasons += _coverage_reasons(case, month, f2f, days)
    if not reports:
        text = (
            f"{month}分の支援レポートを本人・関係者と共有した記録がないため、この月は請求できません"
        )
        reasons.append(explained("MON-4", text))
    employer = [f for f in contacts if duties.is_employer_contact(_contact(f))]
    warnings = _warnings(case, month, days, employer, reports)
    billable = bool(billable_f2f) and bool(reports)
    return MonthCompliance(
        month, len(f2f), len(employer), bool(reports), billable, tuple(reasons), tuple(warnings)
    )


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    days = [first]
    while days[-1] < last:
        days.append(day_after(days[-1]))
    return days


def _no_face_to_face(month: str, contacts: list[Fact]) -> Explanation:
    """MON-2 (resting on MON-1 ⚠): say which contacts there were and why they do not count."""
    remote = [f for f in contacts if duties.is_remote_contact_with_person(_contact(f))]
    others = [f for f in contacts if _contact(f).counterpart != "person" and _is_f2f(f)]
    text = f"{month}は本人との対面支援の記録がないため、この月は請求できません"
    if remote:
        text += (
            f"。本人とは{_mode_counts(remote)}の連絡がありますが、電話・メール・オンラインは"
            "対面支援に当たりません(⚠対面に代えられるとする根拠が見当たらないとの解釈)"
        )
    if others:
        text += "。事業主・家族・関係機関との対面は本人への対面支援に当たりません"
    return explained("MON-2", text, *(f.sources for f in [*remote, *others]))


def _is_f2f(fact: Fact) -> bool:
    return _contact(fact).mode == duties.FACE_TO_FACE


def _mode_counts(facts: list[Fact]) -> str:
    counts: dict[str, int] = {}
    for fact in facts:
        label = duties.MODE_LABEL_JA[_contact(fact).mode]
        counts[label] = counts.get(label, 0) + 1
    return "・".join(f"{label}{n}件" for label, n in counts.items())


@dataclass(frozen=True, slots=True)
class _Gap:
    """Why one day cannot be billed: the rule, a grouping key, and a predicate sentence."""

    rule: str
    key: str
    text_ja: str
    events: tuple[int, ...] = ()


def _gaps_on(case: _Case, day: dt.date) -> list[_Gap]:
    ent = case.ent
    return [*_decision_gaps(ent, day), *_entitlement_gaps(ent, day), *_contract_gaps(ent, day)]


def _decision_gaps(ent: Entitlement, day: dt.date) -> list[_Gap]:
    decision = ent.decision_on(day)
    if decision is None:
        text = "どの支給決定の期間にも入っていません(支給決定は1年ごとに必要です)"
        return [_Gap("PER-1", "no_decision", text)]
    limit = decision_max_end(decision.valid_from)
    if day > limit:
        text = (
            f"第{decision.version}版の支給決定のうち開始から1年({limit.isoformat()}満了)を"
            "超えた部分で、有効な支給決定として扱えません"
        )
        return [_Gap("PER-3", f"beyond_year_{decision.version}", text, decision.sources)]
    return []


def _entitlement_gaps(ent: Entitlement, day: dt.date) -> list[_Gap]:
    eligible, end = ent.eligible_from, ent.support_end
    if eligible is None or end is None:
        return [_Gap("ELIG-1", "not_employed", "就職の記録がなく、対象期間が定まりません")]
    if day < eligible.date:
        text = (
            f"対象となる{eligible.date.isoformat()}より前です"
            "(就職後6か月間は前のサービスによるフォローの期間です)"
        )
        return [_Gap("ELIG-3", "before_eligible", text, eligible.explanation.events)]
    if day > end.date:
        why = end.explanation
        text = f"対象期間の終了日{end.date.isoformat()}より後です({why.text_ja})"
        unbilled = "対象期間の終了後の支援は事業所の判断で続けられますが、請求はできません"
        return [_Gap(why.rule, "after_end", text, why.events), _Gap("PER-5", "unbilled", unbilled)]
    return []


def _contract_gaps(ent: Entitlement, day: dt.date) -> list[_Gap]:
    contract = ent.contract_from
    if contract is None:
        text = "利用契約の記録がありません(支援は契約締結後に始まります)"
        return [_Gap("PER-1", "no_contract", text)]
    if day < contract.date:
        text = f"利用契約による支援開始日{contract.date.isoformat()}より前です"
        return [_Gap("PER-1", "before_contract", text, contract.explanation.events)]
    return []


def _coverage_reasons(
    case: _Case, month: str, f2f: list[Fact], days: list[dt.date]
) -> list[Explanation]:
    """Each coverage gap once, naming the face-to-face days it hit (or the whole month)."""
    examined = sorted({f.effective_on for f in f2f}) or days
    hit: dict[str, tuple[_Gap, list[dt.date]]] = {}
    for day in examined:
        for gap in _gaps_on(case, day):
            hit.setdefault(gap.key, (gap, []))[1].append(day)
    reasons: list[Explanation] = []
    for gap, gap_days in hit.values():
        if f2f:
            on_days = "、".join(d.isoformat() for d in gap_days)
            support = [f.sources for f in f2f if f.effective_on in gap_days]
            text = f"{month}の対面支援の日({on_days})は{gap.text_ja}"
            reasons.append(explained(gap.rule, text, gap.events, *support))
        elif len(gap_days) == len(days):
            reasons.append(explained(gap.rule, f"{month}はどの日も{gap.text_ja}", gap.events))
    return reasons


def _warnings(
    case: _Case, month: str, days: list[dt.date], employer: list[Fact], reports: list[Fact]
) -> list[Explanation]:
    """MON-3 (an effort duty: warning only) and MON-4 reports that did not reach the person."""
    warnings: list[Explanation] = []
    supported = any(not _gaps_on(case, day) for day in days)
    if supported and not any(duties.is_employer_visit(_contact(f)) for f in employer):
        text = (
            f"{month}は事業主への訪問の記録がありません"
            "(月1回以上の訪問は努力義務で、請求には影響しません)"
        )
        if employer:
            text += f"。事業主とは{_mode_counts(employer)}の連絡があります"
        warnings.append(explained("MON-3", text, *(f.sources for f in employer)))
    for fact in reports:
        if not duties.report_reaches_person(_report(fact), case.person_names):
            text = f"{month}分の支援レポート(第{fact.version}版)の共有先に本人が含まれていません"
            warnings.append(explained("MON-4", text, fact.sources))
    return warnings


# -- Plan ------------------------------------------------------------------------------


def _plan(case: _Case) -> PlanStatus:
    """PLAN-2 from the last revision on or before ``on``; PLAN-1 when there is none."""
    revisions = case.of("plan_revised")
    if revisions:
        last = revisions[-1]
        assert isinstance(last.payload, PlanRevised)
        revised = last.payload.revised_on
        due = duties.plan_review_due_by(revised)
        overdue = duties.is_overdue(due, case.on)
        text = (
            f"支援計画の最後の見直しは{revised.isoformat()}(第{last.version}版)で、"
            f"3か月の満了日{due.isoformat()}までに次の見直しが必要です(民法143条)"
        )
        if overdue:
            text += f"。{case.on.isoformat()}時点で期限を過ぎています"
        return PlanStatus(revised, due, overdue, explained("PLAN-2", text, last.sources))
    start = _support_start(case)
    if start is None:
        text = "支援はまだ始まっていないため、支援計画の期限はまだありません"
        return PlanStatus(None, None, False, explained("PLAN-1", text))
    due = duties.plan_required_from(start[0])
    overdue = duties.is_overdue(due, case.on)
    text = f"支援開始日{due.isoformat()}から就労定着支援計画が必要ですが、計画の記録がありません"
    return PlanStatus(None, due, overdue, explained("PLAN-1", text, start[1]))


def _contact(fact: Fact) -> ContactRecorded:
    assert isinstance(fact.payload, ContactRecorded)
    return fact.payload


def _report(fact: Fact) -> SupportReportShared:
    assert isinstance(fact.payload, SupportReportShared)
    return fact.payload
