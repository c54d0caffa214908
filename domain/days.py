"""The days this product reasons about: 1900-01-01 to 2200-12-31, for every date it is given.

Every door checks a date, a month or an instant it is given against this range (a
payload's dates, and the query parameters ``on``, ``as_of``, ``from``, ``to``, ``month``,
``shared_on``) and refuses the rest with a message naming the field.

Why these bounds: they are far wider than anything the service can mean — 就労定着支援
exists since 2018, a prior service may have ended decades before a case opens, a 支給決定
or a consent may run a few years ahead, and an auditor's ``as_of`` is a past instant —
yet they stay whole centuries away from the ends of Python's calendar (0001-01-01 and
9999-12-31). Everything computed from a day in range (a 3-year entitlement, a 120-month
compliance window, a chart's one-month margin, an instant shifted by ±14 hours to Japan
time) stays inside :class:`datetime.date`, so no read can fail with OverflowError.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
DAY_RANGE_JA = "1900-01-01 から 2200-12-31 までの日付にしてください"
MONTH_RANGE_JA = "1900-01 から 2200-12 までの月にしてください"
INSTANT_RANGE_JA = "1900-01-01 から 2200-12-31 までの日時にしてください"


def day_in_range(day: date) -> bool:
    """Whether ``day`` lies within :data:`FIRST_DAY` .. :data:`LAST_DAY`."""
    return FIRST_DAY <= day <= LAST_DAY


def month_in_range(year: int, month: int) -> bool:
    """Whether the month ``year``-``month`` lies within the range."""
    return (FIRST_DAY.year, FIRST_DAY.month) <= (year, month) <= (LAST_DAY.year, LAST_DAY.month)


def instant_in_range(instant: datetime) -> bool:
    """Whether an instant's day, as written in its own offset, lies within the range (so
    shifting it to UTC or Japan time never leaves the calendar)."""
    return day_in_range(instant.date())
