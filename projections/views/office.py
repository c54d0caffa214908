"""An office's monthly work, read from the stored case views: what is due, what may be
billed, and the retention rate (就労定着率) with the persons behind it.

Pure functions of :class:`projections.views.row.CaseRow` values (the rows hold the fold's
own dates and verdicts, each with its rule id and source versions). Period arithmetic is
:mod:`domain.rules.cal`'s and the rulebook's (:mod:`domain.rules`); nothing here counts
months by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.payloads import ERASED
from domain.rules import evid_end, per
from domain.rules.cal import add_months, day_before, month_end, month_of, next_period_start
from domain.rules.catalogue import RULES
from domain.rules.rate import retention_rate
from projections.views.row import CaseRow

PLAN_WARNING_DAYS = 14  # PLAN-2: shown as coming up two weeks ahead
SUPPORTING = ("in_support",)


@dataclass(frozen=True, slots=True)
class DueItem:
    """One thing a case needs; ``overdue`` when its day has passed."""

    rule: str
    text_ja: str
    due_on: dt.date | None = None
    overdue: bool = False
    events: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "text_ja": self.text_ja,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "overdue": self.overdue,
            "events": list(self.events),
            "interpretive": RULES[self.rule].interpretive,
        }


def days_left_in_month(on: dt.date) -> int:
    """Days still open in ``on``'s month, counting ``on`` itself (MON-1: a face-to-face
    contact may still be made on any of them). The dashboard and the case page ask this."""
    return (month_end(on) - on).days + 1


def _date(value: dict[str, Any] | None) -> dt.date | None:
    return dt.date.fromisoformat(value["date"]) if value else None


def due_items(row: CaseRow, on: dt.date) -> list[DueItem]:
    """What the case needs on ``on`` (its row evaluated on ``on``), each with its rule."""
    if row.status_on(on) not in SUPPORTING:
        return []
    d = row.derived
    items: list[DueItem] = []
    month = month_of(on)
    this = next((m for m in row.months if m.month == month), None)
    last_day = month_end(on)
    left = days_left_in_month(on)
    if this is not None and not this.face_to_face:
        text = f"今月({month})の本人との対面支援がまだです(月末まで残り{left}日)"
        items.append(DueItem("MON-1", text, last_day))
    if this is not None and not this.report_shared:
        text = f"{month}分の支援レポートをまだ本人・関係者と共有していません"
        items.append(DueItem("MON-4", text, last_day))
    previous = month_of(add_months(dt.date(on.year, on.month, 1), -1))
    before = next((m for m in row.months if m.month == previous), None)
    if before is not None and not before.report_shared:
        text = f"{previous}分の支援レポートがまだ共有されていません(この月の請求の前に必要です)"
        items.append(DueItem("MON-4", text, month_end(add_months(on, -1)), overdue=True))
    items += _renewal(d, on) + _plan(d, on) + _end_sharing(d, on) + _evidence(d, on)
    return items


def _renewal(d: dict[str, Any], on: dt.date) -> list[DueItem]:
    due = _date(d.get("renewal_due_by"))
    if due is None or not per.renewal_warning(due, on):
        return []
    events = tuple(d["renewal_due_by"]["events"])
    text = f"支給決定が{due.isoformat()}に終わります(あと{(due - on).days}日)。更新の申請が必要です"
    return [DueItem("PER-4", text, due, False, events)]


def _plan(d: dict[str, Any], on: dt.date) -> list[DueItem]:
    plan = d["plan"]
    due = dt.date.fromisoformat(plan["review_due_by"]) if plan["review_due_by"] else None
    if due is None:
        return []
    rule, events = plan["rule"], tuple(plan["events"])
    if plan["overdue"]:
        return [DueItem(rule, f"支援計画の見直し期限({due.isoformat()})を過ぎています", due, True,
                        events)]  # fmt: skip
    if (due - on).days <= PLAN_WARNING_DAYS:
        return [DueItem(rule, f"支援計画の見直し期限は{due.isoformat()}です", due, False, events)]
    return []


def _end_sharing(d: dict[str, Any], on: dt.date) -> list[DueItem]:
    """END-2 ⚠: sharing with the employer and agencies starts 3 months before the end."""
    end = _date(d.get("support_end"))
    if end is None:
        return []
    start_by = evid_end.end_sharing_starts_by(end)
    if on < start_by:
        return []
    started = [s for s in d["sharings"] if dt.date.fromisoformat(s["on"]) >= start_by]
    if started:
        return []
    text = (
        f"支援期間は{end.isoformat()}に終わります。{start_by.isoformat()}から事業主・関係機関との"
        "情報共有(同意のうえ)を始める必要がありますが、まだ記録がありません"
    )
    return [DueItem("END-2", text, start_by, True, tuple(d["support_end"]["events"]))]


def _evidence(d: dict[str, Any], on: dt.date) -> list[DueItem]:
    """EVID-1: proof of retention within the current support year (12-month periods)."""
    start = _date(d.get("support_from")) or _date(d.get("eligible_from"))
    if start is None or on < start:
        return []
    year_start, year = start, 1
    while next_period_start(start, 12 * year) <= on:
        year_start, year = next_period_start(start, 12 * year), year + 1
    proofs = [
        e for e in d["evidence"]
        if year_start <= dt.date.fromisoformat(e["covers_on"]) <= on
        and evid_end.is_accepted_evidence(e["kind"])
    ]  # fmt: skip
    if proofs:
        return []
    text = (
        f"支援{year}年目({year_start.isoformat()}〜)の在職の証明(在職証明書、"
        "難しければ給与明細・保険証の写し)がまだありません"
    )
    return [DueItem("EVID-1", text)]


# -- billing ---------------------------------------------------------------------------


def billing_line(row: CaseRow, month: str, today: dt.date) -> dict[str, Any]:
    """One line of the office's billing check for ``month`` (not the 国保連 format)."""
    found = next((m for m in row.months if m.month == month), None)
    in_progress = month == month_of(today)
    if found is None:
        outside = {"rule": "PER-1", "text_ja": "この月は支援の対象期間外です", "events": []}
        verdict, reasons = "out_of_period", [outside]
    else:
        verdict = "billable" if found.billable else ("in_progress" if in_progress else "unbillable")
        reasons = list(found.reasons)
    return {
        "case_id": str(row.case_id),
        "name": row.person.get("name"),
        "recipient_number": row.person.get("recipient_number"),
        "municipality_code": row.person.get("municipality_code"),
        "month": month,
        "verdict": verdict,
        "face_to_face": found.face_to_face if found else 0,
        "report_shared": found.report_shared if found else False,
        "reasons": reasons,
    }


# -- retention (RATE ⚠) ----------------------------------------------------------------


@dataclass
class Retention:
    fiscal_year: int
    window: tuple[dt.date, dt.date]
    counted_on: dt.date
    users: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        retained = [u for u in self.users if u["retained"]]
        rate = retention_rate(len(retained), len(self.users)) if self.users else None
        return {
            "fiscal_year": self.fiscal_year,
            "users_from": self.window[0].isoformat(),
            "users_to": self.window[1].isoformat(),
            "employed_on": self.counted_on.isoformat(),
            "users": self.users,
            "denominator": len(self.users),
            "numerator": len(retained),
            "rate": str(rate.rate) if rate else None,
            "percent": round(rate.percent, 2) if rate else None,
            "units_per_month": rate.units_per_month if rate else None,
            "rule": "RATE",
            "interpretation_ja": (
                "⚠ 利用者は、過去3年度のいずれかの日に「支援中」だった人(受給者証番号ごと)、"
                "定着者はそのうち前年度末日に雇用が続いていた人として数えています"
            ),
        }


def retention(rows: Sequence[CaseRow], fiscal_year: int) -> Retention:
    """RATE ⚠: persons employed on the last day of the previous fiscal year ÷ persons who
    used 就労定着支援 in the three fiscal years before ``fiscal_year``."""
    first = dt.date(fiscal_year - 3, 4, 1)
    last = dt.date(fiscal_year, 3, 31)
    out = Retention(fiscal_year, (first, last), last)
    persons: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not _supported_within(row, first, last):
            continue
        number = row.person.get("recipient_number")
        # One person per 受給者証番号; an erased one (no number any more) per case.
        key = str(number) if number and number != ERASED else f"case:{row.case_id}"
        employed = _employed_on(row, last)
        shown = str(number or row.case_id)
        entry = persons.setdefault(key, {"recipient_number": shown, "name": row.person.get("name"),
                                         "cases": [], "retained": False, "events": []})  # fmt: skip
        entry["cases"].append(str(row.case_id))
        entry["retained"] = entry["retained"] or employed[0]
        entry["events"] += employed[1]
    out.users = sorted(persons.values(), key=lambda u: u["recipient_number"])
    return out


def _supported_within(row: CaseRow, first: dt.date, last: dt.date) -> bool:
    """Was the case in support on any day from ``first`` to ``last``? A segment runs from
    its first day to the day before the next segment starts (the last one runs on)."""
    segments = row.segments
    for i, (start, status) in enumerate(segments):
        end = day_before(segments[i + 1][0]) if i + 1 < len(segments) else None
        if status in SUPPORTING and start <= last and (end is None or end >= first):
            return True
    return False


def _employed_on(row: CaseRow, day: dt.date) -> tuple[bool, list[int]]:
    for stint in row.derived["employment"]:
        hired = dt.date.fromisoformat(stint["hired_on"])
        left = stint["resigned_on"]
        if hired <= day and (left is None or dt.date.fromisoformat(left) >= day):
            return True, list(stint["events"])
    return False, [v for s in row.derived["employment"] for v in s["events"]]

