"""氏名(カナ) is stored in katakana however it was typed (issue 20), by every door; a stored
reading is read exactly as it was stored."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.history import parse_payload
from domain.kana import katakana_reading
from domain.payloads import ERASED, InvalidPayload, validate_payload
from tests.factories import CaseBuilder, case_opened_payload


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("しけん はなこ", "シケン ハナコ"),  # hiragana, as an IME gives it
        ("しけん\u3000はなこ", "シケン ハナコ"),  # a full-width space
        ("ｼｹﾝ ﾊﾅｺ", "シケン ハナコ"),  # half-width katakana
        ("ﾀﾞｲｺﾞ", "ダイゴ"),  # voiced marks join their kana
        ("  シケン   ハナコ ", "シケン ハナコ"),  # spaces: one between parts, none at the ends
        ("ゔぃくとりあ・すみす", "ヴィクトリア・スミス"),
    ],
)
def test_a_reading_is_stored_in_katakana_with_one_space_between_parts(
    typed: str, stored: str
) -> None:
    b = CaseBuilder(person={"name": "試験 花子", "name_kana": typed})
    assert b.records[0].payload["person"]["name_kana"] == stored


def test_a_correction_of_the_opening_stores_the_reading_in_katakana_too() -> None:
    b = CaseBuilder()
    opened = dict(b.records[0].payload)
    b.correct(1, **{**opened, "person": {"name": "試験 花子", "name_kana": "しけん はなこ"}})
    assert b.records[-1].payload["replacement"]["person"]["name_kana"] == "シケン ハナコ"


def test_only_a_reading_sent_is_converted_not_a_stored_one_nor_the_erased_marker() -> None:
    typed = case_opened_payload(person={"name": "試験 花子", "name_kana": "しけん はなこ"})
    assert validate_payload("case_opened", typed).person.name_kana == "シケン ハナコ"  # type: ignore[attr-defined]
    # A case opened before issue 20 may hold a reading in hiragana: it reads as written,
    # so what the hash chain covers and what the pages show stay the same.
    assert parse_payload("case_opened", typed).person.name_kana == "しけん はなこ"  # type: ignore[attr-defined]
    # The erased marker is still refused as input, and read as it is when stored
    erased = case_opened_payload(person={"name": "試験 花子", "name_kana": ERASED})
    with pytest.raises(InvalidPayload) as refused:
        validate_payload("case_opened", erased)
    assert refused.value.problems[0].field == "person.name_kana"
    assert parse_payload("case_opened", erased).person.name_kana == ERASED  # type: ignore[attr-defined]


@given(st.text(max_size=30))
def test_reading_a_reading_again_changes_nothing(text: str) -> None:
    once = katakana_reading(text)
    assert katakana_reading(once) == once
