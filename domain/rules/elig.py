"""Rule ELIG of spec/rules.md: who is eligible, and from when (ELIG-1..ELIG-5).

"Why may support start on this day?" leads here. Each docstring names the rule id and
its source. Dates are counted only through :mod:`domain.rules.cal` (rule CAL); this
module never adds months itself. Pure: dates and kinds in, dates out; the projections
(``projections/entitlement.py``) attach event versions and sentences.
"""

from __future__ import annotations

from datetime import date

from domain.payloads import PriorService
from domain.rules.cal import day_after, period_end

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
