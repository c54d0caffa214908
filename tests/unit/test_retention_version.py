"""VER-1 on the retention report: a fiscal year's base-fee tier is read from the fee-schedule
version in force in that year, not from the latest version."""

from __future__ import annotations

import datetime as dt

from domain.rules.schedule import NOT_REGISTERED_JA
from projections.views.office import Retention


def report(fiscal_year: int, retained: int, users: int) -> dict[str, object]:
    people = [{"retained": i < retained} for i in range(users)]
    window = (dt.date(fiscal_year - 3, 4, 1), dt.date(fiscal_year - 1, 3, 31))
    return Retention(fiscal_year, window, window[1], people).as_json()


def test_a_year_under_reiwa_6_reads_reiwa_6_units() -> None:
    answer = report(2024, 1, 2)  # 50 %
    assert answer["units_per_month"] == 1690 and answer["schedule_version"] == "R6"
    assert answer["units_note_ja"] is None


def test_a_year_under_reiwa_3_is_not_given_reiwa_6_units() -> None:
    # Before 令和6年度 the tier also needs the number of users, which the office has not
    # notified here: the answer says so instead of showing 令和6年度's 1,690.
    answer = report(2023, 1, 2)
    assert answer["percent"] == 50.0 and answer["schedule_version"] == "R3"
    assert answer["units_per_month"] is None and answer["units_note_ja"] == NOT_REGISTERED_JA


def test_a_year_before_any_known_version_has_no_units_but_keeps_its_rate() -> None:
    answer = report(2017, 3, 4)
    assert answer["percent"] == 75.0 and answer["schedule_version"] is None
    assert answer["units_per_month"] is None
