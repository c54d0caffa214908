"""The month's claim (FEE-1..10), the 実績記録票 (REC-1, REC-2) and a version's impact (VER-3).

- ``GET /offices/{id}/claim?month=`` per person and in total (JSON, CSV, xlsx).
- ``GET /offices/{id}/claim/compare?from=&to=&schedule=`` the same months under the
  versions in force and under another (a version's name, or a draft file in the office's
  schedule folder).
- ``GET /cases/{id}/claim?month=`` one person's month.
- ``GET /cases/{id}/record-sheet?month=`` (JSON, CSV, PDF) and
  ``GET /offices/{id}/record-sheets?month=`` the whole office in one file (CSV, PDF).

The office's cases come from the stored views (only the cases whose month is in their
support period are folded, each once, for that fiscal year's months); reads are logged
like every other read (one listing entry naming the cases, or the case's access log).
Staff read their own office; auditors and admins any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from api.http.access_log import record_listing
from api.http.answers import carried, json_answer
from api.http.auth import Principal, ensure_can_read
from api.http.claim_check import ReadRoute
from api.http.deps import CasesDep, PrincipalDep, ReadableCase, parse_instant, parse_month
from api.http.input_errors import invalid
from api.http.record_sheet_pdf import render_sheets
from api.http.routers.case_list import fresh_views
from api.http.routers.office_setup import fee_schedule_of, read_office_facts
from api.http.routers.offices import checked_office_id, read_office_rows
from api.http.spreadsheet import Table, download
from domain.history import tokyo_date
from domain.office import OfficeFacts, office_facts
from domain.payloads import CaseOpened
from domain.rules.schedule import FeeSchedule, ScheduleError, Version, with_office_files
from domain.store.application import CaseLog
from projections.claim import PersonMonth, fiscal_year, months_between, person_month
from projections.claim_office import PersonClaim, Side, compare, totals
from projections.reading import Reading, read_case
from projections.record_sheet import HEADER_ITEMS, LINE_ITEMS, RecordSheet, record_sheet
from projections.views.office import billing_lines, retention
from projections.views.row import CaseRow

router = APIRouter(tags=["請求"], route_class=ReadRoute)
AsOf = Annotated[
    str | None, Query(description="この時点で記録済みの内容だけで答える(時差付き ISO 8601)")
]
MonthQ = Annotated[str, Query(description="サービス提供月 YYYY-MM")]
#: At most two fiscal years side by side (VER-3).
COMPARE_MONTHS_MAX = 24
VERDICT_JA = {"billable": "請求可", "unbillable": "請求不可", "in_progress": "今月まだ",
              "out_of_period": "対象期間外"}  # fmt: skip
CODES = frozenset({"受給者証番号", "市町村番号", "事業所番号", "対象月", "サービス提供年月",
                   "ケースID", "日付", "利用開始日(70)", "30日目(71)",
                   "支援レポート共有日(153)"})  # fmt: skip


@dataclass(frozen=True)
class _Person:
    row: CaseRow
    reading: Reading


def _office_people(
    request: Request, response: Response, principal: Principal, cases: CaseLog,
    office_id: str, months: list[str], as_of: datetime | None, endpoint: str,
) -> tuple[list[_Person], list[CaseRow]]:  # fmt: skip
    """The office's cases with any of ``months`` in their support period, read at ``as_of``."""
    checked_office_id(office_id)
    ensure_can_read(principal, office_id)
    views, gen = fresh_views(request, response)
    today = tokyo_date(cases.clock())
    # Only the months asked: billing_lines reads those, the retention rate none.
    rows = read_office_rows(views, cases, office_id, today, gen, tuple(months))
    wanted = {line["case_id"] for m in months for line in billing_lines(rows, m, today)}
    chosen = [r for r in rows if str(r.case_id) in wanted]
    people = []
    for row in chosen:
        reading = read_case(cases.get_case(row.case_id), today, as_of)
        if reading.history.opened() is not None:
            people.append(_Person(row, reading))
    record_listing(cases, principal, endpoint, on=today,
                   case_ids=[p.row.case_id for p in people])  # fmt: skip
    return people, rows


def _rates(rows: list[CaseRow], months: list[str]) -> dict[int, Fraction | None]:
    out: dict[int, Fraction | None] = {}
    for year in {fiscal_year(m) for m in months}:
        report = retention(rows, year).as_json()
        out[year] = Fraction(report["numerator"], report["denominator"]) if report[
            "denominator"] else None  # fmt: skip
    return out


def _claims(
    people: list[_Person], rows: list[CaseRow], month: str, office: OfficeFacts,
    schedule: FeeSchedule,
) -> list[PersonClaim]:  # fmt: skip
    rate = _rates(rows, [month])[fiscal_year(month)]
    return [PersonClaim(str(p.row.case_id), p.row.person,
                        person_month(p.reading, month, office, schedule, rate))
            for p in people]  # fmt: skip


@router.get("/offices/{office_id}/claim", response_model=None)
def office_claim(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, month: MonthQ, as_of: AsOf = None,
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> Any:  # fmt: skip
    """月の請求(単位数):人ごとの行(ルールID・報酬の版とファイル・根拠の記録)と事業所の合計。
    円は地域区分の単価を登録した場合のみ。国保連の伝送形式ではありません。"""
    parse_month(month, "month")
    instant = parse_instant(as_of, "as_of") if as_of else None
    people, rows = _office_people(request, response, principal, cases, office_id, [month],
                                  instant, "/offices/claim")  # fmt: skip
    office = read_office_facts(cases, office_id, instant)
    schedule = fee_schedule_of(request)
    claims = _claims(people, rows, month, office, schedule)
    version = schedule.for_month(month)
    if format in ("csv", "xlsx"):
        return carried(download(claim_table(office_id, month, claims), format), response)
    return json_answer({
        "office_id": office_id, "month": month, "as_of": instant.isoformat() if instant else None,
        "schedule": version.as_json() if version else None,
        "office_registered": office.registration is not None,
        "people": [c.as_json() for c in claims],
        "total": totals(claims),
        "note_ja": "単位数の計算と根拠の一覧です。国保連への伝送形式ではありません。"
                   "⚠ の行は告示で確認してください。",
    }, response)  # fmt: skip


CLAIM_RULE_COLUMNS = [("FEE-1", "基本報酬"), ("FEE-2", "初期加算"), ("FEE-3", "地域連携会議"),
                      ("FEE-4", "実績体制"), ("FEE-5", "職場適応援助者"), ("FEE-6", "特別地域"),
                      ("FEE-7", "上限管理"), ("FEE-9", "減算"), ("FEE-8", "処遇改善")]  # fmt: skip


def claim_table(office_id: str, month: str, claims: list[PersonClaim]) -> Table:
    """The office's month as a file: one row per person, the units by rule, and the total."""
    header = ["受給者証番号", "氏名", "市町村番号", "対象月", "判定",
              *[f"{title}({rule})" for rule, title in CLAIM_RULE_COLUMNS],
              "合計単位数", "金額(円)", "利用者負担(円)", "報酬の版", "要確認(⚠)", "ケースID",
              "事業所番号"]  # fmt: skip
    rows: list[list[Any]] = []
    for c in claims:
        pm = c.month
        by_rule = {rule: _rule_units(pm, rule) for rule, _ in CLAIM_RULE_COLUMNS}
        rows.append([c.person.get("recipient_number"), c.person.get("name"),
                     c.person.get("municipality_code"), month, VERDICT_JA[pm.verdict],
                     *by_rule.values(), pm.units, pm.yen,
                     pm.burden.get("yen") if pm.burden else None,
                     pm.version.name if pm.version else "",
                     "⚠" if pm.as_json()["warning"] else "", c.case_id, office_id])  # fmt: skip
    t = totals(claims)
    sums = [t["by_rule"].get(r, 0) for r, _ in CLAIM_RULE_COLUMNS]
    rows.append(["合計", "", "", month, "", *sums,
                 t["units"], t["yen"], t["user_burden_yen"], "", "", "", office_id])  # fmt: skip
    return Table(f"請求 {month}", f"請求_{office_id}_{month}", f"claim-{office_id}-{month}",
                 header, rows, CODES)  # fmt: skip


def _rule_units(pm: PersonMonth, rule: str) -> int | None:
    lines = [ln for ln in pm.lines if ln.rule == rule]
    if not lines:
        return 0
    if any(ln.units is None for ln in lines):
        return None
    return sum(ln.units or 0 for ln in lines)


@router.get("/offices/{office_id}/claim/compare")
def claim_compare(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, schedule: Annotated[str, Query(
        description="比べる版の名前(例 R6)、または報酬の版のフォルダにある下書きファイル名")],
    from_: Annotated[str, Query(alias="from", description="最初の月 YYYY-MM")],
    to: Annotated[str, Query(description="最後の月 YYYY-MM")],
) -> dict[str, Any]:  # fmt: skip
    """新しい版の影響(VER-3):同じ月を、施行中の版と別の版(または下書き)で計算し、人ごと・合計で比べます。"""
    return claim_comparison(office_id, request, response, principal, cases, schedule, from_, to,
                            "/offices/claim/compare")  # fmt: skip


def claim_comparison(
    office_id: str, request: Request, response: Response, principal: Principal, cases: CaseLog,
    schedule: str, from_: str, to: str, endpoint: str,
) -> dict[str, Any]:  # fmt: skip
    """:func:`claim_compare`, its read logged under ``endpoint`` (the page logs its own)."""
    first, last = parse_month(from_, "from"), parse_month(to, "to")
    if last < first:
        raise invalid("to", "to は from 以降の月にしてください")
    months = months_between(from_, to)
    if len(months) > COMPARE_MONTHS_MAX:
        raise invalid("to", f"比べられるのは{COMPARE_MONTHS_MAX}か月までです")
    base = fee_schedule_of(request)
    other = _other_version(request, base, schedule)
    people, rows = _office_people(request, response, principal, cases, office_id, months,
                                  None, endpoint)  # fmt: skip
    office = read_office_facts(cases, office_id)
    rates = _rates(rows, months)
    sides = []
    for p in people:
        now = [person_month(p.reading, m, office, base, rates[fiscal_year(m)]) for m in months]
        alt = [person_month(p.reading, m, office, base, rates[fiscal_year(m)], other)
               for m in months]  # fmt: skip
        sides.append((str(p.row.case_id), p.row.person, Side(now), Side(alt)))
    in_force = base.for_month(months[-1])
    return {"office_id": office_id, "from": from_, "to": to, "months": months,
            **compare(sides, in_force, other), "rule": "VER-3"}  # fmt: skip


_DRAFT = re.compile(r"^[A-Za-z0-9_.-]{1,100}\.toml$")


def _other_version(request: Request, base: FeeSchedule, name: str) -> Version:
    """A version by name, or a draft file (by its name) in the office's schedule folder."""
    found = base.named(name)
    if found is not None:
        return found
    folder = getattr(request.app.state.settings, "fee_schedule_dir", None)
    if not _DRAFT.match(name):
        known = ", ".join(v.name for v in base.versions)
        message = f"版の名前({known})か、下書きファイル名(*.toml)を指定してください"
        raise invalid("schedule", message)
    if not folder:
        raise invalid("schedule", "報酬の版のフォルダ(TEICHAKU_FEE_SCHEDULE)が設定されていません")
    path = Path(folder) / name
    if not path.is_file():
        raise invalid("schedule", "そのファイルは報酬の版のフォルダにありません")
    from api.settings import office_schedule_files

    others = [f for f in office_schedule_files(folder) if Path(f[0]).name != name]
    try:
        schedule = with_office_files([*others, (str(path), path.read_text(encoding="utf-8"))])
    except ScheduleError as exc:
        raise invalid("schedule", str(exc)) from None
    draft = next((v for v in schedule.versions if v.file == str(path)), None)
    if draft is None:  # an amendment: the version it amends, as amended
        draft = next((v for v in schedule.versions if str(path) in v.amended_by), None)
    if draft is None:
        raise invalid("schedule", "下書きファイルから版を読み取れません")
    return draft


# -- one case --------------------------------------------------------------------------


def _case_claim(request: Request, cases: CaseLog, case: Any, month: str) -> PersonMonth:
    opened = case.reading.history.opened()
    office_id = opened.payload.office_id if opened else None
    office = read_office_facts(cases, office_id, case.window.as_of) if office_id else None
    if office is None:
        office = office_facts("", [])
    return person_month(case.reading, month, office, fee_schedule_of(request))


@router.get("/cases/{case_id}/claim", response_model=None)
def case_claim(
    request: Request, case: ReadableCase, cases: CasesDep, month: MonthQ
) -> Response:
    """一人の月の請求(単位数と根拠)。就労定着率の区分は事業所の届出(体制)から。"""
    parse_month(month, "month")
    # Written by orjson in this hop (not validated as a dict[str, Any] in one more).
    claim = _case_claim(request, cases, case, month).as_json()
    return json_answer({"case_id": str(case.case_id), **claim})


@router.get("/cases/{case_id}/record-sheet", response_model=None)
def case_record_sheet(
    request: Request, case: ReadableCase, cases: CasesDep, month: MonthQ,
    format: Annotated[str, Query(pattern="^(json|csv|pdf)$")] = "json",
) -> Any:  # fmt: skip
    """実績記録票(REC-1, REC-2):ヘッダー、支援のあった日ごとの行、合計。
    as_of で印刷時の内容を再現します。"""
    parse_month(month, "month")
    claim = _case_claim(request, cases, case, month)
    sheet = record_sheet(case.reading, month, claim, str(case.case_id))
    opened = case.reading.history.opened()
    person = opened.payload.person if opened and isinstance(opened.payload, CaseOpened) else None
    names = {str(case.case_id): {"name": person.name if person else None}}
    return _sheets_answer([sheet], format, f"実績記録票_{month}", f"record-sheet-{month}", names,
                          single=True)  # fmt: skip


@router.get("/offices/{office_id}/record-sheets", response_model=None)
def office_record_sheets(
    office_id: str, request: Request, response: Response, principal: PrincipalDep,
    cases: CasesDep, month: MonthQ, as_of: AsOf = None,
    format: Annotated[str, Query(pattern="^(json|csv|pdf)$")] = "csv",
) -> Any:  # fmt: skip
    """事業所の全員の実績記録票を1つのファイルで(CSV は J611 の項目名と番号、PDF は1人1ページ)。"""
    parse_month(month, "month")
    instant = parse_instant(as_of, "as_of") if as_of else None
    people, rows = _office_people(request, response, principal, cases, office_id, [month],
                                  instant, "/offices/record-sheets")  # fmt: skip
    office = read_office_facts(cases, office_id, instant)
    claims = _claims(people, rows, month, office, fee_schedule_of(request))
    sheets = [record_sheet(p.reading, month, c.month, c.case_id)
              for p, c in zip(people, claims, strict=True)]  # fmt: skip
    return carried(_sheets_answer(sheets, format, f"実績記録票_{office_id}_{month}",
                                  f"record-sheets-{office_id}-{month}", people_of(people)),
                   response)  # fmt: skip


def people_of(people: list[_Person]) -> dict[str, dict[str, Any]]:
    return {str(p.row.case_id): dict(p.row.person) for p in people}


def _sheets_answer(
    sheets: list[RecordSheet], format: str, name: str, ascii_name: str,
    people: dict[str, dict[str, Any]], *, single: bool = False,
) -> Response:  # fmt: skip
    if format == "csv":
        return download(sheet_table(sheets, name, ascii_name), "csv")
    if format == "pdf":
        body = render_sheets(sheets, people)
        quoted = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name)
        disposition = (f"attachment; filename=\"{quoted}.pdf\"; "
                       f"filename*=UTF-8''{quote(name)}.pdf")  # fmt: skip
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": disposition})  # fmt: skip
    if single:
        return json_answer(sheets[0].as_json())
    return json_answer({"sheets": [s.as_json() for s in sheets]})


def _label(items: dict[str, tuple[str, int | None]], key: str) -> str:
    name, number = items[key]
    return f"{name}({number})" if number is not None else name


def sheet_table(sheets: list[RecordSheet], name: str, ascii_name: str) -> Table:
    """実績記録票 as CSV: one row per detail line (J611:02) with the header (J611:01) beside
    it; column names carry the J611 item names and numbers (fees.md REC)."""
    head_keys = list(HEADER_ITEMS)
    line_keys = list(LINE_ITEMS)
    header = [*(_label(HEADER_ITEMS, k) for k in head_keys),
              *(_label(LINE_ITEMS, k) for k in line_keys), "ケースID"]  # fmt: skip
    rows: list[list[Any]] = []
    for s in sheets:
        head = [s.header[k] for k in head_keys]
        if not s.lines:
            rows.append([*head, *([None] * len(line_keys)), s.case_id])
        for ln in s.lines:
            rows.append([*head, ln.day.strftime("%Y%m%d"), ln.counted, ln.special_area or None,
                         ln.meeting, ln.note, s.case_id])  # fmt: skip
    return Table("実績記録票", name, ascii_name, header, rows, CODES)
