"""The month's claim, the 実績記録票 and the comparison of versions over HTTP (issue 22)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from api.app import create_app
from api.http.access_log import access_entries
from api.settings import Settings
from domain.store.application import CaseLog
from tests.api.conftest import OFFICE, OTHER_OFFICE
from tests.api.test_offices import _supported_case

Auth = Callable[[str], dict[str, str]]


def setup_office(client: TestClient, auth: Auth, tier: int = 90) -> None:
    for body in (
        {"type": "office_registered", "name": "試験事業所", "designated_on": "2019-04-01"},
        {"type": "tier_notified", "fiscal_year": 2024, "tier_percent": tier,
         "notified_on": "2024-04-01"},
    ):  # fmt: skip
        answer = client.post(f"/offices/{OFFICE}/events", json=body, headers=auth("admin"))
        assert answer.status_code == 201, answer.text


@pytest.fixture
def supported(client: TestClient, auth: Auth, open_case: Callable[..., str]) -> str:
    """Support from 2024-10-01: seen face to face and reported in 2024-10; 2024-11 by phone."""
    case_id = _supported_case(client, auth, open_case)
    setup_office(client, auth)
    return case_id


def test_the_office_claim_names_units_rules_versions_and_totals(
    client: TestClient, auth: Auth, supported: str
) -> None:
    body = client.get(f"/offices/{OFFICE}/claim?month=2024-10", headers=auth("staff")).json()
    (person,) = body["people"]
    rules = {ln["rule"]: ln for ln in person["lines"]}
    assert person["case_id"] == supported and person["verdict"] == "billable"
    assert rules["FEE-1"]["units"] == 3348 and rules["FEE-2"]["units"] == 900
    assert rules["FEE-1"]["schedule_file"].endswith("2024-04-01_R6.toml")
    assert body["schedule"]["name"] == "R6-6" and body["total"]["units"] == 4248
    assert person["yen"] is None  # no unit price entered
    nov = client.get(f"/offices/{OFFICE}/claim?month=2024-11", headers=auth("auditor")).json()
    assert nov["people"][0]["verdict"] == "unbillable" and nov["total"]["units"] == 0


def test_the_claim_downloads_as_csv_and_xlsx(
    client: TestClient, auth: Auth, supported: str
) -> None:
    url = f"/offices/{OFFICE}/claim?month=2024-10"
    as_csv = client.get(url + "&format=csv", headers=auth("staff"))
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][0] == "受給者証番号" and "基本報酬(FEE-1)" in rows[0]
    total_col = rows[0].index("合計単位数")
    assert rows[1][total_col] == "4248" and rows[-1][0] == "合計" and rows[-1][total_col] == "4248"
    as_xlsx = client.get(url + "&format=xlsx", headers=auth("staff"))
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None and sheet.cell(2, total_col + 1).value == 4248


def test_claim_routes_refuse_other_offices_and_bad_input(
    client: TestClient, auth: Auth, supported: str
) -> None:
    assert client.get(f"/offices/{OFFICE}/claim?month=2024-10",
                      headers=auth("other_staff")).status_code == 403  # fmt: skip
    for query in ("month=2024-13", "month=2024-10&format=pdf", "month=2024-10&as_of=soon"):
        answer = client.get(f"/offices/{OFFICE}/claim?{query}", headers=auth("staff"))
        assert answer.status_code == 422, query
    assert client.get("/offices/123/claim?month=2024-10", headers=auth("admin")).status_code == 422
    sheet = f"/cases/{supported}/record-sheet?month=2024-10"
    assert client.get(sheet, headers=auth("other_staff")).status_code == 403
    one = f"/cases/{supported}/claim?month=2024-10"
    assert client.get(one, headers=auth("other_staff")).status_code == 403
    assert client.get(one.replace("2024-10", "24-10"), headers=auth("staff")).status_code == 422
    assert client.get(sheet + "&format=xml", headers=auth("staff")).status_code == 422
    assert client.get(f"/offices/{OTHER_OFFICE}/record-sheets?month=2024-10",
                      headers=auth("staff")).status_code == 403  # fmt: skip


def test_a_late_correction_changes_the_month_and_as_of_reproduces_the_first_answer(
    client: TestClient, auth: Auth, supported: str
) -> None:
    events = client.get(f"/cases/{supported}/events", headers=auth("staff")).json()["events"]
    contact = next(e for e in events if e["payload"].get("contact_on") == "2024-10-15")
    office = client.get(f"/offices/{OFFICE}/events", headers=auth("staff")).json()["events"]
    before = max(events[-1]["recorded_at"], office[-1]["recorded_at"])  # before the correction
    url = f"/offices/{OFFICE}/claim?month=2024-10"
    sheet_url = f"/cases/{supported}/record-sheet?month=2024-10"
    first = client.get(url, headers=auth("staff")).json()
    first_sheet = client.get(sheet_url, headers=auth("staff")).json()
    fixed = client.post(f"/cases/{supported}/events", headers=auth("staff"), json={
        "type": "event_corrected", "target_version": contact["version"], "reason": "電話だった",
        "replacement": {"contact_on": "2024-10-15", "counterpart": "person", "mode": "phone"}})
    assert fixed.status_code == 201, fixed.text
    now = client.get(url, headers=auth("staff")).json()
    now_sheet = client.get(sheet_url, headers=auth("staff")).json()
    assert now["people"][0]["verdict"] == "unbillable" and now["total"]["units"] == 0
    assert now_sheet["header"]["total_days"] == 0 and first_sheet["header"]["total_days"] == 1
    at = "&as_of=" + quote(before)
    then = client.get(url + at, headers=auth("staff")).json()
    then_sheet = client.get(sheet_url + at, headers=auth("staff")).json()
    assert then["people"] == first["people"] and then["total"] == first["total"]
    assert then_sheet["header"] == first_sheet["header"]
    assert then_sheet["lines"] == first_sheet["lines"]


def test_the_record_sheet_as_json_csv_and_pdf_with_its_read_logged(
    client: TestClient, auth: Auth, supported: str, cases: CaseLog
) -> None:
    url = f"/cases/{supported}/record-sheet?month=2024-10"
    body = client.get(url, headers=auth("staff")).json()
    h = body["header"]
    assert (h["service_month"], h["total_days"], h["report_shared_on"]) == ("202410", 1, "20241031")
    assert (h["start_day"], h["day30"], h["initial_days"]) == ("20241001", "20241030", 1)
    assert body["lines"][0]["day"] == "2024-10-15" and body["lines"][0]["counted"] == 1
    assert body["header_items"]["total_days"] == {"name_ja": "合計算定日数", "item": 37}
    as_csv = client.get(url + "&format=csv", headers=auth("staff"))
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert "算定日数(45)" in rows[0] and "支援レポート共有日(153)" in rows[0]
    assert rows[1][rows[0].index("受給者証番号")] == "\t1234567890"  # leading zeros kept
    pdf = client.get(url + "&format=pdf", headers=auth("staff"))
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "実績記録票" in text and "202410" in text
    endpoints = [e["endpoint"] for e in access_entries(cases, UUID(supported))]
    assert endpoints.count("/cases/{case_id}/record-sheet") == 3


def test_the_whole_office_in_one_download(client: TestClient, auth: Auth, supported: str) -> None:
    url = f"/offices/{OFFICE}/record-sheets?month=2024-10"
    rows = list(csv.reader(io.StringIO(
        client.get(url, headers=auth("staff")).content.decode("utf-8-sig"))))  # fmt: skip
    assert rows[0][0] == "サービス提供年月" and len(rows) == 2
    pdf = client.get(url + "&format=pdf", headers=auth("auditor"))
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1
    case_claim = client.get(f"/cases/{supported}/claim?month=2024-10", headers=auth("staff"))
    assert case_claim.json()["units"] == 4248


DRAFT = """
[version]
name = "R9"
title_ja = "令和9年度(案)"
effective_from = 2027-04-01
continues = ["addon", "reduction", "burden_cap"]
[values."base_fee.any.90"]
value = 3900
certainty = "○"
source = "下書き"
[values."base_fee.any.0"]
value = 1000
certainty = "○"
source = "下書き"
"""


def test_ver_3_compare_with_a_draft_in_the_office_folder(
    cases: CaseLog, tokens: dict[str, str], tmp_path: Path, open_case: Callable[..., str]
) -> None:
    (tmp_path / "r9-draft.toml").write_text(DRAFT, encoding="utf-8")
    app = create_app(Settings(database_url="sqlite:///:memory:", fee_schedule_dir=str(tmp_path)),
                     cases=cases)  # fmt: skip
    client = TestClient(app)

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    case_id = _supported_case(client, auth, lambda: _open(client, auth))
    setup_office(client, auth)
    url = f"/offices/{OFFICE}/claim/compare?from=2024-10&to=2024-11&schedule=r9-draft.toml"
    body = client.get(url, headers=auth("staff")).json()
    (person,) = body["people"]
    assert person["case_id"] == case_id and person["difference"] == 3900 - 3348
    assert body["total"]["difference"] == 552 and body["other_version"]["name"] == "R9"
    assert {c["key"] for c in body["schedule_changes"]} >= {"base_fee.any.90"}
    changed = person["changed_lines"][0]
    assert (changed["month"], changed["rule"], changed["from"], changed["to"]) == (
        "2024-10", "FEE-1", 3348, 3900)
    by_name = client.get(url.replace("r9-draft.toml", "R6"), headers=auth("staff")).json()
    assert by_name["total"]["difference"] == 0
    for bad in ("../etc.toml", "nothing.toml", "R99"):
        answer = client.get(url.replace("r9-draft.toml", bad), headers=auth("staff"))
        assert answer.status_code == 422, bad
    months = client.get(url.replace("to=2024-11", "to=2027-11"), headers=auth("staff"))
    assert months.status_code == 422
    assert client.get(url, headers=auth("other_staff")).status_code == 403


def _open(client: TestClient, auth: Callable[[str], dict[str, str]]) -> str:
    from tests.factories import case_opened_payload

    answer = client.post("/cases", json=case_opened_payload(), headers=auth("staff"))
    assert answer.status_code == 201
    return str(answer.json()["case_id"])


