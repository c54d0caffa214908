"""One form for what staff type when they look a person up, and the blind index of the
受給者証番号 (domain/finding.py, decision 0035)."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from domain.finding import (
    blind_number,
    index_key,
    masked_number,
    number_form,
    search_form,
)
from domain.payloads import ERASED

HIRAGANA = st.text(st.characters(min_codepoint=0x3041, max_codepoint=0x3096), min_size=1)
SPACES = st.sampled_from([" ", "\u3000", "  ", "\t"])


def test_a_reading_is_the_same_in_hiragana_katakana_and_half_width_katakana() -> None:
    typed = ("みほん いちろう", "ミホン\u3000イチロウ", "ﾐﾎﾝ ｲﾁﾛｳ", "ミホンイチロウ")
    forms = {search_form(t) for t in typed}
    assert forms == {"ミホンイチロウ"}
    assert search_form("ﾀﾞｲｽｹ") == search_form("だいすけ") == "ダイスケ"  # 濁点 joined
    assert search_form("ゔぁ") == "ヴァ" and search_form("ゝ") == "ヽ"


def test_a_name_is_the_same_with_or_without_its_spaces_and_in_any_width() -> None:
    assert search_form("見本 一郎") == search_form("見本一郎") == search_form("見本\u3000一郎")
    assert search_form("ＭＩＨＯＮ Taro") == search_form("mihontaro")


@given(HIRAGANA)
def test_hiragana_reads_as_the_katakana_at_the_same_place(text: str) -> None:
    katakana = "".join(chr(ord(c) + 0x60) for c in text)
    assert search_form(text) == search_form(katakana)


@given(st.text(), st.data())
def test_spaces_typed_anywhere_do_not_change_the_form(text: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)))
    spaced = text[:at] + data.draw(SPACES) + text[at:]
    assert search_form(spaced) == search_form(text)


@given(st.text())
def test_the_form_of_a_form_is_itself(text: str) -> None:
    assert search_form(search_form(text)) == search_form(text)


def test_a_number_is_read_in_full_width_digits_with_spaces_or_hyphens() -> None:
    assert number_form("１２３４５６７８９０") == "1234567890"
    assert number_form("1234-567 890") == number_form("１２３４－５６７８９０") == "1234567890"
    assert number_form("みほん") is None and number_form(ERASED) is None
    assert number_form("") is None


def test_only_the_last_four_digits_are_shown() -> None:
    assert masked_number("0000000001") == "******0001"
    assert masked_number("123") == "***" and masked_number(None) is None


def test_the_index_is_keyed_by_the_kek_and_reads_the_number_in_any_width() -> None:
    kek, other = os.urandom(32), os.urandom(32)
    key = index_key(kek)
    assert key != kek and len(key) == 32 and index_key(kek) == key
    entry = blind_number(key, "1234567890")
    assert entry is not None and "1234567890" not in entry
    assert blind_number(key, "１２３４５６７８９０") == entry
    assert blind_number(index_key(other), "1234567890") != entry  # a new KEK, a new index
    assert blind_number(key, "1234567891") != entry
    assert blind_number(key, ERASED) is None
