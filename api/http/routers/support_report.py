"""The monthly support report (MON-4) for clients: its draft as JSON, and as PDF.

Both read the case through :data:`api.http.deps.ReadableCase` (403 for another office's
staff, every read access-logged). The JSON carries the report's content and its
SHA-256: a client that shares the report records ``support_report_shared`` with that
hash as ``report_sha256`` (POST /cases/{id}/events), or computes the hash of the
content with its edited texts itself (canonical JSON, see docs/support-report.md).
:func:`report_view` is shared with the staff's web pages (:mod:`api.web.report`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.http.answers import json_answer
from api.http.claim_check import ReadRoute
from api.http.deps import ReadableCase, parse_day
from api.http.input_errors import invalid
from api.http.report_pdf import render_pdf
from domain.days import MONTH_RANGE_JA, month_in_range
from domain.payloads import SupportReportShared
from domain.rules.cal import month_end
from projections.compliance import compliance
from projections.compliance_model import MonthCompliance
from projections.reading import Reading
from projections.support_report import (
    SupportReport,
    content_sha256,
    draft_report,
    month_first_day,
)
from projections.support_report_recipients import Recipient, recipients

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_PROBLEM, "description": "トークンがない・無効"},
    403: {**_PROBLEM, "description": "他の事業所のケース"},
    404: {**_PROBLEM, "description": "ケースが存在しない"},
    422: {**_PROBLEM, "description": "month・shared_on などの指定が不正"},
}
_MONTH = Query(description="対象月 YYYY-MM(今月まで)")
_SHARED_ON = Query(description="共有する日 YYYY-MM-DD(共有先の判定に使う。既定: on の日)")

router = APIRouter(prefix="/cases", tags=["ケース"], route_class=ReadRoute)


@dataclass(frozen=True, slots=True)
class ReportView:
    """The report of a month with its hash, who may receive it, and the month's state now."""

    report: SupportReport
    sha256: str
    shared_on: date
    recipients: tuple[Recipient, ...]
    shared: tuple[dict[str, Any], ...]  # the month's recorded sharings, as corrected
    now: MonthCompliance  # MON-4 and billing as the case stands

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.report.month, "sha256": self.sha256, "content": self.report.content(),
            "shared_on": self.shared_on.isoformat(),
            "recipients": [r.as_json() for r in self.recipients], "shared": list(self.shared),
            "report_shared": self.now.report_shared, "billable": self.now.billable,
        }  # fmt: skip


def month_problem(month: str, today: date) -> str | None:
    """Why ``month`` cannot have a report (malformed, or not begun yet), or None."""
    try:
        first = month_first_day(month)
    except ValueError as exc:
        return str(exc)
    if not month_in_range(first.year, first.month):  # domain.days says why this range
        return MONTH_RANGE_JA
    if first > today:
        return "まだ始まっていない月の支援レポートは作成できません"
    return None


def report_view(
    reading: Reading, case_id: UUID, month: str, shared_on: date,
    asked: list[str] | None = None, texts: tuple[str | None, str | None] = (None, None),
) -> ReportView:  # fmt: skip
    """The month's report (free texts as edited, when given) and its recipients."""
    report = draft_report(reading, case_id, month).with_text(*texts)
    last = month_end(month_first_day(month))
    found = recipients(reading.history, last, shared_on, asked or [])
    shared = tuple(
        {"version": f.version, **f.payload.model_dump(mode="json", exclude_none=True)}
        for f in reading.history.of_type("support_report_shared")
        if isinstance(f.payload, SupportReportShared) and f.payload.month == month
    )
    now = compliance(reading, from_month=month, to_month=month).months[0]
    return ReportView(report, content_sha256(report), shared_on, found, shared, now)


def pdf_response(view: ReportView, *, office_copy: bool = True) -> Response:
    """The PDF as a download named by month (never by the person's name); the office's copy
    (with the hash and rule ids) unless the copy for the person and the employer is asked."""
    name = f"support-report-{view.report.month}.pdf"
    return Response(
        render_pdf(view.report, view.sha256, office_copy=office_copy),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{case_id}/support-report", responses=_ERRORS)
def get_support_report(
    case: ReadableCase,
    month: Annotated[str, _MONTH],
    shared_on: Annotated[str | None, _SHARED_ON] = None,
) -> Response:
    """月の支援レポートの下書き(内容と SHA-256)と、共有できる相手・できない相手(理由)を返します。"""
    view = _view(case.reading, case.case_id, month, shared_on)
    return json_answer(view.as_json())


@router.get(
    "/{case_id}/support-report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **_ERRORS},
)
def get_support_report_pdf(case: ReadableCase, month: Annotated[str, _MONTH]) -> Response:
    """月の支援レポートを PDF(A4・日本語)で返します。各ページの下に内容の SHA-256。"""
    return pdf_response(_view(case.reading, case.case_id, month, None))


def _view(reading: Reading, case_id: UUID, month: str, shared_on: str | None) -> ReportView:
    problem = month_problem(month, reading.on)
    if problem:
        raise invalid("month", problem)
    day = parse_day(shared_on, "shared_on") if shared_on else reading.on
    return report_view(reading, case_id, month, day)
