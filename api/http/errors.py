"""The one place where failures become HTTP answers: RFC 9457 ``application/problem+json``.

:data:`PROBLEMS` maps each exception to its status, type and Japanese title; the
handlers add ``detail`` and, for validation, ``errors: [{field, message}]``. Messages
are built by our own code and never echo the submitted values, so no personal data
reaches an answer or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.http.auth import Forbidden, NotAuthenticated
from api.http.idempotency import IdempotencyKeyReused
from api.http.input_errors import InvalidInput
from domain.case import CaseRuleViolation
from domain.payloads import FieldProblem, InvalidPayload
from domain.store.application import CaseNotFound, VersionConflict
from domain.store.failures import RECORD_JA, StorageFull, storage_full

log = logging.getLogger("teichaku.api")
MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Problem:
    status: int
    slug: str
    title: str


#: exception → problem. The first matching row wins (subclasses before bases).
PROBLEMS: Sequence[tuple[type[Exception], Problem]] = (
    (NotAuthenticated, Problem(401, "not-authenticated", "認証が必要です")),
    (Forbidden, Problem(403, "forbidden", "この操作は許可されていません")),
    (CaseNotFound, Problem(404, "case-not-found", "ケースが見つかりません")),
    (VersionConflict, Problem(409, "version-conflict", "ケースが先に更新されています")),
    (InvalidPayload, Problem(422, "invalid-event", "記録の内容に誤りがあります")),
    (CaseRuleViolation, Problem(422, "contradicts-history", "これまでの記録と矛盾します")),
    (InvalidInput, Problem(422, "invalid-parameter", "指定の内容に誤りがあります")),
    (IdempotencyKeyReused, Problem(422, "idempotency-key-reused", "同じキーで別の内容です")),
)
_VALIDATION = Problem(422, "invalid-request", "送信内容を読み取れません")
_SERVER_ERROR = Problem(500, "internal-error", "サーバー内部でエラーが発生しました")
_STORAGE_FULL = Problem(503, "storage-full", "保存領域が不足しています")


def problem_response(
    problem: Problem,
    detail: str,
    errors: Sequence[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{problem.slug}",
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=MEDIA_TYPE)


def _lookup(exc: Exception) -> Problem:
    return next((p for kind, p in PROBLEMS if isinstance(exc, kind)), _SERVER_ERROR)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    problem = _lookup(exc)
    problems = getattr(exc, "problems", None)
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    return problem_response(problem, str(exc), problems, headers)


def _web_not_found(request: Request) -> Response | None:
    """A staff page's address that names nothing (or no case): a Japanese page, not JSON."""
    if not request.url.path.startswith("/web/"):
        return None
    render: Callable[[Request], Response] | None = getattr(
        request.app.state, "web_not_found", None
    )
    return None if render is None else render(request)


async def _request_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    page = _web_not_found(request)
    if page is not None:  # /web/cases/not-a-uuid: an address that names no case
        return page
    problems = [_field_problem(err) for err in exc.errors()]
    return problem_response(_VALIDATION, "送信内容に誤りがあります(errors を参照)", problems)


def _field_problem(err: Any) -> FieldProblem:
    location = [str(part) for part in err.get("loc", ())]
    kind = err.get("type", "")
    if kind == "json_invalid":  # loc is ("body", <character offset>)
        return FieldProblem(field="body", message=_VALIDATION_MESSAGES[kind])
    where = ".".join(location[1:]) or "body"  # drop "body"/"query"/"path"/"header"
    return FieldProblem(field=where, message=_VALIDATION_MESSAGES.get(kind, "値が正しくありません"))


_VALIDATION_MESSAGES = {
    "json_invalid": "JSON として読み取れません",
    "missing": "必須の項目です",
    "dict_type": "JSON オブジェクト({...})を送ってください",
    "model_attributes_type": "JSON オブジェクト({...})を送ってください",
    "uuid_parsing": "ケースIDの形式(UUID)が正しくありません",
    "uuid_type": "ケースIDの形式(UUID)が正しくありません",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    page = _web_not_found(request) if exc.status_code == 404 else None
    if page is not None:
        return page
    problem = Problem(exc.status_code, f"http-{exc.status_code}", "リクエストを処理できません")
    detail = "そのURLはありません" if exc.status_code == 404 else str(exc.detail)
    return problem_response(problem, detail, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return unexpected(request.scope, exc)


def unexpected(scope: Any, exc: Exception) -> JSONResponse:
    """A failure nobody foresaw (answered by :mod:`api.http.headers`, which keeps it from
    reaching the server): 500 with the request id, in the body and ``X-Request-ID``.

    A full disk is foreseen, whichever driver says it: 503 「保存領域が不足しています」.
    """
    request_id = str(scope.get("state", {}).get("request_id", "-"))
    route = getattr(scope.get("route"), "path", "-")  # the template, never the values
    if storage_full(exc):
        full = exc if isinstance(exc, StorageFull) else StorageFull(RECORD_JA)
        log.error("storage full on %s %s (request %s)", scope.get("method"), route, request_id)
        body = {"type": "/problems/storage-full", "title": _STORAGE_FULL.title, "status": 503,
                "detail": str(full), "request_id": request_id}  # fmt: skip
        return JSONResponse(body, status_code=503, media_type=MEDIA_TYPE)
    # Only the class, the route and the request id: the exception's message, its traceback
    # and the request's values could quote personal data.
    log.error("unexpected %s on %s %s (request %s)",
              type(exc).__name__, scope.get("method"), route, request_id)  # fmt: skip
    detail = f"時間をおいて再度お試しください。続く場合は問い合わせ番号 {request_id} を管理者へ"
    body = {"type": f"/problems/{_SERVER_ERROR.slug}", "title": _SERVER_ERROR.title,
            "status": 500, "detail": detail, "request_id": request_id}  # fmt: skip
    return JSONResponse(body, status_code=500, media_type=MEDIA_TYPE)


def install(app: FastAPI, *, web_not_found: Callable[[Request], Response] | None = None) -> None:
    """Register the handlers of :data:`PROBLEMS` and of request validation on ``app``.

    ``web_not_found`` renders the staff pages' 404 (the web door passes it in, so this
    module never imports the pages).
    """
    app.state.web_not_found = web_not_found
    for kind, _ in PROBLEMS:
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
