"""Rule PER of spec/rules.md: the support period (PER-1..PER-5).

"Why does support end on this day?" and "what is wrong with this decision?" lead here.
Dates are counted only through :mod:`domain.rules.cal` (rule CAL). Pure.
"""

from __future__ import annotations

from datetime import date

from domain.rules.cal import period_end
from domain.rules.catalogue import Finding
from domain.rules.elig import last_eligible_day

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
