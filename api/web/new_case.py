"""Opening a new case from the staff pages (``/web/cases/new``): the ``case_opened`` form,
through ``CaseLog.open_case`` — the same validation as ``POST /cases``. Its router is
included before the case page's, whose ``/web/cases/{case_id}`` would otherwise take "new".

The form is stored once (its one-time key, :mod:`api.web.once`). A 受給者証番号 that an
open case of the same office already has is asked about first (issue 20), with a link
to that case: a person may have a new case once an earlier one ended, so it is a
confirmation, not a refusal. The open cases are found in the stored views
(:mod:`projections.views`): the office's rows are read without their person, and only
the rows of cases not ended are opened (each person's values are sealed with their own
key) to compare the number — an office's hundred or so rows, never its events.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.access_log import record_listing
from api.http.auth import Principal, ensure_can_write
from api.web.forms import form_fields, parse_form, place_problems
from api.web.once import key_of, sent_before, write_once
from api.web.pages import _csrf, _guarded, _page
from api.web.typed_input import read_digits
from domain.case import CaseRuleViolation
from domain.history import tokyo_date
from domain.payloads import FieldProblem, InvalidPayload
from domain.store.application import CaseLog
from projections.views.follower import CaseViews
from projections.views.row import CaseRow

router = APIRouter(include_in_schema=False)
#: Statuses of a case whose support is over: a new case for the person is then expected.
CLOSED = frozenset({"ended", "expired"})


@router.get("/web/cases/new")
def new_case_form(request: Request) -> Response:
    def render(principal: Principal) -> Response:
        ensure_can_write(principal, principal.office_id, "case_opened")
        today = tokyo_date(request.app.state.cases.clock()).isoformat()
        values = {"office_id": principal.office_id or "", "opened_on": today}
        return _new_case(request, principal, values, None)

    return _guarded(request, render)


@router.post("/web/cases/new")
async def open_new_case(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        office = read_digits(form.get("office_id", ""))  # as parse_form reads it: １３１… too
        ensure_can_write(principal, office or principal.office_id, "case_opened")
        if not hmac.compare_digest(form.get("csrf", ""), _csrf(request)):
            problems = [FieldProblem(field="csrf", message="フォームの有効期限が切れました")]
            return _new_case(request, principal, form, problems)
        payload, problems = parse_form("case_opened", form)
        if not problems:
            number = str(payload.get("recipient_number", ""))
            asked = form.get("confirmed_number") == number or sent_before(cases, principal, form)
            same = [] if asked else _open_cases(request, principal, payload, number)
            if same:  # asked first; nothing is stored until it is confirmed
                return _new_case(request, principal, form, None, same, number)
            try:
                written = write_once(cases, principal, form, "/web/cases/new", lambda c: (
                    cases.open_case(payload, recorded_by=principal.name, companion=c)
                ).records[-1])  # fmt: skip
                return RedirectResponse(written.location(), 303)
            except (InvalidPayload, CaseRuleViolation) as exc:
                problems = exc.problems
        return _new_case(request, principal, form, problems)

    return await run_in_threadpool(_guarded, request, write)


def _open_cases(
    request: Request, principal: Principal, payload: dict[str, Any], number: str
) -> list[dict[str, str]]:
    """The office's cases not ended whose 受給者証番号 is ``number`` (read from the views).

    Each one shown names the person: a listing read, logged like the dashboard's.
    """
    cases: CaseLog = request.app.state.cases
    views: CaseViews = request.app.state.views
    today = tokyo_date(cases.clock())
    gen, _ = views.fresh(5_000)  # a case opened a moment ago is found too
    office = str(payload.get("office_id", ""))
    open_ids: list[UUID] = []
    page: list[CaseRow] | None = None
    after = None
    while page is None or after is not None:
        page, after = views.page(office, after, 500, lambda r: r.status_on(today) not in CLOSED,
                                 months=None, gen=gen)  # fmt: skip
        open_ids += [r.case_id for r in page]  # light rows: no person read or opened
    same = [r for r in views.store.rows(gen, open_ids)
            if r.person.get("recipient_number") == number]  # fmt: skip
    if same:
        record_listing(cases, principal, "web:new-case", on=today,
                       case_ids=[r.case_id for r in same])  # fmt: skip
    return [_shown(r, today) for r in same]


def _shown(row: CaseRow, today: date) -> dict[str, str]:
    return {"case_id": str(row.case_id), "name": str(row.person.get("name", "")),
            "status": row.status_on(today), "opened_on": row.opened_on.isoformat()}  # fmt: skip


def _new_case(
    request: Request, principal: Principal, values: dict[str, str],
    problems: list[FieldProblem] | None, duplicates: list[dict[str, str]] | None = None,
    number: str = "",
) -> Response:  # fmt: skip
    fields = form_fields("case_opened")
    errors, other = place_problems(problems or [], fields)
    status = 422 if problems else 409 if duplicates else 200
    return _page(request, "new_case.html", status, principal=principal,
                 fields=fields, values=values, errors=errors, other_errors=other,
                 csrf=_csrf(request), once=key_of(values), duplicates=duplicates or [],
                 number=number)  # fmt: skip
