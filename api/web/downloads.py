"""The office lists as files, downloaded from the staff pages with the sign-in cookie.

``/web/offices/{office_id}/billing.csv?month=YYYY-MM`` (and ``.xlsx``) and
``/web/offices/{office_id}/retention.csv?fiscal_year=YYYY`` (and ``.xlsx``): the same
session, the same access rules (staff their own office, auditors and admins read any) and
the same access log as the page, one entry per file under its own endpoint
("web:billing.csv", …), since a file is personal data leaving the system. No token is
ever put in an address. The rows are the page's (:func:`api.web.office.read_billing`), the
columns the API's CSV (:func:`api.http.routers.offices.billing_table`), and the file is
written by :mod:`api.http.spreadsheet` (leading zeros kept, formulas neutralised).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.http.auth import Principal
from api.http.routers.offices import billing_table, retention_table
from api.http.spreadsheet import MEDIA_TYPES, download
from api.web.office import (
    YEAR_HINT_JA,
    bad_input,
    bad_month,
    read_billing,
    read_retention,
    year_ok,
)
from api.web.pages import _guarded, not_found_page

router = APIRouter(include_in_schema=False)


@router.get("/web/offices/{office_id}/billing.{kind}")
def billing_file(request: Request, office_id: str, kind: str, month: str | None = None) -> Response:
    """The billing check of the month as CSV or .xlsx."""

    def send(principal: Principal) -> Response:
        if kind not in MEDIA_TYPES:
            return not_found_page(request)
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        found = read_billing(request, principal, office_id, month, f"web:billing.{kind}")
        return download(billing_table(office_id, found.month, found.lines), kind)

    return _guarded(request, send)


@router.get("/web/offices/{office_id}/retention.{kind}")
def retention_file(
    request: Request, office_id: str, kind: str, fiscal_year: int | None = None
) -> Response:
    """The persons behind the retention rate of the fiscal year as CSV or .xlsx."""

    def send(principal: Principal) -> Response:
        if kind not in MEDIA_TYPES:
            return not_found_page(request)
        if not year_ok(fiscal_year):
            return bad_input(request, principal, "年度を読み取れません", YEAR_HINT_JA)
        found = read_retention(request, principal, office_id, fiscal_year, f"web:retention.{kind}")
        return download(retention_table(office_id, found.report), kind)

    return _guarded(request, send)
