"""The staff's support report pages (MON-4): draft, print view, PDF, and recording the sharing.

``/web/cases/{id}/report?month=YYYY-MM`` shows the month's report drafted from the case
(:mod:`projections.support_report`): the two free texts editable, the recipients as
checkboxes — those no written consent allows on the sharing day disabled, with the
rule and the reason (CON-1..3). The same form prints (``/report/print``) or downloads
the PDF (``/report.pdf``) of the text as edited, or records ``support_report_shared``
with the content's SHA-256 through ``CaseLog.record``. Same sign-in, roles and access
log as the case page (:mod:`api.web.pages`): auditors read and print, never record.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.access_log import record_access
from api.http.auth import Forbidden, Principal, ensure_can_read, ensure_can_write
from api.http.deps import case_office
from api.http.routers.support_report import ReportView, month_problem, pdf_response, report_view
from api.web.once import key_of, write_once
from api.web.pages import _csrf, _guarded, _page
from api.web.roles import may_write
from domain.case import Case, CaseRuleViolation
from domain.days import DAY_RANGE_JA, day_in_range
from domain.history import tokyo_date
from domain.payloads import FieldProblem, InvalidPayload
from domain.store.application import CaseLog
from projections.reading import read_case
from projections.support_report import MAX_TEXT
from projections.support_report_recipients import refused

router = APIRouter(include_in_schema=False)
Form = dict[str, Any]


@router.get("/web/cases/{case_id}/report")
def report_page(request: Request, case_id: UUID) -> Response:
    def render(principal: Principal) -> Response:
        case, view, problems = _read(request, principal, case_id, "web:report", None)
        if view is None:
            return _bad_month(request, principal, case, problems)
        return _form(request, principal, case, view, problems, None)

    return _guarded(request, render)


@router.api_route("/web/cases/{case_id}/report/print", methods=["GET", "POST"])
async def report_print(request: Request, case_id: UUID) -> Response:
    form = await _form_data(request)

    def render(principal: Principal) -> Response:
        case, view, problems = _read(request, principal, case_id, "web:report-print", form)
        if view is None:
            return _bad_month(request, principal, case, problems)
        office = _office_copy(request, form)
        return _page(request, "support_report_print.html", principal=principal,
                     case_id=case_id, view=view, r=view.report, office_copy=office,
                     rule_ids="full" if office else "")  # fmt: skip

    return await run_in_threadpool(_guarded, request, render, reads=True)  # a printout only reads


@router.api_route("/web/cases/{case_id}/report.pdf", methods=["GET", "POST"])
async def report_pdf(request: Request, case_id: UUID) -> Response:
    form = await _form_data(request)

    def render(principal: Principal) -> Response:
        case, view, problems = _read(request, principal, case_id, "web:report-pdf", form)
        if view is None:
            return _bad_month(request, principal, case, problems)
        return pdf_response(view, office_copy=_office_copy(request, form))

    return await run_in_threadpool(_guarded, request, render, reads=True)  # a printout only reads


@router.post("/web/cases/{case_id}/report")
async def share_report(request: Request, case_id: UUID) -> Response:
    form = await _posted(request)

    def write(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        case = cases.get_case(case_id)
        ensure_can_write(principal, case_office(case), "support_report_shared")
        if not hmac.compare_digest(str(form.get("csrf", "")), _csrf(request)):
            raise Forbidden("フォームの有効期限が切れました。ページを開き直してください")
        case, view, problems = _read(request, principal, case_id, "web:report-share", form, case)
        if view is None:
            return _bad_month(request, principal, case, problems)
        chosen = _chosen(form)
        problems += _sharing_problems(view, chosen, form)
        if not problems:
            payload = {"month": view.report.month, "shared_on": view.shared_on.isoformat(),
                       "shared_with": chosen, "report_sha256": view.sha256}  # fmt: skip
            try:  # once per form: sent again it stores nothing (api.web.once)
                written = write_once(cases, principal, form, f"/web/cases/{case_id}/report",
                    lambda companion: cases.record(
                        case_id, "support_report_shared", payload, recorded_by=principal.name,
                        case=case, companion=companion,
                    ),
                )  # fmt: skip
                return RedirectResponse(written.location(), status_code=303)
            except (InvalidPayload, CaseRuleViolation) as exc:
                problems = exc.problems
        return _form(request, principal, case, view, problems, form)

    return await run_in_threadpool(_guarded, request, write)


# -- helpers ---------------------------------------------------------------------------


def _office_copy(request: Request, form: Form | None) -> bool:
    """事業所控え (hash and rule ids) when asked; else the copy for the person and employer."""
    values = form if form is not None else request.query_params
    return str(values.get("copy", "")) == "office"


async def _form_data(request: Request) -> Form | None:
    """The posted form (``shared_with`` as a list), or None for a GET."""
    return await _posted(request) if request.method == "POST" else None


async def _posted(request: Request) -> Form:
    posted = await request.form()
    data: Form = {k: str(v) for k, v in posted.items()}
    data["shared_with"] = [str(v) for v in posted.getlist("shared_with")]
    return data


def _read(
    request: Request, principal: Principal, case_id: UUID, endpoint: str, form: Form | None,
    case: Case | None = None,
) -> tuple[Case, ReportView | None, list[FieldProblem]]:  # fmt: skip
    """Load (once), check the reader, log the read, and build the month's report view."""
    cases: CaseLog = request.app.state.cases
    case = case or cases.get_case(case_id)
    ensure_can_read(principal, case_office(case))
    today = tokyo_date(cases.clock())
    values = form if form is not None else dict(request.query_params)
    month = str(values.get("month") or f"{today:%Y-%m}")
    record_access(cases, case_id, principal, endpoint, as_of=None, on=today)
    problem = month_problem(month, today)
    if problem:
        return case, None, [FieldProblem(field="month", message=problem)]
    shared_on, problems = _shared_on(str(values.get("shared_on") or ""), today)
    texts = _texts(form)
    reading = read_case(case, today)
    asked = _chosen(form) if form is not None else []  # every name sent is judged (CON-1)
    view = report_view(reading, case_id, month, shared_on, asked, texts)
    return case, view, problems


def _shared_on(text: str, today: date) -> tuple[date, list[FieldProblem]]:
    if not text:
        return today, []
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return today, [FieldProblem(field="shared_on", message="日付を読み取れませんでした")]
    if not day_in_range(day):  # domain.days says why this range
        return today, [FieldProblem(field="shared_on", message=DAY_RANGE_JA)]
    return day, []


def _texts(form: Form | None) -> tuple[str | None, str | None]:
    if form is None:
        return None, None
    return form.get("situation"), form.get("next_steps")


def _others(form: Form | None) -> list[str]:
    """Recipients typed in (one a line), besides the checkboxes."""
    text = str((form or {}).get("others", ""))
    return [line.strip() for line in text.splitlines() if line.strip()]


def _chosen(form: Form) -> list[str]:
    names = [str(n).strip() for n in form.get("shared_with", [])] + _others(form)
    return list(dict.fromkeys(n for n in names if n))


def _sharing_problems(view: ReportView, chosen: list[str], form: Form) -> list[FieldProblem]:
    """CON-1..3 before anything is recorded: every refused recipient, with its reason."""
    problems = []
    for r in refused(view.recipients, chosen):
        text = f"「{r.name}」には共有できません: {r.reason_ja}({r.rule})"
        problems.append(FieldProblem(field="shared_with", message=text))
    if not chosen:
        problems.append(FieldProblem(field="shared_with", message="共有先を1件以上選んでください"))
    for name in ("situation", "next_steps"):
        if len(str(form.get(name, ""))) > MAX_TEXT:
            problems.append(
                FieldProblem(field=name, message=f"{MAX_TEXT}文字以内で入力してください")
            )
    return problems


def _form(
    request: Request, principal: Principal, case: Case, view: ReportView,
    problems: list[FieldProblem], form: Form | None,
) -> Response:  # fmt: skip
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.field, []).append(p.message)
    chosen = set(_chosen(form)) if form is not None else {"本人"}
    return _page(
        request, "support_report.html", 422 if problems else 200, principal=principal,
        case_id=case.id, view=view, r=view.report, errors=errors, chosen=chosen,
        today=tokyo_date(request.app.state.cases.clock()),  # the month's words (month_words)
        others="\n".join(_others(form)), csrf=_csrf(request), once=key_of(form or {}),
        can_write=may_write(principal), auditing=principal.role in ("auditor", "admin"),
        rule_ids="small",  # on the page a rule id answers "why", in a smaller type
    )  # fmt: skip


def _bad_month(
    request: Request, principal: Principal, case: Case, problems: list[FieldProblem]
) -> Response:
    message = " / ".join(p.message for p in problems)
    return _page(request, "error.html", 422, principal=principal,
                 title="対象月を読み取れません", message=message)  # fmt: skip
