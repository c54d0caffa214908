"""The rules of spec/rules.md sections ELIG, PER and JOB, one named function or constant each.

Each docstring names the rule id and its source, so "why this date?" leads here.
Dates are counted only through :mod:`domain.calendar` (rule CAL); this module never
adds months itself. Everything here is pure: dates and kinds in, dates and findings out.
The projections (``projections/entitlement.py``) attach event versions and sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

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

#: ELIG-5 [S002]: a provider may not refuse a person to protect its retention rate; a
#: refusal (``request_declined``) is recorded with its reason and shown to auditors.
REFUSAL_NEEDS_REASON = True


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


def base_date(hired_on: date, prior_service: PriorService) -> date:
    """ELIG-2 [留意R6]: the 起算日 of the employment clock.

    The hire day; or, where the person was already employed and used the service
    temporarily (e.g. to return from leave), the day after that use ended (CAL-3).
    Worked example: hired 2024-04-01, temporary use until 2024-06-30 → 2024-07-01.
    """
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

#: PER-1 [S001, S002]: at most three years of support in all.
MAX_SUPPORT_YEARS = 3

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


# -- JOB: leaving a job, changing jobs -----------------------------------------------

#: JOB-2 ⚠ [QA H30, S001]: the window for a new hire after leaving, in months (CAL-2).
JOB_CHANGE_WINDOW_MONTHS = 1

#: JOB-2/JOB-4 [QA H30, S001]: only one change of employer keeps the clock running.
MAX_JOB_CHANGES = 1

#: JOB-5 [QA H30]: after leaving, contacts with 相談支援 and others stay on the timeline.
COORDINATION_COUNTERPARTS: frozenset[str] = frozenset({"agency"})

#: JOB-6 [S003]: changes within the same employer change no period (but are shown).
WITHIN_EMPLOYER_CHANGES_MOVE_PERIODS = False


def job_change_deadline(resigned_on: date) -> date:
    """JOB-2 ⚠ [QA H30]: the last day a new hire keeps the clock running.

    "Within one month of leaving", read as: no later than the end of the one-month
    period (CAL-2) whose first day is the day after the last day employed.
    Left 2025-05-15 → 2025-06-15; left 2025-01-31 → 2025-02-28.
    """
    return period_end(day_after(resigned_on), JOB_CHANGE_WINDOW_MONTHS)


def continues_employment(resigned_on: date, new_hire_on: date, changes_so_far: int) -> bool:
    """JOB-2 ⚠: does this new hire keep the clock running (in time, and a change left)?"""
    in_time = new_hire_on <= job_change_deadline(resigned_on)
    return in_time and changes_so_far < MAX_JOB_CHANGES


def contract_end_after_leaving(resigned_on: date) -> date:
    """JOB-1/JOB-3/JOB-4 [S001, QA H30]: a contract ended by leaving ends on the leaving day."""
    return resigned_on


@dataclass(frozen=True, slots=True)
class Stint:
    """One employment as the clock sees it: hire day and, if any, last day employed."""

    hired_on: date
    resigned_on: date | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    """Where the JOB rules leave the employment clock on a given day.

    ``counted`` are the indices of stints that belong to the clock (the first, then a
    change kept by JOB-2); ``late`` are later hires that start no new clock in the case.
    ``ended_on``/``end_rule`` say when and by which rule the contract ended (JOB-3/JOB-4);
    ``grace_deadline`` is set while the person is between jobs within the window (JOB-3).
    """

    counted: tuple[int, ...]
    changes: int
    ended_on: date | None = None
    end_rule: str | None = None
    grace_deadline: date | None = None
    late: tuple[int, ...] = ()


def employment_clock(stints: Sequence[Stint], on: date) -> Clock:
    """JOB-1..JOB-4: follow the stints (in hire order, known on ``on``) to the clock's state.

    Leaving ends the contract on the leaving day (JOB-1) unless a new hire follows within
    the JOB-2 window, once only. While the window is open on ``on`` the case is in grace
    (JOB-3); once it has passed without a hire, the contract ended on the leaving day.
    Leaving after the one allowed change ends it on that leaving day (JOB-4).
    """
    counted: list[int] = [0] if stints else []
    changes = 0
    for i, stint in enumerate(stints):
        left = stint.resigned_on
        if left is None or left >= on:
            return Clock(tuple(counted), changes)
        if changes >= MAX_JOB_CHANGES:
            rest = tuple(range(i + 1, len(stints)))
            return Clock(
                tuple(counted), changes, contract_end_after_leaving(left), "JOB-4", late=rest
            )
        following = stints[i + 1] if i + 1 < len(stints) else None
        if following is not None and continues_employment(left, following.hired_on, changes):
            changes += 1
            counted.append(i + 1)
            continue
        deadline = job_change_deadline(left)
        if following is None and on <= deadline:
            return Clock(tuple(counted), changes, grace_deadline=deadline)
        rest = tuple(range(i + 1, len(stints)))
        return Clock(tuple(counted), changes, contract_end_after_leaving(left), "JOB-3", late=rest)
    return Clock(tuple(counted), changes)
