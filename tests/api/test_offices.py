"""An office's monthly work over HTTP: due list, billing check (JSON and CSV), retention."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.factories import OFFICE, OTHER_OFFICE

Auth = Callable[[str], dict[str, str]]


def _supported_case(client: TestClient, auth: Auth, open_case: Callable[..., str]) -> str:
    case_id = open_case()
    for body in (
        {"type": "hired", "hired_on": "2024-04-01", "employer": {"name": "株式会社サンプル"}},
        {"type": "contract_signed", "signed_on": "2024-09-20", "support_from": "2024-10-01"},
        {"type": "decision_granted", "decided_on": "2024-09-25", "valid_from": "2024-10-01",
         "valid_to": "2025-09-30", "municipality_code": "131016"},
        {"type": "contact_recorded", "contact_on": "2024-10-15", "counterpart": "person",
         "mode": "face_to_face"},
        {"type": "support_report_shared", "month": "2024-10", "shared_on": "2024-10-31",
         "shared_with": ["本人"]},
        {"type": "contact_recorded", "contact_on": "2024-11-15", "counterpart": "person",
         "mode": "phone"},
    ):  # fmt: skip
        posted = client.post(f"/cases/{case_id}/events", json=body, headers=auth("staff"))
        assert posted.status_code == 201, posted.text
    return case_id


def test_due_list_names_each_duty_of_the_month_with_its_rule(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    case_id = _supported_case(client, auth, open_case)

    body = client.get(f"/offices/{OFFICE}/due", headers=auth("staff")).json()

    (case,) = body["cases"]
    assert body["on"] == "2025-06-02" and case["case_id"] == case_id
    rules = {item["rule"]: item for item in case["items"]}
    # 2 to 30 June, the day itself counted: 29 days left, not yet overdue
    assert "残り29日" in rules["MON-1"]["text_ja"] and not rules["MON-1"]["overdue"]
    assert rules["PLAN-1"]["overdue"] is True  # no plan since support started 2024-10-01
    assert "EVID-1" not in rules  # year 1's proof is due 2025-09-30, listed from 2025-08-01
    assert "PER-4" not in rules  # the decision ends 2025-09-30: 120 days away


def test_due_list_warns_of_a_renewal_within_thirty_days(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    _supported_case(client, auth, open_case)

    body = client.get(f"/offices/{OFFICE}/due?on=2025-09-10", headers=auth("staff")).json()

    (item,) = [i for i in body["cases"][0]["items"] if i["rule"] == "PER-4"]
    assert item["due_on"] == "2025-09-30" and "あと20日" in item["text_ja"]
    assert item["interpretive"] is True


def test_billing_lists_each_month_verdict_with_reasons_and_parses_back_from_csv(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    _supported_case(client, auth, open_case)

    october = client.get(f"/offices/{OFFICE}/billing?month=2024-10", headers=auth("staff"))
    november = client.get(f"/offices/{OFFICE}/billing?month=2024-11&format=csv",
                          headers=auth("auditor"))  # fmt: skip

    (line,) = october.json()["lines"]
    assert line["verdict"] == "billable" and line["recipient_number"] == "1234567890"
    assert november.headers["content-type"].startswith("text/csv")
    assert november.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(november.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["受給者証番号", "氏名", "市町村番号", "対象月", "判定"]
    # a code after a TAB, so Excel keeps it as text (api.http.spreadsheet)
    assert rows[1][0] == "\t1234567890" and rows[1][4] == "請求不可"
    assert "MON-2" in rows[1][7] and "MON-4" in rows[1][7]


def test_office_reports_refuse_other_offices_and_bad_months(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    _supported_case(client, auth, open_case)

    assert client.get(f"/offices/{OTHER_OFFICE}/due", headers=auth("staff")).status_code == 403
    bad = client.get(f"/offices/{OFFICE}/billing?month=2024-13", headers=auth("staff"))
    assert bad.status_code == 422
    assert client.get("/offices/12/due", headers=auth("auditor")).status_code == 422


def test_retention_counts_users_of_three_years_and_those_still_employed(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    kept = _supported_case(client, auth, open_case)
    left = _supported_case(client, auth, lambda: open_case(recipient_number="2222222222"))
    resigned = {"type": "resigned", "resigned_on": "2025-02-28"}
    assert client.post(f"/cases/{left}/events", json=resigned, headers=auth("staff")).is_success

    body = client.get(f"/offices/{OFFICE}/retention?fiscal_year=2025", headers=auth("staff"))
    report = body.json()
    as_csv = client.get(f"/offices/{OFFICE}/retention?fiscal_year=2025&format=csv",
                        headers=auth("staff"))  # fmt: skip

    assert (report["numerator"], report["denominator"]) == (1, 2)
    assert report["percent"] == 50.0 and report["units_per_month"] == 1690
    assert {u["cases"][0]: u["retained"] for u in report["users"]} == {kept: True, left: False}
    assert report["employed_on"] == "2025-03-31"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert sorted(r[2] for r in rows[1:]) == ["いいえ", "はい"]


def test_staff_pages_show_the_due_list_and_the_billing_check_of_their_office(
    client: TestClient, auth: Auth, open_case: Callable[..., str], tokens: dict[str, str]
) -> None:
    _supported_case(client, auth, open_case)
    signed = client.post("/web/login", data={"token": tokens["staff"]}, follow_redirects=False)
    assert signed.status_code == 303

    due = client.get(f"/web/offices/{OFFICE}/due").text
    billing = client.get(f"/web/offices/{OFFICE}/billing?month=2024-11").text
    other = client.get(f"/web/offices/{OTHER_OFFICE}/due")

    assert "今月(2025-06)の本人との対面支援がまだです" in due and "試験 花子" in due
    assert 'data-verdict="unbillable"' in billing and "1234567890" in billing
    assert "MON-2" in billing and "国保連への伝送形式ではありません" in billing
    assert other.status_code == 403
