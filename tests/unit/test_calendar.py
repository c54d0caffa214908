"""CAL: period arithmetic (民法140条・143条), by table, worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.cal import (
    add_months,
    day_after,
    month_end,
    months_in,
    next_period_start,
    period_end,
)
from domain.rules.job import job_change_deadline

# rules.md §1: first day, then the end of the 6-, 42- and 12-month periods.
TABLE = [
    ("2024-04-01", "2024-09-30", "2027-09-30", "2025-03-31"),
    ("2024-01-31", "2024-07-30", "2027-07-30", "2025-01-30"),
    ("2023-08-31", "2024-02-29", "2027-02-28", "2024-08-30"),
    ("2024-03-31", "2024-09-30", "2027-09-30", "2025-03-30"),
]

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
months = st.integers(min_value=1, max_value=60)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(("first", "six", "forty_two", "twelve"), TABLE)
def test_period_end_matches_the_rulebook_table(
    first: str, six: str, forty_two: str, twelve: str
) -> None:
    assert period_end(d(first), 6) == d(six)
    assert period_end(d(first), 42) == d(forty_two)
    assert period_end(d(first), 12) == d(twelve)


def test_month_end_start_is_not_hire_plus_months_minus_one_day() -> None:
    # The naive relativedelta formula gives 2024-02-28; CAL-2 gives the last day, 02-29.
    assert period_end(d("2023-08-31"), 6) == d("2024-02-29")


@pytest.mark.parametrize(
    ("left", "deadline"),
    [
        ("2025-05-15", "2025-06-15"),
        ("2025-01-31", "2025-02-28"),
        ("2024-01-31", "2024-02-29"),
        ("2025-02-28", "2025-03-31"),
        ("2025-12-31", "2026-01-31"),
    ],
)
def test_job_change_deadline_is_one_month_from_the_day_after_leaving(
    left: str, deadline: str
) -> None:
    assert job_change_deadline(d(left)) == d(deadline)


def test_leap_day_start_ends_a_year_later_on_the_last_day_of_february() -> None:
    # 2025 has no 02-29, so the 12-month period ends on the last day of February.
    assert period_end(d("2024-02-29"), 12) == d("2025-02-28")
    assert period_end(d("2024-02-28"), 12) == d("2025-02-27")


def test_a_zero_month_period_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one month"):
        period_end(d("2024-04-01"), 0)


def test_chained_periods_can_differ_from_one_long_period_for_late_month_starts() -> None:
    # Why ELIG-4 counts 42 months from the base date rather than 6 then 36: a clipped
    # first period (2025-02-28) makes the chain end one day later.
    assert period_end(next_period_start(d("2024-08-29"), 6), 36) == d("2028-02-29")
    assert period_end(d("2024-08-29"), 42) == d("2028-02-28")


@given(days, months)
def test_a_period_ends_on_or_after_its_first_day_and_before_the_next_begins(
    first: date, n: int
) -> None:
    end = period_end(first, n)
    assert isinstance(end, date)
    assert first <= end < next_period_start(first, n)
    assert next_period_start(first, n) == end + timedelta(days=1)


@given(days, months)
def test_a_period_ends_the_day_before_the_corresponding_day_or_on_the_month_end(
    first: date, n: int
) -> None:
    end = period_end(first, n)
    corresponding = add_months(first, n)
    if corresponding.day == first.day:
        assert end == corresponding - timedelta(days=1)
    else:
        assert end == corresponding == month_end(corresponding)


@given(days, months)
def test_a_longer_period_always_ends_later(first: date, n: int) -> None:
    assert period_end(first, n) < period_end(first, n + 1)


@given(days, days, months)
def test_a_later_first_day_never_ends_earlier(a: date, b: date, n: int) -> None:
    early, late = sorted((a, b))
    assert period_end(early, n) <= period_end(late, n)


@given(days, months, months)
def test_consecutive_periods_chain_without_gap_or_overlap_up_to_the_28th(
    first: date, m: int, n: int
) -> None:
    first = first.replace(day=min(first.day, 28))
    second = next_period_start(first, m)
    assert second == day_after(period_end(first, m))
    assert period_end(second, n) == period_end(first, m + n)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 1)), months)
def test_a_period_from_the_first_of_a_month_ends_on_a_month_end(first: date, n: int) -> None:
    first = first.replace(day=1)
    end = period_end(first, n)
    assert end == month_end(end)
    assert len(months_in(first, end)) == n


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_month_end_starts_end_on_a_real_day_in_the_expected_month(first: date) -> None:
    first = month_end(first)
    for n in (1, 6, 12, 42):
        end = period_end(first, n)
        assert months_in(first, end)[-1] == add_months(first, n).strftime("%Y-%m")


def test_the_months_up_to_the_calendars_last_month_end_there_without_overflow() -> None:
    assert months_in(date(9999, 11, 15), date(9999, 12, 31)) == ["9999-11", "9999-12"]
    assert months_in(date(1, 1, 1), date(1, 2, 1)) == ["0001-01", "0001-02"]
