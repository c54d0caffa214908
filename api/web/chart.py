"""The case's whole period as one SVG chart, and the same facts as rows of a table.

Rows: employments, the gap of a job change (JOB-2, or the open grace period of JOB-3 up
to its deadline), the six-month wait (ELIG-3), the eligibility window to the last eligible
day (ELIG-4), each decision (PER-1), and a line for the day shown. The table
(:attr:`Chart.rows`) is the chart's text equivalent.

Bar colours against the white chart background (WCAG non-text contrast, ≥ 3:1 needed;
all also pass 4.5:1): employment #1f5fa8 6.4:1, job-change gap #b35900 4.8:1, wait
#8a6d00 4.9:1, window #1d7a3a 5.4:1, decision #6b3fa0 7.4:1, today's line #b00020 7.3:1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from domain.days import FIRST_DAY, LAST_DAY
from domain.history import History
from domain.payloads import Hired
from domain.rules.cal import add_months, day_after, day_before

WIDTH, LABEL_W, ROW_H = 900, 150, 30
COLORS = {
    "employment": "#1f5fa8", "gap": "#b35900", "wait": "#8a6d00", "window": "#1d7a3a",
    "decision": "#6b3fa0",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Bar:
    row: str
    kind: str
    start: date
    end: date
    note: str


@dataclass(frozen=True, slots=True)
class Chart:
    svg: str
    rows: list[Bar]
    summary: str


def build_chart(history: History, entitlement: dict[str, Any], on: date) -> Chart:
    """The chart of a case as read at the history's ``as_of``, with today's line at ``on``."""
    bars = _employment_bars(history, entitlement, on) + _entitlement_bars(entitlement)
    if not bars:
        return Chart("", [], "就職の記録がないため、期間の図はまだありません。")
    # Drawn within domain.days' range: a date stored before the range was checked (say a
    # 支給決定 to 9999-12-31) is clipped at the chart's edge; the table still says it.
    first = max(min(b.start for b in bars), FIRST_DAY)
    last = add_months(min(max(max(b.end for b in bars), on), LAST_DAY), 1)  # a right margin
    return Chart(_svg(bars, first, last, on), bars, _summary(entitlement, on))


def _employment_bars(history: History, ent: dict[str, Any], on: date) -> list[Bar]:
    bars: list[Bar] = []
    current: Hired | None = None
    left_on: date | None = None
    for fact in history.facts:
        if isinstance(fact.payload, Hired):
            if left_on is not None:
                bars += _gap(
                    left_on, day_before(fact.payload.hired_on), "離職から再就職まで(JOB-2)"
                )
            current, left_on = fact.payload, None
        elif fact.type == "resigned" and current is not None:
            left_on = fact.effective_on
            bars.append(Bar("雇用", "employment", current.hired_on, left_on, current.employer.name))
            current = None
    if current is not None:
        bars.append(
            Bar("雇用", "employment", current.hired_on, on, f"{current.employer.name}(在職中)")
        )
    deadline = ent.get("job_change_deadline")
    if left_on is not None and deadline and ent.get("status") == "job_change_grace":
        bars += _gap(left_on, date.fromisoformat(deadline), f"転職の期限 {deadline}(JOB-3 ⚠)")
    return bars


def _gap(left_on: date, last: date, note: str) -> list[Bar]:
    """The days between leaving and the next hire (none when hired the very next day)."""
    first = day_after(left_on)
    return [Bar("転職の間", "gap", first, last, note)] if first <= last else []


def _entitlement_bars(ent: dict[str, Any]) -> list[Bar]:
    bars: list[Bar] = []
    base, eligible = ent.get("base_date"), ent.get("eligible_from")
    last = ent.get("support_end") or ent.get("last_eligible_day")
    if base and eligible:
        wait_end = day_before(date.fromisoformat(eligible))
        bars.append(Bar("6か月の待機", "wait", date.fromisoformat(base), wait_end, "ELIG-3"))
    if eligible and last:
        note = f"最終日 {last}(ELIG-4)"
        bars.append(
            Bar("対象期間", "window", date.fromisoformat(eligible), date.fromisoformat(last), note)
        )
    for n, d in enumerate(ent.get("decisions", []), 1):
        problems = "・".join(p["text_ja"] for p in d.get("problems", []))
        note = f"支給決定{n}" + (f"(問題: {problems})" if problems else "")
        start, end = date.fromisoformat(d["valid_from"]), date.fromisoformat(d["valid_to"])
        bars.append(Bar("支給決定", "decision", start, end, note))
    return bars


def _svg(bars: list[Bar], first: date, last: date, on: date) -> str:
    rows = list(dict.fromkeys(b.row for b in bars))
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        day = min(max(day, first), last)
        return LABEL_W + (WIDTH - LABEL_W - 10) * (day - first).days / span

    height = ROW_H * len(rows) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        '<title id="chart-title">支援期間の図</title>',
        '<desc id="chart-desc">下の表と同じ内容を図にしたものです</desc>',
    ]
    for i, row in enumerate(rows):
        y = 10 + i * ROW_H
        parts.append(f'<text x="4" y="{y + 19}" class="row-label">{escape(row)}</text>')
    for bar in bars:
        y = 10 + rows.index(bar.row) * ROW_H
        x0, x1 = x(bar.start), x(day_after(min(bar.end, last)))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 2):.1f}" height="{ROW_H - 10}" '
            f'fill="{COLORS[bar.kind]}" stroke="#fff"><title>{escape(bar.row)}: '
            f"{bar.start} 〜 {bar.end} {escape(bar.note)}</title></rect>"
        )
    for year in range(first.year + 1, last.year + 1):
        xs = x(date(year, 1, 1))
        parts.append(f'<line x1="{xs:.1f}" x2="{xs:.1f}" y1="5" y2="{height - 25}" class="grid"/>')
        parts.append(f'<text x="{xs + 2:.1f}" y="{height - 8}" class="axis">{year}年</text>')
    xo = x(on)
    parts.append(f'<line x1="{xo:.1f}" x2="{xo:.1f}" y1="2" y2="{height - 20}" class="today"/>')
    # Near the right edge the label goes to the left of the line, so it is never cut off.
    anchor, dx = ("end", -3) if xo > WIDTH - 90 else ("start", 3)
    parts.append(
        f'<text x="{xo + dx:.1f}" y="{height - 22}" text-anchor="{anchor}" '
        f'class="today-label">{on}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _summary(ent: dict[str, Any], on: date) -> str:
    eligible, last = ent.get("eligible_from"), ent.get("last_eligible_day")
    if not eligible:
        return f"{on} 時点: 対象期間はまだ決まっていません。"
    return f"{on} 時点: 対象期間は {eligible} から {last} まで。"
