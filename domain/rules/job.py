"""The rules of spec/rules.md section JOB: leaving a job, changing jobs (JOB-1..JOB-6).

"Why did the change of job not reset the clock?" leads here. Dates are counted only
through :mod:`domain.rules.cal` (rule CAL). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.rules.cal import day_after, period_end

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
