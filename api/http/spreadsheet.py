"""The office lists as files for spreadsheets: CSV (UTF-8 with BOM) and .xlsx.

One writer for every download — the API's ``format=csv`` and the staff pages' ``.csv`` and
``.xlsx`` (:mod:`api.web.downloads`) — so a list opens the same way wherever it came from.
Opening a list in Excel has two hazards, handled here and nowhere else:

**Leading zeros.** A spreadsheet reads a cell that looks like a number as a number:
受給者証番号 ``0000000001`` becomes ``1``, 市町村番号 ``011002`` becomes ``11002``, and the
month ``2024-10`` a date. The columns a table names in ``text_columns`` (numbers, codes,
months) are kept as text:

- in .xlsx, as string cells with the number format ``@`` (Excel's 「文字列」): the value
  is exactly ``0000000001``, and a number typed into the cell later stays text too;
- in CSV, which carries no types, a code of digits (or a month) is written after a TAB
  character: ``"\\t0000000001"``. Excel does not take a value that starts with a TAB for a
  number, so it keeps the text with its zeros; the TAB does not show in the cell. A
  program reading the CSV strips it (``value.strip()``). Not ``="0000000001"``: that is a
  formula, the very thing the next rule refuses, and a program reads it literally. Not an
  apostrophe: when Excel opens a CSV it does not read ``'`` as its "text" mark but shows
  it, in every row. Other spreadsheet programs may trim the TAB on import and drop the
  zeros: for them the .xlsx is the file to use.

**Formulas (CSV injection).** Text from the records (a name typed as
``=HYPERLINK("http://…","…")``) that starts with ``=``, ``+``, ``-``, ``@``, TAB or CR
could be run by the spreadsheet as a formula. Such a value is written with a leading
apostrophe, ``'=HYPERLINK(…)``, in CSV and .xlsx alike (in .xlsx as a string cell):
shown as text, apostrophe included, never evaluated. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

#: What a spreadsheet may take for the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A value of a text column kept as text in CSV with a TAB: digits, or a month YYYY-MM.
_CODE = re.compile(r"[0-9]+(-[0-9]{2})?")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Table:
    """A list as a spreadsheet sees it: Japanese headers, one row per line.

    ``name`` is the file's name (Japanese, without extension), ``ascii_name`` its
    fallback for programs that read only ``filename=``; ``title`` names the sheet.
    """

    title: str
    name: str
    ascii_name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    text_columns: frozenset[str] = frozenset()

    def is_text(self, column: int) -> bool:
        return self.header[column] in self.text_columns


def neutralised(value: str) -> str:
    """``value`` as text a spreadsheet will not evaluate: formula-like values get ``'``."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value: Any, text: bool) -> Any:
    """One CSV field: a formula-like text neutralised; a code of a text column after a TAB."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if text and _CODE.fullmatch(value):
        return "\t" + value
    return neutralised(value)


def csv_bytes(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a BOM (so Excel reads Japanese), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in table.header])
    for row in table.rows:
        writer.writerow([csv_cell(v, table.is_text(i)) for i, v in enumerate(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    """The table as one .xlsx sheet: text columns as text cells (``@``), header frozen."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = table.title[:31]  # Excel's limit on a sheet's name
    sheet.append([neutralised(h) for h in table.header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(v) for v in row])
    for i, column in enumerate(sheet.iter_cols(min_row=1), start=0):
        for cell in column:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula or an error code ("#N/A")
            if table.is_text(i) and cell.row > 1:
                cell.number_format = "@"
        width = max(_width(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, width + 2))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a Japanese character about two."""
    return sum(1 if ord(ch) < 0x2E80 else 2 for ch in text)


def _xlsx_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    # .xlsx cannot hold control characters other than TAB, LF and CR
    return ILLEGAL_CHARACTERS_RE.sub("", neutralised(value))


def download(table: Table, kind: str) -> Response:
    """The table as an attachment, ``kind`` "csv" or "xlsx", named in Japanese and ASCII."""
    body = csv_bytes(table) if kind == "csv" else xlsx_bytes(table)
    return Response(body, media_type=MEDIA_TYPES[kind],
                    headers={"Content-Disposition": attachment(table, kind)})  # fmt: skip


def attachment(table: Table, kind: str) -> str:
    """``Content-Disposition`` (RFC 6266): an ASCII ``filename`` and the Japanese
    ``filename*=UTF-8''…``, which browsers prefer."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{table.ascii_name}.{kind}")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(table.name)}.{kind}"
