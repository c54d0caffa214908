"""Period arithmetic, rule CAL (民法第140条・第143条). The only place dates are counted.

Every other module asks this one "when does an n-month period starting on d end?"
and "what is the next day?"; nothing else adds months to dates.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

CAL_SOURCE = "民法第140条ただし書・第143条2項"


def day_after(day: date) -> date:
    """CAL-3: "from the day after period P ends" is the next calendar day."""
    return day + timedelta(days=1)


def day_before(day: date) -> date:
    """The previous calendar day (used where a rule speaks of "the day before")."""
    return day - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The day corresponding to ``day`` ``months`` months later (民法143条2項 起算日応当日).

    When that month has no such day (31st → 30-day month, 29th-31st → February), the
    result is the last day of that month. Only used by :func:`period_end`.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def period_end(first_day: date, months: int) -> date:
    """CAL-1/CAL-2: the last day of an ``months``-month period whose first day counts.

    The period ends on the day before the day corresponding to ``first_day`` in the
    ``months``-th following month; when that month has no corresponding day, it ends
    on the last day of that month (民法143条2項ただし書).

    >>> period_end(date(2023, 8, 31), 6)
    datetime.date(2024, 2, 29)
    """
    if months < 1:
        raise ValueError("a period has at least one month")
    corresponding = add_months(first_day, months)
    if corresponding.day != first_day.day:
        # No corresponding day in that month: the period ends on its last day.
        return corresponding
    return day_before(corresponding)


def next_period_start(first_day: date, months: int) -> date:
    """CAL-3: the first day of the period that follows an ``months``-month period."""
    return day_after(period_end(first_day, months))


def month_start(day: date) -> date:
    """The first day of ``day``'s calendar month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of ``day``'s calendar month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_in(first: date, last: date) -> list[date]:
    """Every calendar day from ``first`` to ``last``, inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def month_of(day: date) -> str:
    """The calendar month ``YYYY-MM`` of ``day``."""
    return f"{day.year:04d}-{day.month:02d}"


def months_in(first: date, last: date) -> list[str]:
    """The calendar months ``YYYY-MM`` from ``first``'s month to ``last``'s, inclusive."""
    out: list[str] = []
    current, final = month_start(first), month_start(last)
    while current <= final:
        out.append(f"{current.year:04d}-{current.month:02d}")
        if current == final:  # never step past the last month: 9999-12 has no successor
            break
        current = add_months(current, 1)
    return out
