"""Cases: open one, record its events, and read it as entitlement, compliance, timeline, audit.

Handlers only parse, authorize, call the application or a projection, and answer;
failures are raised as domain exceptions and mapped in :mod:`api.http.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response
from starlette.concurrency import run_in_threadpool

from api.http import idempotency
from api.http.answers import json_answer
from api.http.auth import Principal, ensure_can_record, ensure_can_write
from api.http.claim_check import ReadRoute
from api.http.deps import (
    CallerDep,
    CasesDep,
    IdempotencyKeyDep,
    IfMatchDep,
    ReadableCase,
    StoredCase,
    parse_month,
)
from api.http.input_errors import invalid
from api.http.schemas import (
    AuditPublic,
    CaseCreated,
    CompliancePublic,
    EntitlementPublic,
    EventRecorded,
    EventsPublic,
    ProblemPublic,
    TimelinePublic,
)
from domain.case import Case
from domain.history import Recorded, known_at
from domain.rules.cal import add_months
from domain.store.application import CaseLog
from domain.store.recorders import Unchanged
from projections.audit import audit_trail
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.timeline import timeline

_PROBLEM = {"model": ProblemPublic, "content": {"application/problem+json": {}}}
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_PROBLEM, "description": "トークンがない・無効"},
    403: {**_PROBLEM, "description": "他の事業所のケース"},
    404: {**_PROBLEM, "description": "ケースが存在しない"},
    422: {**_PROBLEM, "description": "as_of・on などの指定が不正"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_READ_ERRORS,
    403: {**_PROBLEM, "description": "監査担当者、他の事業所、または管理者以外による事業所の移管"},
    409: {**_PROBLEM, "description": "If-Match の版からケースが進んでいる"},
    413: {**_PROBLEM, "description": "本文が大きすぎる(既定 1 MiB、api.http.limits)"},
    422: {**_PROBLEM, "description": "記録の内容の誤り(errors に項目名)"},
}
_MAX_MONTHS = 120  # ten years: far beyond any entitlement, small enough to answer quickly

router = APIRouter(prefix="/cases", tags=["ケース"], route_class=ReadRoute)


@router.post("", status_code=201, response_model=CaseCreated, responses=_WRITE_ERRORS)
async def open_case(
    body: Annotated[dict[str, Any], Body(description="case_opened の内容(type は不要)")],
    caller: CallerDep,
    cases: CasesDep,
    key: IdempotencyKeyDep,
) -> Response:
    """新しいケースを開始します(ケース開始の記録)。"""
    if body.get("type") == "case_opened":
        body = {k: v for k, v in body.items() if k != "type"}

    def write(principal: Principal, unchanged: Unchanged) -> tuple[dict[str, Any], bool]:
        # A missing or malformed office id is left to payload validation (422), not 403.
        office = body.get("office_id")
        office = office if isinstance(office, str) else principal.office_id
        ensure_can_write(principal, office, "case_opened")
        return idempotency.run_once(
            cases, _scope(principal, key), idempotency.request_digest("POST /cases", body),
            lambda rec: {"case_id": str(rec.case_id), "version": rec.version},
            lambda c: cases.open_case(body, recorded_by=principal.name, companion=c,
                                      unchanged=unchanged).records[-1],
        )  # fmt: skip

    answer, replayed = await run_in_threadpool(caller.write, write, keyed=key is not None)
    return _written(answer, replayed, location=f"/cases/{answer['case_id']}")


@router.post(
    "/{case_id}/events", status_code=201, response_model=EventRecorded, responses=_WRITE_ERRORS
)
async def record_event(
    case_id: UUID,
    body: Annotated[dict[str, Any], Body(description='{"type": "<種別>", ...内容}')],
    caller: CallerDep,
    cases: CasesDep,
    expected: IfMatchDep,
    key: IdempotencyKeyDep,
) -> Response:
    """ケースに出来事を1件記録します(If-Match で版を指定可、Idempotency-Key で再送を安全に)。"""

    def write(principal: Principal, unchanged: Unchanged) -> tuple[dict[str, Any], bool]:
        event_type, payload = _split_type(body)
        case = cases.get_case(case_id)  # loaded once: for the office check and to record on
        ensure_can_record(principal, case, event_type, payload)  # moving office: admins only
        return idempotency.run_once(
            cases, _scope(principal, key),
            idempotency.request_digest(f"POST /cases/{case_id}", body),
            lambda rec: {"version": rec.version, "recorded_at": rec.recorded_at.isoformat()},
            _recorder(cases, case, event_type, payload, principal, expected, unchanged),
        )  # fmt: skip

    answer, replayed = await run_in_threadpool(caller.write, write, keyed=key is not None)
    return _written(answer, replayed)


# The reads below write their answers with orjson (api.http.answers.json_answer). Their
# response models are open (they document the fixed keys and let the rest through), so
# validating an answer against them again only re-copied it: 1–1.5 ms for a timeline of
# a few hundred entries, against 0.1 ms to encode it, and one more hop to the thread pool
# (tests/api/test_read_hops.py checks the answers against the models instead).


@router.get("/{case_id}/events", response_model=EventsPublic, responses=_READ_ERRORS)
def list_events(case: ReadableCase) -> Response:
    """記録された出来事を記録順に返します(as_of 時点で記録済みのもの)。"""
    known = known_at(case.records, case.window.as_of)
    return json_answer({"events": [r.public_json() for r in known]})


@router.get("/{case_id}/timeline", response_model=TimelinePublic, responses=_READ_ERRORS)
def get_timeline(case: ReadableCase) -> Response:
    """出来事と導かれた期日(対象開始日・支給決定の終期・最終日など)を日付順に返します。"""
    return json_answer(timeline(case.reading).as_json())


@router.get("/{case_id}/entitlement", response_model=EntitlementPublic, responses=_READ_ERRORS)
def get_entitlement(case: ReadableCase) -> Response:
    """on の日の受給状態・起算日・最終日・支給決定と、その根拠(ルールID・版番号)を返します。"""
    return json_answer(entitlement(case.reading).as_json())


@router.get("/{case_id}/compliance", response_model=CompliancePublic, responses=_READ_ERRORS)
def get_compliance(
    case: ReadableCase,
    from_month: Annotated[str | None, Query(alias="from", description="最初の月 YYYY-MM")] = None,
    to_month: Annotated[str | None, Query(alias="to", description="最後の月 YYYY-MM")] = None,
) -> Response:
    """月ごとの対面支援・事業主連絡・レポート共有・請求可否、計画見直し、同意違反を返します。"""
    _check_months(from_month, to_month)
    found = compliance(case.reading, from_month=from_month, to_month=to_month)
    return json_answer(found.as_json())


@router.get("/{case_id}/audit", response_model=AuditPublic, responses=_READ_ERRORS)
def get_audit(case: StoredCase) -> Response:
    """出来事をハッシュ連鎖つきで記録順に返し、改ざんの有無(verified)を示します。"""
    # StoredCase reads the rows as stored now, never a snapshot's copy.
    return json_answer(audit_trail(case.records, case.window.as_of).as_json())


# -- helpers -------------------------------------------------------------------------


def _scope(principal: Principal, key: str | None) -> tuple[Principal, str] | None:
    return None if key is None else (principal, key)


def _split_type(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    event_type = body.get("type")
    if event_type is None:
        raise invalid("type", "必須の項目です(出来事の種別)")
    if not isinstance(event_type, str):
        raise invalid("type", "文字列を指定してください")
    return event_type, {k: v for k, v in body.items() if k != "type"}


def _recorder(
    cases: CaseLog, case: Case, event_type: str, payload: dict[str, Any], principal: Principal,
    expected: int | None, unchanged: Unchanged = (),
) -> Callable[[idempotency.Companion | None], Recorded]:  # fmt: skip
    def check(reloaded: Case) -> None:  # a retry (no If-Match) checks the newer case again
        ensure_can_record(principal, reloaded, event_type, payload)

    def write(companion: idempotency.Companion | None) -> Recorded:
        return cases.record(
            case.id, event_type, payload, recorded_by=principal.name,
            expected_version=expected, companion=companion, case=case, check=check,
            unchanged=unchanged,
        )  # fmt: skip

    return write


def _written(answer: dict[str, Any], replayed: bool, location: str = "") -> Response:
    """The write's answer (201), written by orjson in the route: validating it against
    the response model would take one more hop to the thread pool (the model is checked
    in tests/api/test_write_hops.py)."""
    response = json_answer(answer)
    response.status_code = 201
    response.headers["ETag"] = f'"{answer["version"]}"'
    if location:
        response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _check_months(first: str | None, last: str | None) -> None:
    start = parse_month(first, "from") if first is not None else None
    end = parse_month(last, "to") if last is not None else None  # within domain.days
    if start and end:
        if end < start:
            raise invalid("to", "to は from 以降の月にしてください")
        if add_months(start, _MAX_MONTHS) <= end:
            raise invalid("to", f"一度に指定できるのは {_MAX_MONTHS} か月までです")
