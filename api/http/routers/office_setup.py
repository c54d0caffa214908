"""The office's 体制 (体制届) as events: record them (admins), read them as of any instant.

``POST /offices/{id}/events`` records one office event (:mod:`domain.office`) — only an
administrator; staff and auditors are 403. ``GET /offices/{id}/setup`` answers the facts
as known at ``as_of`` with the notified 就労定着率 tier beside the computed one (RATE ⚠),
``GET /offices/{id}/events`` every event with its hash and previous hash. Staff read
their own office, auditors and admins any.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Body, Query, Request, Response

from api.http.auth import Forbidden, Principal, ensure_can_read
from api.http.claim_check import ReadRoute
from api.http.deps import CasesDep, PrincipalDep, parse_instant
from api.http.input_errors import InvalidInput, invalid
from api.http.routers.case_list import fresh_views
from api.http.routers.offices import checked_office_id, office_rows
from domain.history import tokyo_date
from domain.office import (
    Office,
    OfficeFacts,
    OfficeRuleViolation,
    office_aggregate_id,
    office_facts,
)
from domain.rules.schedule import FeeSchedule, builtin
from domain.store.application import CaseLog, VersionConflict
from projections.office_setup import setup_answer
from projections.views.office import fiscal_year_of, retention, retention_years

router = APIRouter(prefix="/offices", tags=["事業所"], route_class=ReadRoute)
AsOf = Annotated[
    str | None, Query(description="この時点で記録済みの内容だけで答える(時差付き ISO 8601)")
]


def load_office(cases: CaseLog, office_id: str) -> Office | None:
    """The office's aggregate, or ``None`` when nothing was recorded for it yet."""
    try:
        found: object = cases.repository.get(office_aggregate_id(office_id))
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Office) else None


def read_office_facts(cases: CaseLog, office_id: str, as_of: Any = None) -> OfficeFacts:
    """The office's 体制 as known at ``as_of`` (no events: no facts)."""
    office = load_office(cases, office_id)
    return office_facts(office_id, office.records if office else [], as_of)


def fee_schedule_of(request: Request) -> FeeSchedule:
    found = getattr(request.app.state, "fee_schedule", None)
    return found if isinstance(found, FeeSchedule) else builtin()


@router.post("/{office_id}/events", status_code=201)
def record_office_event(
    office_id: str, response: Response, principal: PrincipalDep, cases: CasesDep,
    body: Annotated[dict[str, Any], Body(description='{"type": "<種別>", ...内容}')],
) -> dict[str, Any]:  # fmt: skip
    """事業所の体制(事業所番号・名称・指定日、定着率区分、加算、減算、一体的運営、利用者数規模、
    地域区分の単価)を1件記録します。管理者のみ。
    訂正・取消は理由つきで(event_corrected / event_retracted)。"""
    checked_office_id(office_id)
    if principal.role != "admin":
        raise Forbidden("事業所の体制は管理者だけが記録できます")
    event_type = body.get("type")
    if not isinstance(event_type, str):
        raise invalid("type", "記録の種別(type)を指定してください")
    payload = {k: v for k, v in body.items() if k != "type"}
    office = load_office(cases, office_id)
    at = cases.clock()
    try:
        if office is None:
            if event_type != "office_registered":
                first = "最初に office_registered(事業所番号・名称・指定日)を記録してください"
                raise invalid("type", first)
            if payload.get("office_id", office_id) != office_id:
                raise invalid("office_id", "URL の事業所番号と違います")
            office = Office.register({**payload, "office_id": office_id},
                                     recorded_by=principal.name, recorded_at=at)  # fmt: skip
            record = office.records[-1]
        else:
            record = office.record(event_type, payload, recorded_by=principal.name, recorded_at=at)
    except OfficeRuleViolation as exc:
        raise InvalidInput(exc.problems) from None
    try:
        cases.save(office)
    except IntegrityError:
        raise VersionConflict(None, None) from None
    response.headers["ETag"] = f'"{record["version"]}"'
    return {"office_id": office_id, "version": record["version"],
            "recorded_at": record["recorded_at"], "hash": record["hash"]}  # fmt: skip


@router.get("/{office_id}/events")
def list_office_events(
    office_id: str, principal: PrincipalDep, cases: CasesDep, as_of: AsOf = None
) -> dict[str, Any]:
    """事業所の体制の記録を記録順に(ハッシュと直前のハッシュつき、as_of 時点で記録済みのもの)。"""
    _readable(principal, office_id)
    instant = parse_instant(as_of, "as_of") if as_of else None
    office = load_office(cases, office_id)
    records = office.records if office else []
    known = [r for r in records
             if instant is None or datetime.fromisoformat(r["recorded_at"]) <= instant]  # fmt: skip
    return {"office_id": office_id, "events": known,
            "chain_ok": chain_ok(office) if office else True}  # fmt: skip


def chain_ok(office: Office) -> bool:
    """Every stored office event's hash recomputes, and links to the one before."""
    return not office.chain_breaks()


@router.get("/{office_id}/setup")
def office_setup(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, as_of: AsOf = None,
) -> dict[str, Any]:  # fmt: skip
    """事業所の体制(as_of 時点で記録済みのもの)と、
    届け出た定着率区分・記録から計算した区分(RATE ⚠)。"""
    _readable(principal, office_id)
    instant = parse_instant(as_of, "as_of") if as_of else None
    facts = read_office_facts(cases, office_id, instant)
    today = tokyo_date(cases.clock())
    views, gen = fresh_views(request, response)
    rows = office_rows(views, cases, principal, office_id, today, "/offices/setup", gen, ())
    years = set(retention_years(rows, today)) | {fiscal_year_of(today)}
    years |= {int(f.payload["fiscal_year"]) for f in facts.of_type("tier_notified")}
    reports = {y: retention(rows, y) for y in years}
    return setup_answer(facts, reports, fee_schedule_of(request))


def _readable(principal: Principal, office_id: str) -> None:
    checked_office_id(office_id)
    ensure_can_read(principal, office_id)
