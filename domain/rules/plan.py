"""Rule PLAN of spec/rules.md: the support plan (PLAN-1, PLAN-2).

Dates are counted only through :mod:`domain.rules.cal` (rule CAL). Pure.
"""

from __future__ import annotations

from datetime import date

from domain.rules.cal import period_end

#: PLAN-2 [S002]: the plan is reviewed at least once every 3 months.
PLAN_REVIEW_MONTHS = 3


def plan_required_from(support_start: date, eligible_from: date | None = None) -> date:
    """PLAN-1 [基準, S004]: the plan exists from the start of support (due that day).

    Support cannot start before the person is eligible (ELIG-3): a contract or decision
    dated earlier (PER-3 shows such a decision as a problem) does not make the first plan
    due before then. Hired 2025-05-01, contract from 2025-06-02 → due 2025-11-01.
    """
    if eligible_from is not None and support_start < eligible_from:
        return eligible_from
    return support_start


def plan_review_due_by(last_revised_on: date) -> date:
    """PLAN-2 [S002]: the end of the 3-month period (CAL-2) starting on the last revision.

    Revised 2024-10-01 → due by 2024-12-31.
    """
    return period_end(last_revised_on, PLAN_REVIEW_MONTHS)


def is_overdue(due_by: date, on: date) -> bool:
    """PLAN-1/PLAN-2: a due day is overdue from the day after it (CAL-3), not on it."""
    return on > due_by

