"""Trust for auditors: who read a case, the case as one verifiable bundle, the dispute report.

The access log is for auditors and admins only (staff can neither see nor erase it; no
endpoint deletes it). The export reads the stored rows themselves (never a snapshot),
so what a bundle carries is what the database holds.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.http.access_log import access_chain, access_entries
from api.http.answers import json_answer
from api.http.auth import Forbidden
from api.http.claim_check import ReadRoute
from api.http.deps import (
    CasesDep,
    PrincipalDep,
    ReadableCase,
    StoredCase,
)
from api.http.input_errors import invalid
from domain.history import Recorded
from domain.store.application import CaseLog
from projections.bundle import build_bundle
from projections.dispute import dispute

router = APIRouter(prefix="/cases", tags=["監査"], route_class=ReadRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "認証が必要です"},
    403: {"description": "このケースを閲覧する権限がありません"},
    404: {"description": "ケースが見つかりません"},
    422: {"description": "入力に誤りがあります"},
}


@router.get("/{case_id}/access-log", responses=_ERRORS)
def get_access_log(case_id: UUID, principal: PrincipalDep, cases: CasesDep) -> dict[str, Any]:
    """このケースを誰が・いつ・どの画面/APIで閲覧したかの記録(監査担当者・管理者のみ)。"""
    if principal.role not in ("auditor", "admin"):
        raise Forbidden("閲覧記録は監査担当者と管理者だけが参照できます")
    cases.records(case_id)  # 404 for an unknown case
    entries = access_entries(cases, case_id)
    return {"case_id": str(case_id), "entries": entries, "chain": access_chain(cases, case_id)}


@router.get("/{case_id}/export", responses=_ERRORS)
def export_case(case_id: UUID, stored: StoredCase, cases: CasesDep) -> JSONResponse:
    """ケースの全記録・ハッシュ連鎖・受給状態等を1つの検証可能な JSON にして返します。"""
    bundle = export_bundle(cases, case_id, stored.records, stored.principal.name, stored.window.on)
    filename = f"teichaku-case-{case_id}.json"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return JSONResponse(bundle, headers=headers)


def export_bundle(
    cases: CaseLog, case_id: UUID, records: list[Recorded], by: str, on: Any
) -> dict[str, Any]:
    """The bundle of a case, stamped with the application's clock (shared with the CLI)."""
    return build_bundle(case_id, records, exported_at=cases.clock(), exported_by=by, on=on)


@router.get("/{case_id}/dispute", responses=_ERRORS, response_model=None)
def get_dispute(
    request: Request,
    case: ReadableCase,
    format: Annotated[str | None, Query(description="html で印刷用のページ")] = None,
) -> Response:
    """ある日の内容を「現在の記録」と「as_of 時点の表示」で並べ、違いと理由を示します。"""
    if case.window.as_of is None:
        raise invalid(
            "as_of", "比べる時点(当時の表示の日時)を時差付きの ISO 8601 で指定してください"
        )
    report = dispute(case.reading)
    data = report.as_json()
    if format == "html" or _wants_html(request):
        render = request.app.state.dispute_html  # the web door's page (create_app wires it)
        page: HTMLResponse = render(data, case.case_id, case.reading)  # with its own CSP
        return page
    return json_answer(data)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]
