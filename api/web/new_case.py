"""Opening a new case from the staff pages (``/web/cases/new``): the ``case_opened`` form,
through ``CaseLog.open_case`` — the same validation as ``POST /cases``. Its router is
included before the case page's, whose ``/web/cases/{case_id}`` would otherwise take "new".
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.http.auth import Principal, ensure_can_write
from api.web.forms import form_fields, parse_form, place_problems
from api.web.pages import _csrf, _guarded, _page
from domain.case import CaseRuleViolation
from domain.history import tokyo_date
from domain.payloads import FieldProblem, InvalidPayload
from domain.store.application import CaseLog

router = APIRouter(include_in_schema=False)


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
        ensure_can_write(principal, form.get("office_id") or principal.office_id, "case_opened")
        if not hmac.compare_digest(form.get("csrf", ""), _csrf(request)):
            problems = [FieldProblem(field="csrf", message="フォームの有効期限が切れました")]
            return _new_case(request, principal, form, problems)
        payload, problems = parse_form("case_opened", form)
        if not problems:
            try:
                case = cases.open_case(payload, recorded_by=principal.name)
                return RedirectResponse(f"/web/cases/{case.id}?recorded=1#recorded", 303)
            except (InvalidPayload, CaseRuleViolation) as exc:
                problems = exc.problems
        return _new_case(request, principal, form, problems)

    return _guarded(request, write)


def _new_case(
    request: Request, principal: Principal, values: dict[str, str],
    problems: list[FieldProblem] | None,
) -> Response:  # fmt: skip
    fields = form_fields("case_opened")
    errors, other = place_problems(problems or [], fields)
    return _page(request, "new_case.html", 422 if problems else 200, principal=principal,
                 fields=fields, values=values, errors=errors, other_errors=other,
                 csrf=_csrf(request))  # fmt: skip
