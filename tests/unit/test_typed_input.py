"""Dates and digit codes as staff type them into the web forms (issue 20): every accepted
form, the era boundaries, impossible days, full width; and a property that every way of
writing a day reads back as that day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import jaconv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.web.typed_input import ERAS, UNREADABLE_JA, read_date, read_digits

APRIL_FIRST = date(2025, 4, 1)


@pytest.mark.parametrize(
    "typed",
    [
        "2025-04-01", "2025-4-1", "2025/4/1", "2025/04/01", "2025.4.1", "2025年4月1日",
        "20250401", "令和7年4月1日", "令和07年04月01日", "令和 7年 4月 1日", "令和7.4.1",
        "R7.4.1", "R7/4/1", "R7-4-1", "r7.4.1", "R07.04.01", "R7年4月1日",
        "２０２５－０４－０１", "２０２５／４／１", "令和７年４月１日", "Ｒ７．４．１",
        "2025ー04ー01", "2025。4。1", "2025・4・1", " 2025/4/1 ", "\u30002025/4/1\u3000",
    ],
)  # fmt: skip
def test_every_accepted_form_of_a_day_reads_as_that_day(typed: str) -> None:
    assert read_date(typed) == APRIL_FIRST


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("令和元年5月1日", date(2019, 5, 1)),  # 元年 is year 1
        ("R1.5.1", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),  # 平成's last day
        ("H31.4.30", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),  # 平成's first day
        ("H1/1/8", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),  # 昭和's last day
        ("S64.1.7", date(1989, 1, 7)),
        ("平成28年2月29日", date(2016, 2, 29)),  # a leap day in an era year
    ],
)
def test_era_days_read_as_their_western_day_up_to_each_eras_last_day(typed: str, day: date) -> None:
    assert read_date(typed) == day


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("平成31年5月1日", "平成31年5月1日はありません(平成は 1989-01-08 から 2019-04-30 まで)"),
        ("H31.5.1", "平成31年5月1日はありません"),
        ("令和元年4月30日", "令和元年4月30日はありません(令和は 2019-05-01 から)"),
        ("平成元年1月7日", "平成元年1月7日はありません"),
        ("昭和64年1月8日", "昭和64年1月8日はありません"),
        ("平成40年1月1日", "平成40年1月1日はありません"),
    ],
)
def test_a_day_outside_its_era_is_refused_with_the_eras_span_not_moved(
    typed: str, said: str
) -> None:
    with pytest.raises(ValueError) as refused:
        read_date(typed)
    assert said in str(refused.value)
    assert "西暦か正しい元号で入力してください" in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("令和0年4月1日", "令和0年はありません(最初の年は令和元年、1年です)"),
        ("R0.4.1", "令和0年はありません"),
        ("2025/2/30", "存在しない日付です(2025年2月30日)"),
        ("2025-02-29", "存在しない日付です"),  # not a leap year
        ("令和7年2月29日", "存在しない日付です(令和7年2月29日)"),
        ("２０２５／１３／１", "存在しない日付です(2025年13月1日)"),
        ("2025/4/0", "存在しない日付です"),
    ],
)
def test_a_year_zero_or_a_day_that_does_not_exist_is_refused(typed: str, said: str) -> None:
    with pytest.raises(ValueError) as refused:
        read_date(typed)
    assert said in str(refused.value)


@pytest.mark.parametrize(
    "typed",
    ["", "あした", "25/4/1", "R7.4", "2025/4", "令和7年4月1日です", "M45.7.29", "2025-04-01T09:00",
     "4/1/2025", "令7.4.1", "2025/4/1/1", "202541", "٢٠٢٥-٠٤-٠١"],
)  # fmt: skip
def test_text_in_no_accepted_form_is_refused_with_the_examples(typed: str) -> None:
    with pytest.raises(ValueError) as refused:
        read_date(typed)
    assert str(refused.value) == UNREADABLE_JA
    assert "令和7年4月1日" in UNREADABLE_JA and "R7.4.1" in UNREADABLE_JA


@pytest.mark.parametrize(
    ("typed", "read"),
    [("１２３４５６７８９０", "1234567890"), ("\u3000131016 ", "131016"),
     (" １３１０１００００１\u3000", "1310100001"), ("0123456789", "0123456789"),
     ("12-34", "12-34")],  # what is not a digit is left for the pattern to refuse
)  # fmt: skip
def test_full_width_digits_read_as_ascii_and_surrounding_spaces_go(typed: str, read: str) -> None:
    assert read_digits(typed) == read


# -- every way of writing a day reads back as that day -----------------------------------


def _era_of(day: date) -> tuple[str, str, int] | None:
    for era in ERAS:
        if era.first <= day and (era.last is None or day <= era.last):
            return era.name, era.letter, day.year - era.first.year + 1
    return None


def _western(day: date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    return [day.isoformat(), f"{y}/{m}/{d}", f"{y}.{m}.{d}", f"{y}年{m}月{d}日",
            f"{y}-{m}-{d}", f"{y}/{m:02}/{d:02}", f"{y:04}{m:02}{d:02}"]  # fmt: skip


def _japanese(day: date) -> list[str]:
    era = _era_of(day)
    if era is None:
        return []
    name, letter, year = era
    m, d = day.month, day.day
    first = "元" if year == 1 else str(year)
    return [f"{name}{first}年{m}月{d}日", f"{name}{year}年{m}月{d}日", f"{letter}{year}.{m}.{d}",
            f"{letter}{year}/{m}/{d}", f"{letter}{year:02}.{m:02}.{d:02}",
            f"{letter.lower()}{year}.{m}.{d}"]  # fmt: skip


WIDTHS: list[Callable[[str], str]] = [
    lambda s: s,
    lambda s: jaconv.h2z(s, kana=False, ascii=True, digit=True),  # ２０２５／４／１
]


@given(
    st.dates(min_value=date(1926, 12, 25), max_value=date(2200, 12, 31)),
    st.data(),
)
def test_a_day_written_in_any_accepted_way_reads_back_as_that_day(
    day: date, data: st.DataObject
) -> None:
    written = data.draw(st.sampled_from(_western(day) + _japanese(day)))
    width = data.draw(st.sampled_from(WIDTHS))
    assert read_date(width(written)) == day
