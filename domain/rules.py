"""The rules of spec/rules.md sections ELIG, PER and JOB, one named function or constant each.

The JOB rules live in :mod:`domain.jobs` and are reachable here under the same names.

Each docstring names the rule id and its source, so "why this date?" leads here.
Dates are counted only through :mod:`domain.calendar` (rule CAL); this module never
adds months itself. Everything here is pure: dates and kinds in, dates and findings out.
The projections (``projections/entitlement.py``) attach event versions and sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain import jobs
from domain.calendar import day_after, period_end
from domain.payloads import PriorService

# -- ELIG: who is eligible, and from when ------------------------------------------

#: ELIG-1 [S002, S001]: the services whose users may go on to 就労定着支援 after being
#: newly employed at an ordinary workplace (生活介護, 自立訓練, 就労移行支援, 就労継続支援A/B).
ELIGIBLE_PRIOR_SERVICES: frozenset[str] = frozenset(
    {
        "daily_life_care",
        "independence_training",
        "employment_transition",
        "continuous_a",
        "continuous_b",
    }
)

#: ELIG-1: how each prior service is named to people.
PRIOR_SERVICE_LABEL_JA: dict[str, str] = {
    "daily_life_care": "生活介護",
    "independence_training": "自立訓練",
    "employment_transition": "就労移行支援",
    "continuous_a": "就労継続支援A型",
    "continuous_b": "就労継続支援B型",
}

#: ELIG-3 [S002, S004]: the first six months are the previous service's own follow-up duty.
WAITING_MONTHS = 6

#: ELIG-4 [S002]: eligible only while employment has lasted less than 3 years 6 months.
ENTITLEMENT_MONTHS = 42

# ELIG-5 [S002]: a provider may not refuse a person to protect its retention rate; a
# refusal is recorded with its reason (``request_declined`` requires ``reason``:
# domain.payloads.RequestDeclined) and shown to auditors.


def is_eligible_prior_service(kind: str) -> bool:
    """ELIG-1 [S002, S001]: did the person use a service that leads to 就労定着支援?"""
    return kind in ELIGIBLE_PRIOR_SERVICES


def uses_temporary_base(hired_on: date, prior_service: PriorService) -> bool:
    """ELIG-2 [留意R6]: was the service used temporarily while already employed?

    Only then does the clock start after the use; the use must have ended on or after
    the hire day (use that ended before the hire is ordinary prior use).
    """
    ended = prior_service.ended_on
    return prior_service.temporary_while_employed and ended is not None and ended >= hired_on


def base_date_pending(prior_service: PriorService) -> bool:
    """ELIG-2 [留意R6]: temporary use while employed that has not ended (yet, as recorded).

    The clock starts the day after such use ends, so until its end is known there is no
    起算日, and no day can be eligible: falling back to the hire day would bill too early.
    """
    return prior_service.temporary_while_employed and prior_service.ended_on is None


def base_date(hired_on: date, prior_service: PriorService) -> date | None:
    """ELIG-2 [留意R6]: the 起算日 of the employment clock (None while it is not known).

    The hire day; or, where the person was already employed and used the service
    temporarily (e.g. to return from leave), the day after that use ended (CAL-3).
    Worked example: hired 2024-04-01, temporary use until 2024-06-30 → 2024-07-01.
    """
    if base_date_pending(prior_service):
        return None
    if uses_temporary_base(hired_on, prior_service):
        assert prior_service.ended_on is not None  # guaranteed by uses_temporary_base
        return day_after(prior_service.ended_on)
    return hired_on


def waiting_period_end(base: date) -> date:
    """ELIG-3 [S002, S004]: the last day of the first six months (CAL-1/CAL-2)."""
    return period_end(base, WAITING_MONTHS)


def eligible_from(base: date) -> date:
    """ELIG-3 [S002, S004]: the day after six months from the base date (CAL-3).

    Worked example [留意R6]: hired 2024-04-01 → 6 months end 2024-09-30 → 2024-10-01.
    """
    return day_after(waiting_period_end(base))


def last_eligible_day(base: date) -> date:
    """ELIG-4 [S002]: the end of the 42-month (3年6月) period from the base date (CAL-2)."""
    return period_end(base, ENTITLEMENT_MONTHS)


# -- PER: the support period ---------------------------------------------------------

#: PER-1 [S001, S002]: each 支給決定 covers at most one year (12 months, CAL-2).
DECISION_MAX_MONTHS = 12

# PER-1 [S001, S002]: at most three years of support in all — what is left of ELIG-4's
# 3 years 6 months after ELIG-3's first six: no constant of its own drives it.

#: PER-4 ⚠ (a product choice, not a rule): warn this many days before a decision ends.
RENEWAL_WARNING_DAYS = 30


def entitlement_end(base: date, support_from: date | None = None) -> date:
    """PER-2 [S002]: whenever support starts, it ends on the ELIG-4 last day.

    A person who declined at month 7 and starts later gets only "3年6月 minus the time
    already employed": ``support_from`` never moves the end.
    """
    del support_from  # deliberately unused: the start does not move the end (PER-2)
    return last_eligible_day(base)


def decision_max_end(valid_from: date) -> date:
    """PER-3 (CAL-2): the last day a one-year decision starting ``valid_from`` may run to."""
    return period_end(valid_from, DECISION_MAX_MONTHS)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem a rule found: the rule id, a short code, and a Japanese sentence."""

    rule: str
    code: str
    text_ja: str


def decision_problems(
    valid_from: date,
    valid_to: date,
    eligible_from_day: date | None,
    last_day: date | None,
) -> tuple[Finding, ...]:
    """PER-3 [S002, 民法143条]: what is wrong with a decision, shown and never clipped.

    A decision is a problem when it starts before the ELIG-3 day, runs past the ELIG-4
    day, or is longer than one year (a 12-month period from ``valid_from``, CAL-2).
    Without a known employment clock only the length can be judged.
    """
    found: list[Finding] = []
    if eligible_from_day is not None and valid_from < eligible_from_day:
        text = (
            f"支給決定の開始日{valid_from.isoformat()}が、対象となる日"
            f"{eligible_from_day.isoformat()}(就職後6か月経過の翌日)より前です"
        )
        found.append(Finding("PER-3", "starts_before_eligible", text))
    if last_day is not None and valid_to > last_day:
        text = (
            f"支給決定の終了日{valid_to.isoformat()}が、対象期間の最終日"
            f"{last_day.isoformat()}(3年6月の満了日)を過ぎています。期間は自動では短縮していません"
        )
        found.append(Finding("PER-3", "runs_past_last_day", text))
    longest = decision_max_end(valid_from)
    if valid_to > longest:
        text = (
            f"支給決定の期間が1年を超えています(開始日{valid_from.isoformat()}からの"
            f"1年は{longest.isoformat()}に満了します。民法143条)"
        )
        found.append(Finding("PER-3", "longer_than_a_year", text))
    return tuple(found)


def renewal_warning(due_by: date, on: date) -> bool:
    """PER-4 ⚠: is ``on`` within the last ``RENEWAL_WARNING_DAYS`` days before ``due_by``?"""
    return 0 <= (due_by - on).days <= RENEWAL_WARNING_DAYS


def is_billable_day(day: date, first_day: date, last_day: date) -> bool:
    """PER-5 [S002]: only days within the entitlement count; help after it is unbilled."""
    return first_day <= day <= last_day


# -- JOB: leaving a job, changing jobs (in domain/jobs.py; the same names here) ----

JOB_CHANGE_WINDOW_MONTHS = jobs.JOB_CHANGE_WINDOW_MONTHS
MAX_JOB_CHANGES = jobs.MAX_JOB_CHANGES
COORDINATION_COUNTERPARTS = jobs.COORDINATION_COUNTERPARTS
WITHIN_EMPLOYER_CHANGES_MOVE_PERIODS = jobs.WITHIN_EMPLOYER_CHANGES_MOVE_PERIODS
job_change_deadline = jobs.job_change_deadline
continues_employment = jobs.continues_employment
contract_end_after_leaving = jobs.contract_end_after_leaving
Stint = jobs.Stint
Clock = jobs.Clock
employment_clock = jobs.employment_clock
