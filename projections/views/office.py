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
from domain.rules.cal import add_months, day_before, month_end, month_of
from domain.rules.catalogue import RULES
from domain.rules.rate import retention_rate
from domain.rules.schedule import NOT_REGISTERED_JA, FeeSchedule, builtin
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


def due_months(on: dt.date) -> tuple[str, str]:
    """The months :func:`due_items` reads: the one before ``on``'s and ``on``'s own."""
    return month_of(add_months(dt.date(on.year, on.month, 1), -1)), month_of(on)


def due_items(row: CaseRow, on: dt.date) -> list[DueItem]:
    """What the case needs on ``on`` (its row evaluated on ``on``), each with its rule."""
    if row.status_on(on) not in SUPPORTING:
        return []
    d = row.derived
    items: list[DueItem] = []
    previous, month = due_months(on)
    this = next((m for m in row.months if m.month == month), None)
    last_day = month_end(on)
    left = days_left_in_month(on)
    if this is not None and not this.face_to_face:
        text = f"今月({month})の本人との対面支援がまだです(月末まで残り{left}日)"
        items.append(DueItem("MON-1", text, last_day))
    if this is not None and not this.report_shared:
        text = f"{month}分の支援レポートをまだ本人・関係者と共有していません"
        items.append(DueItem("MON-4", text, last_day))
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
    # PLAN-1 (no plan yet) is the first plan's due day; PLAN-2 the next review's.
    what = "最初の支援計画の期限" if rule == "PLAN-1" else "支援計画の見直し期限"
    if plan["overdue"]:
        return [DueItem(rule, f"{what}({due.isoformat()})を過ぎています", due, True, events)]
    if (due - on).days <= PLAN_WARNING_DAYS:
        return [DueItem(rule, f"{what}は{due.isoformat()}です", due, False, events)]
    return []


def _end_sharing(d: dict[str, Any], on: dt.date) -> list[DueItem]:
    """END-2 ⚠: sharing with the employer and agencies starts 3 months before the end."""
    end = _date(d.get("support_end"))
    if end is None:
        return []
    start_by = evid_end.end_sharing_starts_by(end)
    if on < start_by:
        return []
    last = d["last_sharing"]
    if last is not None and dt.date.fromisoformat(last["on"]) >= start_by:
        return []
    text = (
        f"支援期間は{end.isoformat()}に終わります。{start_by.isoformat()}から事業主・関係機関との"
        "情報共有(同意のうえ)を始める必要がありますが、まだ記録がありません"
    )
    return [DueItem("END-2", text, start_by, True, tuple(d["support_end"]["events"]))]


def _evidence(d: dict[str, Any], on: dt.date) -> list[DueItem]:
    """EVID-1 ⚠: each support year's proof of retention, due by the year's last day and
    listed from 60 days before it (:func:`domain.rules.evid_end.evidence_due`)."""
    start = _date(d.get("support_from")) or _date(d.get("eligible_from"))
    if start is None or on < start:
        return []
    events = tuple((d.get("support_from") or d.get("eligible_from") or {}).get("events", ()))
    proofs = [(dt.date.fromisoformat(e["covers_on"]), e["kind"]) for e in d["evidence"]]
    items: list[DueItem] = []
    for due in evid_end.evidence_due(start, _date(d.get("support_end")), proofs, on):
        year, last = due.year, due.year.last_day
        what = (
            f"支援{year.number}年目({year.first_day.isoformat()}〜)の在職の証明(在職証明書、"
            "難しければ給与明細・保険証の写し)"
        )
        if due.overdue:
            text = f"{what}が、期限の{last.isoformat()}を過ぎてもまだありません"
        else:
            text = f"{what}は{last.isoformat()}までに必要です(あと{(last - on).days}日)"
        items.append(DueItem("EVID-1", text, last, due.overdue, events))
    return items


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


def billing_lines(rows: Sequence[CaseRow], month: str, today: dt.date) -> list[dict[str, Any]]:
    """The office's billing check for ``month``: one line per case with the month in its
    support period. The API, the page and its downloads all list exactly these lines."""
    lines = [billing_line(r, month, today) for r in rows]
    return [line for line in lines if line["verdict"] != "out_of_period"]


@dataclass(frozen=True, slots=True)
class BillingTotals:
    """The billing check summed up: persons, months by verdict, reasons by rule id."""

    persons: int
    billable: int
    unbillable: int
    in_progress: int
    #: rule id → (unbillable months, months in progress) naming it, in rule order.
    reasons: dict[str, tuple[int, int]]


def billing_totals(lines: Sequence[dict[str, Any]]) -> BillingTotals:
    """Sums of :func:`billing_lines`: a person is one 受給者証番号 (an erased one a case)."""
    persons = {_person_key(ln["recipient_number"], ln["case_id"]) for ln in lines}
    verdicts = [ln["verdict"] for ln in lines]
    counted: dict[str, list[int]] = {}
    for ln in lines:
        if ln["verdict"] in ("unbillable", "in_progress"):
            for rule in dict.fromkeys(r["rule"] for r in ln["reasons"]):  # once per month
                counted.setdefault(rule, [0, 0])[1 if ln["verdict"] == "in_progress" else 0] += 1
    order = list(RULES)
    ranked = sorted(counted, key=lambda r: order.index(r) if r in RULES else len(order))
    return BillingTotals(
        persons=len(persons), billable=verdicts.count("billable"),
        unbillable=verdicts.count("unbillable"), in_progress=verdicts.count("in_progress"),
        reasons={r: (counted[r][0], counted[r][1]) for r in ranked},
    )  # fmt: skip


def _person_key(number: Any, case_id: Any) -> str:
    """One person per 受給者証番号; an erased one (no number any more) per case."""
    return str(number) if number and number != ERASED else f"case:{case_id}"


# -- retention (RATE ⚠) ----------------------------------------------------------------


@dataclass
class Retention:
    fiscal_year: int
    window: tuple[dt.date, dt.date]
    counted_on: dt.date
    users: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, schedule: FeeSchedule | None = None) -> dict[str, Any]:
        retained = [u for u in self.users if u["retained"]]
        # VER-1: the tier's units are those of the version in force in the fiscal year
        # (its first day), not the latest version's: FY2023 is judged by 令和3年度.
        version = (schedule or builtin()).in_force(dt.date(self.fiscal_year, 4, 1))
        rate = retention_rate(len(retained), len(self.users), version) if self.users else None
        units = rate.units_per_month if rate and version is not None else None
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
            "units_per_month": units,
            "schedule_version": version.name if version else None,
            "schedule_title_ja": version.title_ja if version else None,
            "units_note_ja": (
                NOT_REGISTERED_JA if self.users and units is None else None
            ),
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
        key = _person_key(number, row.case_id)
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
    """Was the case in support on any day from ``first`` to ``last``?"""
    return any(
        start <= last and (end is None or end >= first) for start, end in _support_spans(row)
    )


def _support_spans(row: CaseRow) -> list[tuple[dt.date, dt.date | None]]:
    """The case's spans in support: a segment runs from its first day to the day before
    the next segment starts (the last one runs on: ``None``)."""
    segments = row.segments
    spans: list[tuple[dt.date, dt.date | None]] = []
    for i, (start, status) in enumerate(segments):
        end = day_before(segments[i + 1][0]) if i + 1 < len(segments) else None
        if status in SUPPORTING:
            spans.append((start, end))
    return spans


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year (年度) of ``day``: 1 April to 31 March, named by its first year."""
    return day.year if day.month >= 4 else day.year - 1


def retention_years(rows: Sequence[CaseRow], today: dt.date) -> list[int]:
    """The fiscal years up to ``today``'s whose rate counts someone, and ``today``'s own:
    a span in support in fiscal year Y is counted by the rates of Y+1, Y+2 and Y+3."""
    current = fiscal_year_of(today)
    years = {current}
    for row in rows:
        for start, end in _support_spans(row):
            last = fiscal_year_of(min(end, today) if end else today)
            for used in range(fiscal_year_of(start), last + 1):
                years.update(y for y in range(used + 1, used + 4) if y <= current)
    return sorted(years, reverse=True)


def _employed_on(row: CaseRow, day: dt.date) -> tuple[bool, list[int]]:
    for stint in row.derived["employment"]:
        hired = dt.date.fromisoformat(stint["hired_on"])
        left = stint["resigned_on"]
        if hired <= day and (left is None or dt.date.fromisoformat(left) >= day):
            return True, list(stint["events"])
    return False, [v for s in row.derived["employment"] for v in s["events"]]

