"""The support report (MON-4) as an A4 PDF in Japanese, with fpdf2.

The font must render Japanese on a fresh machine that has only Python and PyPI: Debian's
IPAPGothic (fonts-ipafont-gothic, its proportional face) is used when installed, else
IPAexGothic as shipped inside the PyPI package japanize-matplotlib (a dependency of the
project; its file is read from disk, matplotlib is never imported). Both are IPA Font License fonts,
embedded as a subset.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from projections.support_report import Line, SupportReport

#: fonts-ipafont-gothic's proportional face (Debian, Ubuntu); ipag.ttf is fixed-width.
DEBIAN_FONT = Path("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf")
FONT = "jp"


def japanese_font(debian: Path = DEBIAN_FONT) -> Path:
    """Debian's IPAPGothic when present, else the IPAexGothic file japanize-matplotlib ships."""
    if debian.is_file():
        return debian
    spec = importlib.util.find_spec("japanize_matplotlib")  # locates, does not import
    if spec is None or spec.origin is None:
        raise RuntimeError("日本語フォントがありません: pip install japanize-matplotlib")
    return Path(spec.origin).parent / "fonts" / "ipaexg.ttf"


class _Report(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.cell(0, 5, f"{self.footer_text}  {self.page_no()}/{{nb}}", align="C")


def render_pdf(
    report: SupportReport, sha256: str, font: Path | None = None, *, office_copy: bool = True
) -> bytes:
    """The report as PDF bytes. The office's copy (事業所控え) carries the content's SHA-256
    in every page's footer and the rule ids of the MON-1 verdict; the copy handed to the
    person and the employer carries neither (words they do not use)."""
    pdf = _Report(f"事業所控え 内容のSHA-256: {sha256}" if office_copy else "支援レポート")
    pdf.add_font(FONT, fname=str(font or japanese_font()))
    pdf.set_title(f"支援レポート {report.month}")
    pdf.set_lang("ja")
    pdf.set_creator("teichaku")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    year, month = report.month.split("-")
    pdf.set_font(FONT, size=16)
    _text(pdf, f"就労定着支援 支援レポート({year}年{int(month)}月分)", 10)
    pdf.set_font(FONT, size=10)
    _text(pdf, f"対象月: {report.month}    利用者: {report.person} 様", 6)
    _text(pdf, f"事業所番号: {report.office_id}    就労先: {report.employer or '—'}", 6)
    _section(pdf, f"本人との対面支援({len(report.face_to_face)}回)")
    _lines(pdf, report.face_to_face, "今月、本人との対面支援の記録はありません。")
    _section(pdf, "事業主との連絡・訪問")
    _lines(pdf, report.employer_contacts, "今月、事業主との連絡の記録はありません。")
    if report.other_contacts:
        _section(pdf, "その他の連絡・ケース会議")
        _lines(pdf, report.other_contacts, "")
    _section(pdf, "支援計画の目標")
    revised = report.plan_revised_on.isoformat() if report.plan_revised_on else None
    goals = [f"・{g}" for g in report.goals]
    _text(pdf, "\n".join([f"(計画の見直し日 {revised})", *goals]) if revised else "計画なし", 6)
    _section(pdf, "対面支援の要件(MON-1)" if office_copy else "対面支援の要件")
    _text(pdf, _verdict_text(report, office_copy), 6)
    _section(pdf, "今月の様子")
    _text(pdf, report.situation, 6)
    _section(pdf, "次月に向けて")
    _text(pdf, report.next_steps, 6)
    return bytes(pdf.output())


def _verdict_text(report: SupportReport, rules: bool) -> str:
    v = report.verdict
    if v.met:
        return f"満たしています({'MON-1: ' if rules else ''}本人との対面支援 {v.face_to_face}回)"
    reasons = (f"{rule}: {text}" if rules else f"・{text}" for rule, text in v.reasons)
    return "\n".join(["満たしていません", *reasons])


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, size=12)
    _text(pdf, f"■ {title}", 7)
    pdf.set_font(FONT, size=10)


def _text(pdf: FPDF, text: str, height: float) -> None:
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _lines(pdf: FPDF, lines: Sequence[Line], empty: str) -> None:
    if not lines:
        _text(pdf, empty, 6)
        return
    pdf.set_font(FONT, size=9)
    heading = FontFace(emphasis="", fill_color=(238, 242, 247))  # one weight: no bold face
    with pdf.table(
        col_widths=(22, 36, 18, 28, 86), text_align="LEFT", headings_style=heading
    ) as table:
        table.row(["日付", "相手", "方法", "場所", "内容"])
        for x in lines:
            table.row([x.day.isoformat(), x.with_ja, x.mode_ja, x.place, x.summary])
    pdf.set_font(FONT, size=10)
