"""Compliance: which months can be billed, is the plan reviewed, which sharings broke consent.

A pure fold of a case's events (as known at ``as_of``) on the day ``on``; as in
:mod:`projections.entitlement`, facts dated after ``on`` had not happened yet. The rules
are :mod:`domain.rules.mon`, :mod:`~domain.rules.plan`, :mod:`~domain.rules.con` and the
entitlement (ELIG, PER, JOB).

Edges of a month (decided here; the spec is silent): a month is billable when at least
one face-to-face support with the person (MON-1) took place on a day that lies within a
支給決定 (and within its first year, PER-3), within the entitlement (ELIG-3, ELIG-4,
JOB, PER-5) and on or after the contract's support start (PER-1), and the month's
report was shared with the person (MON-4). Support given on an uncovered day cannot be
billed, even when other days of the same month are covered. Coverage reasons are judged on the
face-to-face days when there are any; otherwise a coverage reason is listed only when
it holds for every day of the month (a month with no support at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.history import Fact, Recorded
from domain.payloads import (
    CaseOpened,
    ContactRecorded,
    PlanRevised,
    SupportReportShared,
)
from domain.rules import mon, plan
from domain.rules.cal import days_in, month_end, month_of, months_in
from projections.compliance_model import Compliance, MonthCompliance, PlanStatus
from projections.consent import Sharing, consent_violations, sharings
from projections.coverage import Coverage, Gap, coverage_reasons
from projections.entitlement import Entitlement, entitlement
from projections.explain import Explanation, explained
from projections.reading import Reading, read

__all__ = ["Compliance", "MonthCompliance", "PlanStatus", "compliance", "plan_status"]


@dataclass(frozen=True, slots=True)
class _Case:
    """The facts compliance reads, gathered once: by type, and contacts by month."""

    on: dt.date
    facts: tuple[Fact, ...]
    ent: Entitlement
    person_names: frozenset[str]
    by_type: dict[str, list[Fact]] = field(default_factory=dict)
    contacts_by_month: dict[str, list[Fact]] = field(default_factory=dict)
    #: Reports by their own ``month`` field (MON-4 matches a report to that month).
    reports_by_month: dict[str, list[Fact]] = field(default_factory=dict)
    coverage: Coverage | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "coverage", Coverage(self.ent))
        for fact in self.facts:
            self.by_type.setdefault(fact.type, []).append(fact)
            if fact.type == "contact_recorded":
                self.contacts_by_month.setdefault(month_of(fact.effective_on), []).append(fact)
            elif fact.type == "support_report_shared":
                self.reports_by_month.setdefault(_report(fact).month, []).append(fact)

    def of(self, kind: str) -> list[Fact]:
        return list(self.by_type.get(kind, ()))

    def gaps_on(self, day: dt.date) -> list[Gap]:
        """:func:`projections.coverage.gaps_on`, asked once per stretch of days."""
        assert self.coverage is not None
        return self.coverage.gaps_on(day)


def compliance(
    records: Sequence[Recorded] | Reading,
    on: dt.date | None = None,
    as_of: dt.datetime | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
) -> Compliance:
    """Compliance of a case on ``on`` as known at ``as_of``, for months ``from``..``to``.

    By default the months run from the month support could first start (the contract's
    support start, else the first decision, else the eligible-from day) to the month of
    ``on``, and never past the month the entitlement ends. ``records`` may be a
    :class:`~projections.reading.Reading`: its entitlement is reused, not computed again.
    """
    reading = read(records, on, as_of)
    key = ("compliance", from_month, to_month)
    return reading.memo(key, lambda: _compliance(reading, from_month, to_month))


def plan_status(reading: Reading) -> PlanStatus:
    """PLAN-1/PLAN-2 of a reading (the plan part of :func:`compliance`, for any months)."""
    return reading.memo("plan", lambda: _plan(_gathered(reading)))


def _compliance(reading: Reading, from_month: str | None, to_month: str | None) -> Compliance:
    case = _gathered(reading)
    months = tuple(_month(case, m) for m in _month_range(case, from_month, to_month))
    violations = consent_violations(case.facts, case_sharings(reading))
    return Compliance(case.on, months, plan_status(reading), violations)


def case_sharings(reading: Reading) -> tuple[Sharing, ...]:
    """The sharings of the person's information in the facts in effect on the reading's
    day (:func:`projections.consent.sharings`), found once per reading: CON-1..3 judge
    them, and END-2 (the stored view's last sharing) reads their days."""
    case = _gathered(reading)
    return reading.memo("sharings", lambda: sharings(case.facts, case.person_names))


def _gathered(reading: Reading) -> _Case:
    def gather() -> _Case:
        opened = reading.history.opened()
        names = {opened.payload.person.name} if opened and isinstance(
            opened.payload, CaseOpened
        ) else set()  # fmt: skip
        facts = tuple(f for f in reading.history.facts if f.effective_on <= reading.on)
        return _Case(reading.on, facts, entitlement(reading), frozenset(names))

    return reading.memo("compliance_facts", gather)


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
    if ent.support_from is not None:
        return ent.support_from.date, ent.support_from.explanation.events
    if ent.decisions:
        first = min(ent.decisions, key=lambda d: d.valid_from)
        return first.valid_from, first.sources
    return None


def _month(case: _Case, month: str) -> MonthCompliance:
    first = _first_day(month)
    days = _days(first, month_end(first))
    contacts = list(case.contacts_by_month.get(month, ()))
    f2f = [f for f in contacts if mon.satisfies_face_to_face(_contact(f))]
    candidates = case.reports_by_month.get(month, ())
    reports = [f for f in candidates if mon.report_for_month(_report(f), month)]
    # MON-4: the report is shared with the person (and the parties); one that never
    # reached the person does not satisfy it.
    to_person = [f for f in reports if mon.report_reaches_person(_report(f), case.person_names)]
    billable_f2f = [f for f in f2f if not case.gaps_on(f.effective_on)]
    reasons: list[Explanation] = []
    if not billable_f2f:
        if not f2f:
            reasons.append(_no_face_to_face(month, contacts))
        reasons += coverage_reasons(case.ent, month, f2f, days, case.gaps_on)
    if not to_person:
        reasons.append(_no_report(month, reports))
    employer = [f for f in contacts if mon.is_employer_contact(_contact(f))]
    warnings = _warnings(case, month, days, employer)
    billable = bool(billable_f2f) and bool(to_person)
    return MonthCompliance(
        month, len(f2f), len(employer), bool(to_person), billable, tuple(reasons), tuple(warnings)
    )


def _no_report(month: str, reports: list[Fact]) -> Explanation:
    """MON-4 ⚠: no report for the month reached the person; name the ones that did not."""
    if not reports:
        text = (
            f"{month}分の支援レポートを本人・関係者と共有した記録がないため、この月は請求できません"
        )
        return explained("MON-4", text)
    versions = "・".join(f"第{f.version}版" for f in reports)
    text = (
        f"{month}分の支援レポート({versions})の共有先に本人が含まれていないため、"
        "この月は請求できません(レポートは本人と関係者に共有します)"
    )
    return explained("MON-4", text, *(f.sources for f in reports))


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return days_in(first, last)


def _no_face_to_face(month: str, contacts: list[Fact]) -> Explanation:
    """MON-2 (resting on MON-1 ⚠): say which contacts there were and why they do not count."""
    remote = [f for f in contacts if mon.is_remote_contact_with_person(_contact(f))]
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
    return _contact(fact).mode == mon.FACE_TO_FACE


def _mode_counts(facts: list[Fact]) -> str:
    counts: dict[str, int] = {}
    for fact in facts:
        label = mon.MODE_LABEL_JA[_contact(fact).mode]
        counts[label] = counts.get(label, 0) + 1
    return "・".join(f"{label}{n}件" for label, n in counts.items())


def _warnings(
    case: _Case, month: str, days: list[dt.date], employer: list[Fact]
) -> list[Explanation]:
    """MON-3: billable support but no employer visit (an effort duty: a warning only)."""
    supported = any(not case.gaps_on(day) for day in days)
    if not supported or any(mon.is_employer_visit(_contact(f)) for f in employer):
        return []
    text = (
        f"{month}は事業主への訪問の記録がありません"
        "(月1回以上の訪問は努力義務で、請求には影響しません)"
    )
    if employer:
        text += f"。事業主とは{_mode_counts(employer)}の連絡があります"
    return [explained("MON-3", text, *(f.sources for f in employer))]


# -- Plan ------------------------------------------------------------------------------


def _plan(case: _Case) -> PlanStatus:
    """PLAN-2 from the last revision on or before ``on``; PLAN-1 when there is none."""
    revisions = case.of("plan_revised")
    if revisions:
        last = revisions[-1]
        assert isinstance(last.payload, PlanRevised)
        revised = last.payload.revised_on
        due = plan.plan_review_due_by(revised)
        overdue = plan.is_overdue(due, case.on)
        text = (
            f"支援計画の最後の見直しは{revised.isoformat()}(第{last.version}版)で、"
            f"3か月の満了日{due.isoformat()}までに次の見直しが必要です(民法143条)"
        )
        if overdue:
            text += f"。{case.on.isoformat()}時点で期限を過ぎています"
        overdue, text = _after_support(case, due, overdue, text)
        return PlanStatus(revised, due, overdue, explained("PLAN-2", text, last.sources))
    start = _support_start(case)
    if start is None:
        text = "支援はまだ始まっていないため、支援計画の期限はまだありません"
        return PlanStatus(None, None, False, explained("PLAN-1", text))
    eligible = case.ent.eligible_from
    due = plan.plan_required_from(start[0], eligible.date if eligible else None)
    overdue = plan.is_overdue(due, case.on)
    sources: tuple[tuple[int, ...], ...] = (start[1],)
    if due == start[0]:
        text = (
            f"支援開始日{due.isoformat()}から就労定着支援計画が必要ですが、計画の記録がありません"
        )
    else:  # recorded to start before the person is eligible: support starts then (ELIG-3)
        assert eligible is not None
        sources += (eligible.explanation.events,)
        text = (
            f"記録上の支援開始日は{start[0].isoformat()}ですが、支援を開始できるのは対象となる"
            f"最初の日{due.isoformat()}からです(ELIG-3)。その日から就労定着支援計画が必要ですが、"
            "計画の記録がありません"
        )
    overdue, text = _after_support(case, due, overdue, text)
    return PlanStatus(None, due, overdue, explained("PLAN-1", text, *sources))


def _after_support(case: _Case, due: dt.date, overdue: bool, text: str) -> tuple[bool, str]:
    """The plan duty lasts as long as support: once the entitlement is over, nothing is due.

    A review missed while support lasted stays in the text (for auditors); it is no
    longer shown as a task that is overdue now.
    """
    end = case.ent.support_end
    if end is None or case.on <= end.date:
        return overdue, text
    missed = "(終了時点で見直し期限を過ぎていました)" if due < end.date else ""
    return (
        False,
        f"{text}。支援は{end.date.isoformat()}に終了したため、見直しの期限はありません{missed}",
    )


def _contact(fact: Fact) -> ContactRecorded:
    assert isinstance(fact.payload, ContactRecorded)
    return fact.payload


def _report(fact: Fact) -> SupportReportShared:
    assert isinstance(fact.payload, SupportReportShared)
    return fact.payload
