"""The month's claim in the browser (issue 22): the office's claim, a person's 実績記録票,
the comparison of fee-schedule versions, and their downloads.

- ``/web/offices/{id}/claim?month=`` per person and in total: units (yen only where the
  office entered a 地域区分 unit price), each line's rule id, schedule version and file,
  ⚠ for ○ values and interpretations, unbillable months with the reasons and the add-ons
  that still apply or not. ``as_of`` as on every office page. Files: ``claim.csv``,
  ``claim.xlsx``, and every person's 実績記録票 in one ``record-sheets.pdf`` / ``.csv``.
- ``/web/cases/{id}/record-sheet?month=`` one person's 実績記録票 (REC-1, REC-2) with
  ``record-sheet.pdf`` and ``.csv``.
- ``/web/offices/{id}/claim/compare?from=&to=&schedule=`` the same months under the
  versions in force and under another version or a draft file (VER-3).

The numbers are the API's own (:mod:`api.http.routers.claim`): the same functions read the
same stored views and fold the same cases, so a page, its files and
``GET /offices/{id}/claim`` agree. Reads are logged under ``web:claim``,
``web:claim.csv``, ``web:record-sheets.pdf``, … (the case's access log for one person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.http.access_log import record_access
from api.http.auth import Principal, ensure_can_read
from api.http.deps import case_office
from api.http.input_errors import InvalidInput
from api.http.record_sheet_pdf import ymd
from api.http.routers.claim import (
    COMPARE_MONTHS_MAX,
    VERDICT_JA,
    _claims,
    _office_people,
    _Person,
    _sheets_answer,
    claim_comparison,
    claim_table,
    people_of,
)
from api.http.routers.office_setup import fee_schedule_of, read_office_facts
from api.http.spreadsheet import download
from api.web.office import (
    Window,
    _last_month,
    _office,
    _read_window,
    bad_month,
)
from api.web.pages import _guarded, _page, _window, not_found_page
from domain.history import tokyo_date
from domain.payloads import CaseOpened
from domain.rules.cal import add_months, month_of
from domain.rules.schedule import Version
from domain.store.application import CaseLog
from projections.claim import PersonMonth, fiscal_year, person_month
from projections.claim_office import PersonClaim, totals
from projections.reading import read_case
from projections.record_sheet import RecordSheet, record_sheet

router = APIRouter(include_in_schema=False)
WEEKDAYS_JA = "月火水木金土日"
SHEET_KINDS = ("pdf", "csv")
CLAIM_KINDS = ("csv", "xlsx")


@dataclass(frozen=True)
class OfficeClaim:
    """One read of the office's month: the people, their claims, the total, the version."""

    month: str
    people: list[_Person]
    claims: list[PersonClaim]
    total: dict[str, Any]
    version: Version | None
    registered: bool
    window: Window


def read_claim(
    request: Request, principal: Principal, office_id: str, month: str | None, endpoint: str
) -> OfficeClaim:
    """The office's claim of ``month`` (default: the month that just ended) as known at the
    address's ``as_of``; logged once under ``endpoint``."""
    office_id = _office(principal, office_id)
    cases: CaseLog = request.app.state.cases
    window = _read_window(request)
    chosen = month or _last_month(window.on)
    people, rows = _office_people(request, Response(), principal, cases, office_id, [chosen],
                                  window.as_of, endpoint)  # fmt: skip
    office = read_office_facts(cases, office_id, window.as_of)
    schedule = fee_schedule_of(request)
    claims = _claims(people, rows, chosen, office, schedule)
    return OfficeClaim(chosen, people, claims, totals(claims), schedule.for_month(chosen),
                       office.registration is not None, window)  # fmt: skip


def addon_lines(pm: PersonMonth) -> list[dict[str, Any]]:
    """The add-on lines of a month (everything but FEE-1): for an unbillable month, what
    still applies (units) and what does not (0, with the line's note)."""
    return [ln.as_json() for ln in pm.lines if ln.rule != "FEE-1"]


@router.get("/web/offices/{office_id}/claim")
def claim_page(request: Request, office_id: str, month: str | None = None) -> Response:
    def render(principal: Principal) -> Response:
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        found = read_claim(request, principal, office_id, month, "web:claim")
        return _page(request, "claim_office.html", principal=principal, office=office_id,
                     month=found.month, claims=found.claims, total=found.total,
                     version=found.version, registered=found.registered,
                     verdicts=VERDICT_JA, window=found.window, current="claim",
                     addon_lines=addon_lines)  # fmt: skip

    return _guarded(request, render)


@router.get("/web/offices/{office_id}/claim.{kind}")
def claim_file(request: Request, office_id: str, kind: str, month: str | None = None) -> Response:
    """The office's claim of the month as CSV or .xlsx (the API's columns)."""

    def send(principal: Principal) -> Response:
        if kind not in CLAIM_KINDS:
            return not_found_page(request)
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        found = read_claim(request, principal, office_id, month, f"web:claim.{kind}")
        return download(claim_table(office_id, found.month, found.claims), kind)

    return _guarded(request, send)


@router.get("/web/offices/{office_id}/record-sheets.{kind}")
def office_sheets_file(
    request: Request, office_id: str, kind: str, month: str | None = None
) -> Response:
    """Every person's 実績記録票 of the month in one file (PDF: one page each; CSV)."""

    def send(principal: Principal) -> Response:
        if kind not in SHEET_KINDS:
            return not_found_page(request)
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        found = read_claim(request, principal, office_id, month, f"web:record-sheets.{kind}")
        sheets = [record_sheet(p.reading, found.month, c.month, c.case_id)
                  for p, c in zip(found.people, found.claims, strict=True)]  # fmt: skip
        return _sheets_answer(
            sheets,
            kind,
            f"実績記録票_{office_id}_{found.month}",
            f"record-sheets-{office_id}-{found.month}",
            people_of(found.people),
        )

    return _guarded(request, send)


# -- one person's 実績記録票 --------------------------------------------------------------


@dataclass(frozen=True)
class CaseSheet:
    sheet: RecordSheet
    claim: PersonMonth
    person: dict[str, Any]
    as_of: Any
    problem: str | None


def read_sheet(
    request: Request, principal: Principal, case_id: UUID, month: str, endpoint: str
) -> CaseSheet | None:
    """One person's sheet of ``month`` as the API's ``/cases/{id}/record-sheet`` makes it
    (``None``: the case was not yet recorded at ``as_of``); logged in the case's access log."""
    cases: CaseLog = request.app.state.cases
    case = cases.get_case(case_id)
    ensure_can_read(principal, case_office(case))
    as_of, on, _, problem = _window(request, cases)
    record_access(cases, case_id, principal, endpoint, as_of=as_of, on=on)
    reading = read_case(case, on, as_of)
    opened = reading.history.opened()
    if opened is None or not isinstance(opened.payload, CaseOpened):
        return None
    office = read_office_facts(cases, opened.payload.office_id, as_of)
    claim = person_month(reading, month, office, fee_schedule_of(request))
    sheet = record_sheet(reading, month, claim, str(case_id))
    person = {"name": opened.payload.person.name,
              "recipient_number": opened.payload.recipient_number}  # fmt: skip
    return CaseSheet(sheet, claim, person, as_of, problem)


def _sheet_month(request: Request, month: str | None) -> str:
    """The month asked, else the one before the page's day (``on``, else the day of
    ``as_of``, else today): the office's claim page chooses the same way."""
    cases: CaseLog = request.app.state.cases
    return month or _last_month(_window(request, cases)[1])


@router.get("/web/cases/{case_id}/record-sheet")
def sheet_page(request: Request, case_id: UUID, month: str | None = None) -> Response:
    def render(principal: Principal) -> Response:
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        chosen = _sheet_month(request, month)
        found = read_sheet(request, principal, case_id, chosen, "web:record-sheet")
        if found is None:
            return _page(request, "error.html", 404, principal=principal,
                         title="この時点ではケースが記録されていません", message="")  # fmt: skip
        first = date(int(chosen[:4]), int(chosen[5:]), 1)
        return _page(request, "record_sheet.html", principal=principal, case_id=case_id,
                     month=chosen, sheet=found.sheet, claim=found.claim.as_json(),
                     person=found.person, as_of=found.as_of, problem=found.problem,
                     verdicts=VERDICT_JA, weekday=lambda d: WEEKDAYS_JA[d.weekday()], ymd=ymd,
                     previous=month_of(add_months(first, -1)),
                     following=month_of(add_months(first, 1)))  # fmt: skip

    return _guarded(request, render)


@router.get("/web/cases/{case_id}/record-sheet.{kind}")
def sheet_file(request: Request, case_id: UUID, kind: str, month: str | None = None) -> Response:
    """One person's 実績記録票 as PDF (A4, the official form's layout) or CSV (J611 items)."""

    def send(principal: Principal) -> Response:
        if kind not in SHEET_KINDS:
            return not_found_page(request)
        if (problem := bad_month(request, principal, month)) is not None:
            return problem
        chosen = _sheet_month(request, month)
        found = read_sheet(request, principal, case_id, chosen, f"web:record-sheet.{kind}")
        if found is None:
            return _page(request, "error.html", 404, principal=principal,
                         title="この時点ではケースが記録されていません", message="")  # fmt: skip
        return _sheets_answer(
            [found.sheet],
            kind,
            f"実績記録票_{chosen}",
            f"record-sheet-{chosen}",
            {str(case_id): found.person},
            single=True,
        )

    return _guarded(request, send)


# -- VER-3: the impact of another version ----------------------------------------------


@router.get("/web/offices/{office_id}/claim/compare")
def compare_page(
    request: Request, office_id: str,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None, schedule: str | None = None,
) -> Response:  # fmt: skip
    def render(principal: Principal) -> Response:
        office = _office(principal, office_id)
        cases: CaseLog = request.app.state.cases
        today = tokyo_date(cases.clock())
        base = fee_schedule_of(request)
        last = _last_month(today)
        first = f"{fiscal_year(last)}-04"
        form = {"from": from_ or first, "to": to or last, "schedule": schedule or ""}
        context: dict[str, Any] = {
            "principal": principal, "office": office, "form": form, "current": "compare",
            "versions": base.versions, "months_max": COMPARE_MONTHS_MAX,
            "errors": {}, "result": None,
        }  # fmt: skip
        if not schedule:
            return _page(request, "claim_compare.html", 200, **context)
        try:
            result = claim_comparison(office, request, Response(), principal, cases, schedule,
                                      form["from"], form["to"], "web:claim-compare")  # fmt: skip
        except InvalidInput as exc:
            errors = {p.field: p.message for p in exc.problems}
            return _page(request, "claim_compare.html", 422, **{**context, "errors": errors})
        return _page(request, "claim_compare.html", 200, **{**context, "result": result})

    return _guarded(request, render)
