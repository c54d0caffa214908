"""The 実績記録票 PDF's month in 和暦 (issue 22): the form prints 令和 from May 2019
(令和元年), 平成 before it."""

from __future__ import annotations

import pytest

from api.http.record_sheet_pdf import era_month, ymd


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2018, 4, "平成30年4月"), (2019, 4, "平成31年4月"), (2019, 5, "令和元年5月"),
     (2020, 1, "令和2年1月"), (2024, 10, "令和6年10月"), (2027, 4, "令和9年4月")],
)  # fmt: skip
def test_the_service_month_in_the_era_the_form_prints(year: int, month: int, expected: str) -> None:
    assert era_month(year, month) == expected


def test_a_compact_day_is_shown_with_dashes_and_none_as_blank() -> None:
    assert ymd("20241031") == "2024-10-31" and ymd(None) == "" and ymd("") == ""
