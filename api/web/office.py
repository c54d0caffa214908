"""The office's monthly work as staff pages: what is due, the billing check, the retention
rate — the same view rows and rules as ``/offices/...`` (:mod:`api.http.routers.offices`).

A page and its downloads (:mod:`api.web.downloads`) read through the same function
(:func:`read_billing`, :func:`read_retention`), so a file lists exactly what the page
shows; each read is access-logged once under its own endpoint ("web:billing",
"web:billing.csv", …).

Each page and file also answers as of an instant (issue 21): ``as_of`` (what had been
recorded then) and ``on`` (the day the due list and the billing check judge on), read
as the case page reads them (:func:`api.web.pages._window`). Then the rows are folds of
the office's cases as known at ``as_of`` (:func:`api.http.routers.offices.office_rows_at`),
not the stored views, which answer for now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.http.auth import Forbidden, Principal, ensure_can_read
from api.http.routers.offices import VERDICT_JA, fold_day, office_rows, office_rows_at
from api.web.pages import _guarded, _page, _window
from domain.days import MONTH_RANGE_JA, month_in_range
from domain.history import tokyo_date
from domain.rules.cal import add_months, month_of
from projections.views.follower import CaseViews
from projections.views.office import (
    billing_lines,
    billing_totals,
    due_items,
    due_months,
    fiscal_year_of,
    retention,
    retention_years,
)
from projections.views.row import CaseRow
from projections.views.store import Months

router = APIRouter(include_in_schema=False)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTH_HINT_JA = f"月は YYYY-MM の形式で、{MONTH_RANGE_JA}"
#: The same years as the API's ``/offices/{id}/retention`` (the rate exists since 2018).
FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR = 2000, 2100
YEAR_HINT_JA = f"年度は {FIRST_FISCAL_YEAR} から {LAST_FISCAL_YEAR} までの西暦で指定してください"


@dataclass(frozen=True)
class Billing:
    """One read of the billing check: the month, its lines and the day it was read."""

    month: str
    lines: list[dict[str, Any]]
    today: date
    window: Window | None = None


@dataclass(frozen=True)
class Retention:
    """One read of the retention rate: the fiscal year, the report, the years to choose."""

    year: int
    report: dict[str, Any]
    years: list[int]
    window: Window | None = None


def _office(principal: Principal, office_id: str) -> str:
    if not re.fullmatch(r"[0-9]{10}", office_id):
        raise Forbidden("事業所番号は半角数字10桁です")
    ensure_can_read(principal, office_id)
    return office_id


@dataclass(frozen=True)
class Window:
    """What an office page answers for: the instant of knowledge (``as_of``, None: now)
    and the day things are judged on (``on``); ``problem`` when the address could not be
    read (the page then says so and shows now)."""

    as_of: datetime | None
    on: date
    today: date
    problem: str | None

    @property
    def query(self) -> str:
        """The window as query parameters for the page's links and downloads (or "")."""
        params = {}
        if self.as_of is not None:
            params["as_of"] = self.as_of.isoformat()
        if self.on != (tokyo_date(self.as_of) if self.as_of else self.today):
            params["on"] = self.on.isoformat()
        return urlencode(params)


def _read_window(request: Request) -> Window:
    cases = request.app.state.cases
    as_of, on, _, problem = _window(request, cases)
    return Window(as_of, on, tokyo_date(cases.clock()), problem)


def _rows(
    request: Request, principal: Principal, office_id: str, endpoint: str, kind: str = "due",
    months: Months = "*",
) -> tuple[Window, list[CaseRow]]:
    """The office's rows for the page's window: the stored views for now and today; folds
    of the cases as known at ``as_of``, on the day asked, otherwise (issue 21)."""
    cases = request.app.state.cases
    views: CaseViews = request.app.state.views
    gen, _ = views.fresh(5_000)
    window = _read_window(request)
    fold_on = fold_day(kind, window.as_of, window.on, window.today)
    if fold_on is None:
        return window, office_rows(views, cases, principal, office_id, window.today, endpoint,
                                   gen, months)  # fmt: skip
    rows = office_rows_at(views, cases, principal, office_id, window.as_of, fold_on, window.on,
                          endpoint, gen)  # fmt: skip
    return window, rows


def read_billing(
    request: Request, principal: Principal, office_id: str, month: str | None, endpoint: str
) -> Billing:
    """The billing check of ``month`` (default: the month that just ended), logged once;
    as known at the address's ``as_of`` and judged on its ``on`` when it names them."""
    window = _read_window(request)
    chosen = month or _last_month(window.on)
    window, rows = _rows(request, principal, _office(principal, office_id), endpoint, "billing",
                         (chosen,))  # fmt: skip
    return Billing(chosen, billing_lines(rows, chosen, window.on), window.on, window)


def read_retention(
    request: Request, principal: Principal, office_id: str, year: int | None, endpoint: str
) -> Retention:
    """The retention rate of fiscal ``year`` (default: this one), logged once; as known
    at the address's ``as_of`` when it names one."""
    window, rows = _rows(request, principal, _office(principal, office_id), endpoint, "retention",
                         ())  # fmt: skip
    today = tokyo_date(window.as_of) if window.as_of else window.today
    chosen = year or fiscal_year_of(today)
    years = {y for y in retention_years(rows, today) if y >= FIRST_FISCAL_YEAR} | {chosen}
    return Retention(chosen, retention(rows, chosen).as_json(), sorted(years, reverse=True), window)


@router.get("/web/offices/{office_id}/due")
def due_page(request: Request, office_id: str) -> Response:
    def render(principal: Principal) -> Response:
        window, rows = _rows(request, principal, _office(principal, office_id), "web:due",
                             months=due_months(_read_window(request).on))  # fmt: skip
        day = window.on  # every item judged on the day asked (issue 21)
        found = [(r, due_items(r, day)) for r in rows]
        return _page(request, "office_due.html", principal=principal, office=office_id,
                     today=day, cases=[(r, items) for r, items in found if items],
                     months=due_months(day), current="due", window=window)  # fmt: skip

    return _guarded(request, render)


@router.get("/web/offices/{office_id}/billing")
def billing_page(request: Request, office_id: str, month: str | None = None) -> Response:
    def render(principal: Principal) -> Response:
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        found = read_billing(request, principal, office_id, month, "web:billing")
        return _page(request, "office_billing.html", principal=principal, office=office_id,
                     month=found.month, lines=found.lines, verdicts=VERDICT_JA,
                     totals=billing_totals(found.lines), today=found.today,
                     current="billing", window=found.window)  # fmt: skip

    return _guarded(request, render)


@router.get("/web/offices/{office_id}/retention")
def retention_page(request: Request, office_id: str, fiscal_year: int | None = None) -> Response:
    def render(principal: Principal) -> Response:
        if not year_ok(fiscal_year):
            return bad_input(request, principal, "年度を読み取れません", YEAR_HINT_JA)
        found = read_retention(request, principal, office_id, fiscal_year, "web:retention")
        return _page(request, "office_retention.html", principal=principal, office=office_id,
                     report=found.report, year=found.year, years=found.years,
                     current="retention", window=found.window)  # fmt: skip

    return _guarded(request, render)


def month_ok(month: str) -> bool:
    """``YYYY-MM`` within domain.days' range."""
    return bool(_MONTH.match(month)) and month_in_range(int(month[:4]), int(month[5:]))


def year_ok(fiscal_year: int | None) -> bool:
    """No year (this one), or one the API also answers for."""
    return fiscal_year is None or FIRST_FISCAL_YEAR <= fiscal_year <= LAST_FISCAL_YEAR


def bad_input(request: Request, principal: Principal, title: str, message: str) -> Response:
    return _page(request, "error.html", 422, principal=principal, title=title, message=message)


def bad_month(request: Request, principal: Principal, month: str | None) -> Response | None:
    """The 422 page for a 対象月 that does not read (None: no month given, or a good one)."""
    if month and not month_ok(month):
        return bad_input(request, principal, "対象月を読み取れません", MONTH_HINT_JA)
    return None


def _last_month(today: date) -> str:
    """The month a provider checks before its claim: the one that just ended."""
    return month_of(add_months(date(today.year, today.month, 1), -1))
