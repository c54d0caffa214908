"""An office's monthly work: what is due, the billing check, the retention rate.

All three read the stored case views of the office (``projections.views.follower``) — never a
fold of every case — and are logged once per request, naming the cases shown. Staff
read their own office; auditors and admins any. The CSV answers are the same files as the
staff pages' downloads (:func:`billing_table`, :func:`retention_table`, written by
:mod:`api.http.spreadsheet`: UTF-8 with a BOM, leading zeros kept, formulas neutralised).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.http.access_log import record_listing
from api.http.answers import carried, json_answer
from api.http.auth import Principal, ensure_can_read
from api.http.claim_check import ReadRoute
from api.http.deps import CasesDep, PrincipalDep, parse_day, parse_instant, parse_month
from api.http.input_errors import invalid
from api.http.routers.case_list import fresh_views
from api.http.spreadsheet import Table, download
from domain.history import tokyo_date
from domain.store.application import CaseLog
from projections.views.as_of import office_rows_as_of
from projections.views.follower import CaseViews
from projections.views.office import billing_lines, due_items, due_months, retention
from projections.views.row import CaseRow
from projections.views.store import Cursor, Months, utc_text

router = APIRouter(prefix="/offices", tags=["事業所"], route_class=ReadRoute)
AsOf = Annotated[
    str | None, Query(description="この時点で記録済みの内容だけで答える(時差付き ISO 8601)")
]
BillingDay = Annotated[
    str | None, Query(description="判定日 YYYY-MM-DD(既定: 今日、as_of があればその日)")
]
_OFFICE = re.compile(r"^[0-9]{10}$")


def checked_office_id(office_id: str) -> str:
    """The office id of an address, or a 422 naming ``office_id`` (10 half-width digits)."""
    if not _OFFICE.match(office_id):
        raise invalid("office_id", "事業所番号は半角数字10桁です")
    return office_id
Format = Annotated[str, Query(pattern="^(json|csv)$", description="json(既定)または csv")]


@router.get("/{office_id}/due", response_model=None)
def office_due(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, on: Annotated[str | None, Query(description="判定日 YYYY-MM-DD")] = None,
    as_of: AsOf = None,
) -> Response:  # fmt: skip
    """今月やること: 対面支援 MON-1・レポート MON-4・更新 PER-4・計画 PLAN-2・
    終了前の共有 END-2・在職の証明 EVID-1(ケースごと、ルールID付き)。"""
    today = tokyo_date(cases.clock())
    day = parse_day(on, "on") if on else today
    instant = parse_instant(as_of, "as_of") if as_of else None
    fold_on = fold_day("due", instant, day, today)
    if fold_on is None:
        rows = _office_rows(request, response, principal, cases, office_id, day, "/offices/due",
                            due_months(day), persons=False)  # the answer names no one
    else:  # every item judged on the day asked (issue 21), from what was known at as_of
        rows = _rows_as_of(request, response, principal, cases, office_id, instant, fold_on, day,
                           "/offices/due")  # fmt: skip
    found = [
        {"case_id": str(r.case_id), "status": r.status_on(day),
         "items": [i.as_json() for i in due_items(r, day)]}
        for r in rows
    ]  # fmt: skip
    due = [c for c in found if c["items"]]
    # Written by orjson in this hop (not validated as a dict[str, Any] in one more).
    return json_answer(
        {"office_id": office_id, "on": day.isoformat(), **_as_of_json(instant), "cases": due},
        response,
    )


@router.get("/{office_id}/billing", response_model=None)
def office_billing(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, month: Annotated[str, Query(description="請求する月 YYYY-MM")],
    format: Format = "json",
    on: BillingDay = None,
    as_of: AsOf = None,
) -> Any:  # fmt: skip
    """月ごとの請求前チェック(請求可否・理由とルールID・受給者証番号・市町村)。国保連の伝送形式ではありません。"""
    parse_month(month, "month")  # YYYY-MM within domain.days' range
    today = tokyo_date(cases.clock())
    instant = parse_instant(as_of, "as_of") if as_of else None
    day = parse_day(on, "on") if on else (tokyo_date(instant) if instant else today)
    fold_on = fold_day("billing", instant, day, today)
    if fold_on is None:
        rows = _office_rows(request, response, principal, cases, office_id, today,
                            "/offices/billing", (month,))  # fmt: skip
    else:  # the month as known at as_of: every fact for it recorded by then (issue 21)
        rows = _rows_as_of(request, response, principal, cases, office_id, instant, fold_on,
                           day, "/offices/billing")  # fmt: skip
    lines = billing_lines(rows, month, day)
    if format == "csv":
        return carried(download(billing_table(office_id, month, lines), "csv"), response)
    return json_answer({"office_id": office_id, "month": month, "on": day.isoformat(),
                        **_as_of_json(instant), "lines": lines,
                        "note_ja": "請求前の確認用の一覧です。国保連への伝送形式ではありません。"},
                       response)  # fmt: skip


@router.get("/{office_id}/retention", response_model=None)
def office_retention(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, fiscal_year: Annotated[int, Query(ge=2000, le=2100,
                                                      description="年度(例 2026)")],
    format: Format = "json",
    as_of: AsOf = None,
) -> Any:  # fmt: skip
    """就労定着率(RATE ⚠)と基本報酬の区分、分子・分母に数えた人とその根拠の記録。"""
    today = tokyo_date(cases.clock())
    instant = parse_instant(as_of, "as_of") if as_of else None
    fold_on = fold_day("retention", instant, today, today)
    if fold_on is None:
        rows = _office_rows(request, response, principal, cases, office_id, today,
                            "/offices/retention", ())  # fmt: skip
    else:  # the rate as it could be computed at as_of (issue 21)
        rows = _rows_as_of(request, response, principal, cases, office_id, instant, fold_on,
                           fold_on, "/offices/retention")  # fmt: skip
    report = retention(rows, fiscal_year).as_json()
    if format == "csv":
        return carried(download(retention_table(office_id, report), "csv"), response)
    return json_answer({"office_id": office_id, **_as_of_json(instant), **report}, response)


VERDICT_JA = {"billable": "請求可", "unbillable": "請求不可", "in_progress": "今月まだ",
               "out_of_period": "対象期間外"}  # fmt: skip
#: Columns a spreadsheet must keep as text (leading zeros; a month is not a date).
CODES = frozenset({"受給者証番号", "市町村番号", "事業所番号", "対象月"})


def billing_table(office_id: str, month: str, lines: list[dict[str, Any]]) -> Table:
    """The billing check as a file: one row per line of :func:`billing_lines`."""
    header = ["受給者証番号", "氏名", "市町村番号", "対象月", "判定", "対面支援回数",
              "レポート共有", "理由(ルールID)", "ケースID", "事業所番号"]  # fmt: skip
    rows = [[ln["recipient_number"], ln["name"], ln["municipality_code"], ln["month"],
             VERDICT_JA[ln["verdict"]], ln["face_to_face"], "済" if ln["report_shared"] else "未",
             " / ".join(f"{r['rule']}: {r['text_ja']}" for r in ln["reasons"]),
             ln["case_id"], office_id] for ln in lines]  # fmt: skip
    return Table(f"請求前チェック {month}", f"請求前チェック_{office_id}_{month}",
                 f"billing-{office_id}-{month}", header, rows, CODES)  # fmt: skip


def retention_table(office_id: str, report: dict[str, Any]) -> Table:
    """The persons behind the retention rate (RATE ⚠) as a file: one row per person."""
    year = report["fiscal_year"]
    header = ["受給者証番号", "氏名", "定着(年度末に雇用継続)", "根拠の記録(版番号)", "ケースID",
              "事業所番号"]  # fmt: skip
    rows = [[u["recipient_number"], u["name"], "はい" if u["retained"] else "いいえ",
             " ".join(str(v) for v in u["events"]), " ".join(u["cases"]), office_id]
            for u in report["users"]]  # fmt: skip
    return Table(f"就労定着率 {year}年度", f"就労定着率_{office_id}_{year}年度",
                 f"retention-{office_id}-{year}", header, rows, CODES)  # fmt: skip


def _office_rows(
    request: Request, response: Response, principal: Principal, cases: CaseLog,
    office_id: str, day: date, endpoint: str, months: Months = "*", *, persons: bool = True,
) -> list[CaseRow]:  # fmt: skip
    ensure_can_read(principal, checked_office_id(office_id))
    views, gen = fresh_views(request, response)
    return office_rows(views, cases, principal, office_id, day, endpoint, gen, months,
                       persons=persons)  # fmt: skip


def office_rows(
    views: CaseViews, cases: CaseLog, principal: Principal, office_id: str, day: date,
    endpoint: str, gen: int | None = None, months: Months = "*", *, persons: bool = True,
) -> list[CaseRow]:  # fmt: skip
    """Every row of the office, evaluated for today, the read logged once. ``months``:
    the month rows the answer uses (issue 24: a page reads only the months it shows);
    ``persons=False``: the answer names no one (no person opened)."""
    rows = read_office_rows(views, cases, office_id, day, gen, months, persons=persons)
    record_listing(cases, principal, endpoint, on=day, case_ids=[r.case_id for r in rows])
    return rows


def read_office_rows(
    views: CaseViews, cases: CaseLog, office_id: str, day: date, gen: int | None = None,
    months: Months = "*", *, persons: bool = True,
) -> list[CaseRow]:  # fmt: skip
    """:func:`office_rows` without its access entry, for a caller that logs only the
    cases it goes on to show (the claim)."""
    gen = views.generation if gen is None else gen
    rows: list[CaseRow] = []
    after = None
    while True:
        page, after = views.page(office_id, after, 500, gen=gen, months=months, persons=persons)
        rows += page
        if after is None:
            break
    return views.refresh(rows, max(day, tokyo_date(cases.clock())), gen)


# -- As of an instant, on a chosen day (issue 21) ---------------------------------------


def fold_day(kind: str, as_of: datetime | None, on: date, today: date) -> date | None:
    """Where an office answer comes from — one rule for the API and the pages: ``None``,
    the stored views, which answer for now and today; else the day each case is folded
    on, as known at ``as_of``: the due list on the day asked; the billing check on the
    later of that day and the day of knowledge (every fact for the month recorded by
    then); the retention rate (``kind`` "retention", which has no day of its own) on the
    day of knowledge."""
    if as_of is None and (on == today or kind == "retention"):
        return None
    known = tokyo_date(as_of) if as_of is not None else today
    return {"due": on, "billing": max(on, known)}.get(kind, known)


def _as_of_json(instant: datetime | None) -> dict[str, Any]:
    return {"as_of": instant.isoformat()} if instant is not None else {}


def _rows_as_of(
    request: Request, response: Response, principal: Principal, cases: CaseLog,
    office_id: str, as_of: datetime | None, fold_on: date, day: date, endpoint: str,
) -> list[CaseRow]:  # fmt: skip
    """The office's rows as known at ``as_of`` (None: now), each case folded on
    ``fold_on``: not the stored views (which answer for now), the folds themselves."""
    ensure_can_read(principal, checked_office_id(office_id))
    views, gen = fresh_views(request, response)
    rows = office_rows_at(views, cases, principal, office_id, as_of, fold_on, day, endpoint, gen)
    return rows


def office_rows_at(
    views: CaseViews, cases: CaseLog, principal: Principal, office_id: str,
    as_of: datetime | None, fold_on: date, day: date, endpoint: str, gen: int | None = None,
) -> list[CaseRow]:  # fmt: skip
    """:func:`projections.views.as_of.office_rows_as_of` over every case opened by
    ``as_of`` (in any office now: a case may have moved since), the read logged once."""
    gen = views.generation if gen is None else gen
    # The cases that ever belonged to the office, from the views' index (issue 24: no read
    # of every case in the store); each folded as known then, the fold decides the office.
    ids: list[UUID] = []
    after: Cursor | None = None
    while True:
        batch = views.office_case_ids(office_id, after, 500, gen)
        for case_id, opened_at in batch:
            after = Cursor(utc_text(opened_at), str(case_id))
            if as_of is None or opened_at <= as_of:
                ids.append(case_id)
        if len(batch) < 500:
            break
    rows = office_rows_as_of(((i, cases.get_case(i).records) for i in ids), office_id, as_of,
                             fold_on)  # fmt: skip
    record_listing(cases, principal, endpoint, on=day, case_ids=[r.case_id for r in rows])
    return rows
