"""The 実績記録票 (就労定着支援) as an A4 PDF laid out like the official form, with fpdf2.

One page per person: the title 就労定着支援提供実績記録票 with the month in 和暦 and 西暦,
the header block (受給者証番号, 支給決定障害者等氏名, 事業所番号, 市町村番号, サービス提供年月),
the detail table (日付, 曜日, 算定日数, 特別地域加算, 地域連携会議実施加算 (Ⅰ)=1 (Ⅱ)=2, 備考)
with a row for every day of the month (土日 shaded), then the totals (合計算定日数,
初期加算 利用開始日 / 30日目 / 当月算定日数, 特別地域加算(回), 定着支援連携促進加算(回),
支援レポート共有日). The font is the support report's (:func:`api.http.report_pdf.japanese_font`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from api.http.report_pdf import FONT, japanese_font
from domain.rules.cal import days_in, month_end
from projections.record_sheet import RecordSheet

WEEKDAYS_JA = "月火水木金土日"
_HEAD = FontFace(emphasis="", fill_color=(230, 236, 244))
_LABEL = FontFace(emphasis="", fill_color=(238, 238, 238))
_WEEKEND = FontFace(emphasis="", fill_color=(246, 246, 246))
VERDICT_JA = {"billable": "請求可", "unbillable": "請求不可(基本報酬なし)",
              "in_progress": "月の途中", "out_of_period": "対象期間外"}  # fmt: skip


def render_sheets(
    sheets: Sequence[RecordSheet], people: Mapping[str, Mapping[str, Any]],
    font: Path | None = None,
) -> bytes:  # fmt: skip
    """Every sheet on its own A4 page (a sheet without a person shows a blank name)."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, fname=str(font or japanese_font()))
    pdf.set_title("就労定着支援提供実績記録票")
    pdf.set_lang("ja")
    pdf.set_creator("teichaku")
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.set_margins(12, 10, 12)
    if not sheets:
        pdf.add_page()
        pdf.set_font(FONT, size=11)
        pdf.cell(0, 8, "この月の実績記録票の対象者はいません。")
    for sheet in sheets:
        _page(pdf, sheet, people.get(sheet.case_id, {}))
    return bytes(pdf.output())


def era_month(year: int, month: int) -> str:
    """``2026, 11`` → ``令和8年11月`` (平成 before 2019-05, as the forms print it)."""
    if (year, month) >= (2019, 5):
        n = year - 2018
        return f"令和{'元' if n == 1 else n}年{month}月"
    return f"平成{year - 1988}年{month}月"


def _labelled(row: Any, cells: Sequence[tuple[str, str]]) -> None:
    """A header row of the form: each label cell shaded, its value beside it."""
    for label, value in cells:
        row.cell(label, style=_LABEL)
        row.cell(value)


def _page(pdf: FPDF, sheet: RecordSheet, person: Mapping[str, Any]) -> None:
    """One person's month on one A4 page, in the order of the official form: the title
    with the service month (和暦 and 西暦), the header block, a row for every day with
    the 曜日 (Saturdays and Sundays shaded), the totals and the 初期加算 block."""
    pdf.add_page()
    h = sheet.header
    year, month = (int(p) for p in sheet.month.split("-"))
    pdf.set_font(FONT, size=14)
    pdf.cell(0, 8, "就労定着支援提供実績記録票", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, f"{era_month(year, month)}分({year}年{month}月)", align="C",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(1)
    pdf.set_font(FONT, size=9)
    verdict = VERDICT_JA.get(sheet.verdict, sheet.verdict)
    with pdf.table(col_widths=(24, 26, 36, 40, 22, 38), text_align="LEFT",
                   first_row_as_headings=False, line_height=6) as table:  # fmt: skip
        _labelled(table.row(), [("受給者証番号", h["recipient_number"] or ""),
                                ("支給決定障害者等氏名", str(person.get("name") or "")),
                                ("事業所番号", h["office_id"] or "")])  # fmt: skip
        _labelled(table.row(), [("市町村番号", h["municipality_code"] or ""),
                                ("サービス提供年月", h["service_month"]),
                                ("請求の判定", verdict)])  # fmt: skip
        named = table.row()  # 事業者及びその事業所: as registered in the office's 体制
        named.cell("事業所名", style=_LABEL)
        named.cell(h.get("office_name") or "(体制に事業所名が記録されていません)", colspan=5)
    pdf.ln(2)
    first = dt.date(year, month, 1)
    by_day = {ln.day: ln for ln in sheet.lines}
    pdf.set_font(FONT, size=8)
    with pdf.table(col_widths=(12, 10, 18, 22, 36, 88), text_align="CENTER",
                   headings_style=_HEAD, line_height=5.6) as table:  # fmt: skip
        table.row(["日付", "曜日", "算定日数", "特別地域加算", "地域連携会議実施加算\n(Ⅰ)=1 (Ⅱ)=2",
                   "備考"])  # fmt: skip
        for day in days_in(first, month_end(first)):
            ln = by_day.get(day)
            style = _WEEKEND if day.weekday() >= 5 else None
            row = table.row()
            for text in (str(day.day), WEEKDAYS_JA[day.weekday()],
                         str(ln.counted) if ln and ln.counted else "",
                         "1" if ln and ln.special_area else "",
                         str(ln.meeting) if ln and ln.meeting else ""):  # fmt: skip
                row.cell(text, style=style)
            row.cell(ln.note if ln else "", style=style, align="LEFT")
    pdf.ln(2)
    pdf.set_font(FONT, size=9)
    with pdf.table(col_widths=(36, 22, 30, 22, 34, 42), text_align="LEFT",
                   first_row_as_headings=False, line_height=6) as table:  # fmt: skip
        _labelled(table.row(), [("合計算定日数", str(h["total_days"])),
                                ("特別地域加算(回)", str(h["special_area_times"])),
                                ("地域連携会議(回)", str(h["meeting_times"]))])  # fmt: skip
        _labelled(table.row(), [("初期加算 利用開始日", ymd(h["start_day"])),
                                ("30日目", ymd(h["day30"])),
                                ("当月算定日数", "" if h["initial_days"] is None
                                 else str(h["initial_days"]))])  # fmt: skip
        _labelled(table.row(), [("支援レポート共有日", ymd(h["report_shared_on"])),
                                ("", ""), ("", "")])  # fmt: skip
    pdf.ln(1)
    pdf.set_font(FONT, size=7)
    as_of = f"(記録時点 {sheet.as_of.isoformat()})" if sheet.as_of else ""
    note = (
        "teichaku が記録から作成。算定日数は本人との対面支援の日(REC-1 要確認)。"
        f"括弧の(Ⅰ)(Ⅱ)は地域連携会議実施加算の区分。{as_of} ケースID {sheet.case_id}"
    )
    pdf.multi_cell(0, 4, align="L", text=note)


def ymd(text: str | None) -> str:
    if not text:
        return ""
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"
