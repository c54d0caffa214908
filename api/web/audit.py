"""An auditor's pages for one case (issue 21): the hash chain, who read the case, the
bundle to check offline, and the way to the case as known at any instant.

Signed in with the session cookie like every staff page (:mod:`api.web.pages`); each page
reads the rows exactly as stored (never a snapshot: a row altered in the database must
show) and is access-logged like every other read, before it is answered:

- ``/web/cases/{id}/audit`` — every event with who recorded it, when (Japan time), its
  hash and the previous hash; a banner 検証済み, or 改ざんの疑い with the first broken
  version. The check is the command line's (``teichaku verify``:
  :func:`projections.audit.verify_chain`).
- ``/web/cases/{id}/access-log`` — who read or listed the case, when, through which page
  (:func:`api.http.access_log.access_entries`, as ``GET /cases/{id}/access-log``).
- ``/web/cases/{id}/export`` — the bundle of ``GET /cases/{id}/export``, as a download;
  ``teichaku verify --bundle FILE`` checks it with no database.

Who may open what (decision 0044): auditors and admins every page of every case; staff
the chain and the bundle of their own office's cases (they hold those records already),
never the access log (it names which colleague read which person, and when).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.http.access_log import access_chain, access_entries, record_access
from api.http.auth import Forbidden, Principal, ensure_can_read
from api.http.deps import case_office, office_of
from api.http.routers.trust import export_bundle
from api.web.pages import _guarded, _page, templates
from domain.history import TOKYO, Recorded, tokyo_date
from domain.payloads import TYPE_LABEL_JA
from domain.store.application import CaseLog
from projections.audit import verify_chain

router = APIRouter(include_in_schema=False)
#: Roles that may read a case's access log (as the API's ``/access-log``).
LOG_READERS = frozenset({"auditor", "admin"})
#: The pages and API reads an access log names, in the reader's words.
ENDPOINT_JA = {
    "web:case": "ケースの画面",
    "web:dispute": "照会対応報告",
    "web:audit": "ハッシュ連鎖と検証(監査)",
    "web:access-log": "閲覧記録(監査)",
    "web:export": "記録一式のダウンロード(監査)",
    "web:report": "支援レポート",
    "web:report-print": "支援レポートの印刷",
    "web:report-pdf": "支援レポートのPDF",
    "web:report-share": "支援レポートの共有",
    "web:dashboard": "事業所のケース一覧",
    "web:new-case": "新規ケース(同じ受給者証番号の確認)",
    "web:due": "今月やること",
    "web:billing": "請求前チェック",
    "web:retention": "就労定着率",
}
_ROLE_JA = {"staff": "支援員", "auditor": "監査", "admin": "管理者"}


def jst_text(value: Any) -> str:
    """An instant (ISO text or datetime) in Japan time: ``2026-05-05 10:00:00 +09:00``."""
    if not value:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S +09:00")


def endpoint_ja(endpoint: str) -> str:
    """The page or API read an access-log entry names (an API path as ``API GET …``)."""
    if endpoint in ENDPOINT_JA:
        return ENDPOINT_JA[endpoint]
    page, dot, kind = endpoint.partition(".")  # a page's file: web:billing.csv
    if dot and page in ENDPOINT_JA:
        return f"{ENDPOINT_JA[page]}のファイル(.{kind})"
    if endpoint.startswith("/"):
        return "API " + endpoint.replace("{case_id}", "…")
    return endpoint


templates.env.filters.update(jst_text=jst_text, endpoint_ja=endpoint_ja)
templates.env.globals.update(ROLE_JA=_ROLE_JA)


def _stored(cases: CaseLog, principal: Principal, case_id: UUID) -> list[Recorded]:
    """The rows as stored, after the reader's right to the case was checked."""
    records = cases.stored_records(case_id)  # CaseNotFound: the 404 page
    ensure_can_read(principal, _office(cases, case_id, records))
    return records


def _office(cases: CaseLog, case_id: UUID, records: list[Recorded]) -> str | None:
    """The case's office from the stored rows; when an altered row no longer reads as a
    fact, from the case as the application loads it."""
    try:
        return office_of(records)
    except (KeyError, ValueError):
        return case_office(cases.get_case(case_id))


@router.get("/web/cases/{case_id}/audit")
def chain_page(request: Request, case_id: UUID) -> Response:
    def render(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        records = _stored(cases, principal, case_id)
        record_access(cases, case_id, principal, "web:audit", as_of=None, on=None)
        report = verify_chain(records)
        first = report.breaks[0] if report.breaks else None
        rows = [
            {"version": r.version, "type": TYPE_LABEL_JA.get(r.type, r.type),
             "recorded_by": r.recorded_by, "recorded_at": r.recorded_at,
             "hash": r.hash, "previous_hash": r.previous_hash,
             "valid": r.version not in report.invalid,
             "problems": [b["text_ja"] for b in report.breaks if b["version"] == r.version]}
            for r in sorted(records, key=lambda r: r.version)
        ]  # fmt: skip
        return _page(
            request, "audit_chain.html", principal=principal, case_id=case_id, rows=rows,
            report=report, first=first, log_reader=principal.role in LOG_READERS,
        )  # fmt: skip

    return _guarded(request, render)


@router.get("/web/cases/{case_id}/access-log")
def access_log_page(request: Request, case_id: UUID) -> Response:
    def render(principal: Principal) -> Response:
        if principal.role not in LOG_READERS:
            raise Forbidden("閲覧記録は監査担当者と管理者だけが参照できます")
        cases: CaseLog = request.app.state.cases
        _stored(cases, principal, case_id)
        # Logged first: this very read is the last line of the page it shows.
        record_access(cases, case_id, principal, "web:access-log", as_of=None, on=None)
        entries = list(reversed(access_entries(cases, case_id)))  # newest first
        return _page(
            request, "audit_access_log.html", principal=principal, case_id=case_id,
            entries=entries, chain=access_chain(cases, case_id),
        )  # fmt: skip

    return _guarded(request, render)


@router.get("/web/cases/{case_id}/export")
def export_download(request: Request, case_id: UUID) -> Response:
    def render(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        records = _stored(cases, principal, case_id)
        today = tokyo_date(cases.clock())
        record_access(cases, case_id, principal, "web:export", as_of=None, on=today)
        bundle = export_bundle(cases, case_id, records, principal.name, today)
        body = orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"  # as `teichaku export`
        name = f"teichaku-case-{case_id}.json"
        return Response(body, media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        })  # fmt: skip

    return _guarded(request, render)
