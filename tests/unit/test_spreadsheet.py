"""The office lists as files (api.http.spreadsheet): what a spreadsheet will show of each
cell — codes as text with their zeros, formula-like text never evaluated."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from api.http.spreadsheet import Table, attachment, csv_bytes, xlsx_bytes

HEADER = ["受給者証番号", "氏名", "対面支援回数", "メモ"]


def _table(*rows: list[object]) -> Table:
    return Table("一覧", "一覧_1310100001", "list-1310100001", HEADER, list(rows),
                 frozenset({"受給者証番号"}))  # fmt: skip


def _csv_rows(table: Table) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8-sig"))))[1:]


def _xlsx_cells(table: Table) -> list[list[tuple[object, str, str]]]:
    sheet = load_workbook(io.BytesIO(xlsx_bytes(table))).active
    assert sheet is not None
    return [[(c.value, c.data_type, c.number_format) for c in row]
            for row in sheet.iter_rows(min_row=2)]  # fmt: skip


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_starting_like_a_formula_is_written_behind_an_apostrophe(start: str) -> None:
    value = f"{start}SUM(1,2)"
    table = _table(["0000000001", value, 1, "ふつうのメモ"])
    assert _csv_rows(table)[0][1] == "'" + value
    name = _xlsx_cells(table)[0][1]
    # A string cell, never a formula (XML reads a CR back as LF)
    assert name[:2] == ("'" + value.replace("\r", "\n"), "s")


def test_codes_of_a_text_column_keep_their_zeros_and_nothing_else_is_touched() -> None:
    table = _table(["0000000001", "試験 花子", 3, "0012"])
    (row,) = _csv_rows(table)
    # Only the text column's code is behind a TAB; a number stays a number
    assert row == ["\t0000000001", "試験 花子", "3", "0012"]
    (cells,) = _xlsx_cells(table)
    assert cells[0] == ("0000000001", "s", "@")
    assert cells[2][:2] == (3, "n") and cells[3][2] == "General"


def test_a_formula_in_a_text_column_is_neutralised_not_taken_for_a_code() -> None:
    table = _table(["=1+1", "x", 0, ""])
    assert _csv_rows(table)[0][0] == "'=1+1"
    assert _xlsx_cells(table)[0][0] == ("'=1+1", "s", "@")


def test_xlsx_keeps_an_error_code_as_text_and_drops_characters_it_cannot_hold() -> None:
    (cells,) = _xlsx_cells(_table(["0000000001", "#N/A", 0, "a\x00b\x07c"]))
    assert cells[1][:2] == ("#N/A", "s")
    assert cells[3][0] == "abc"


def test_the_file_is_named_in_japanese_with_an_ascii_fallback() -> None:
    header = attachment(_table(), "csv")
    assert header.startswith('attachment; filename="list-1310100001.csv"; ')
    assert unquote(header.split("filename*=UTF-8''")[1]) == "一覧_1310100001.csv"
    assert header.isascii()
