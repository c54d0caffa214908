"""The monthly support report (MON-4) over HTTP: JSON, PDF, the staff's page, the sharing.

The clock stands at 2025-06-02 (conftest); the case was hired 2024-04-01, so May 2025
lies in its support period once a contract and a decision are recorded.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.http.access_log import access_entries
from domain.store.application import CaseLog
from tests.api.conftest import NAMES

MONTH = "2025-05"
Auth = Callable[[str], dict[str, str]]
Post = Callable[..., httpx.Response]


@pytest.fixture
def supported(case_id: str, post_event: Post) -> str:
    """A case in support with a face-to-face contact in May and a consent for the employer."""
    for event_type, payload in [
        ("contract_signed", {"signed_on": "2024-10-01", "support_from": "2024-10-01"}),
        ("decision_granted", {"decided_on": "2024-10-01", "valid_from": "2024-10-01",
                              "valid_to": "2025-09-30"}),
        ("plan_revised", {"revised_on": "2025-04-01", "goals": ["休まず通勤する"]}),
        ("consent_given", {"consent_id": "C1", "given_on": "2024-10-01", "written": True,
                           "parties": ["株式会社サンプル"], "information": ["勤務状況"]}),
        ("contact_recorded", {"contact_on": "2025-05-10", "counterpart": "person",
                              "mode": "face_to_face", "place": "職場", "summary": "通勤は順調"}),
    ]:  # fmt: skip
        assert post_event(case_id, event_type, **payload).status_code == 201
    return case_id


def _canonical_sha256(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sign_in(client: TestClient, token: str) -> None:
    assert client.post("/web/login", data={"token": token}, follow_redirects=False).is_redirect


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match
    return match.group(1)


def _month(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    url = f"/cases/{case_id}/compliance?from={MONTH}&to={MONTH}"
    return dict(client.get(url, headers=auth("staff")).json()["months"][0])


# -- JSON and PDF --------------------------------------------------------------------


def test_json_draft_carries_the_months_facts_and_the_hash_of_its_content(
    client: TestClient, auth: Auth, supported: str
) -> None:
    response = client.get(f"/cases/{supported}/support-report?month={MONTH}", headers=auth("staff"))
    assert response.status_code == 200
    body = response.json()
    content = body["content"]
    assert content["month"] == MONTH and content["person"] == "試験 花子"
    assert [(c["date"], c["place"], c["summary"]) for c in content["face_to_face"]] == [
        ("2025-05-10", "職場", "通勤は順調")
    ]
    assert content["plan"]["goals"] == ["休まず通勤する"]
    assert content["verdict"]["met"] is True
    assert "5月10日(本人・対面): 通勤は順調" in content["situation"]
    assert body["sha256"] == _canonical_sha256(content)  # docs/support-report.md
    allowed = {r["name"]: r["allowed"] for r in body["recipients"]}
    assert allowed == {"本人": True, "株式会社サンプル": True}
    assert body["report_shared"] is False and body["billable"] is False


def test_json_recipients_refuse_a_party_whose_consent_was_withdrawn(
    client: TestClient, auth: Auth, supported: str, post_event: Post
) -> None:
    post_event(supported, "consent_withdrawn", consent_id="C1", withdrawn_on="2025-05-20")
    url = f"/cases/{supported}/support-report?month={MONTH}"
    (employer,) = [r for r in client.get(url, headers=auth("staff")).json()["recipients"]
                   if r["name"] == "株式会社サンプル"]  # fmt: skip
    assert employer["allowed"] is False and employer["rule"] == "CON-2"
    assert "撤回" in employer["reason_ja"]
    before = client.get(url + "&shared_on=2025-05-19", headers=auth("staff")).json()
    assert all(r["allowed"] for r in before["recipients"])  # the day before it was withdrawn


@pytest.mark.parametrize("month", ["2025-13", "2025-5", "next", "2025-07"])
def test_a_malformed_or_future_month_is_a_422_problem(
    client: TestClient, auth: Auth, supported: str, month: str
) -> None:
    for path in ("support-report", "support-report.pdf"):
        response = client.get(f"/cases/{supported}/{path}?month={month}", headers=auth("staff"))
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "month"


def test_pdf_reads_back_with_the_month_the_person_and_the_hash(
    client: TestClient, auth: Auth, supported: str
) -> None:
    response = client.get(f"/cases/{supported}/support-report.pdf?month={MONTH}",
                          headers=auth("auditor"))  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f"support-report-{MONTH}.pdf" in response.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    sha = client.get(f"/cases/{supported}/support-report?month={MONTH}",
                     headers=auth("staff")).json()["sha256"]  # fmt: skip
    for expected in ("2025年5月分", "試験 花子", "通勤は順調", "休まず通勤する", sha):
        assert expected in text.replace("\n", ""), expected


def test_staff_of_another_office_may_not_read_the_report(
    client: TestClient, auth: Auth, supported: str, tokens: dict[str, str]
) -> None:
    for path in ("support-report", "support-report.pdf"):
        url = f"/cases/{supported}/{path}?month={MONTH}"
        assert client.get(url, headers=auth("other_staff")).status_code == 403
        assert client.get(url).status_code == 401
    _sign_in(client, tokens["other_staff"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}")
    assert page.status_code == 403 and "他の事業所" in page.text
    assert client.get(f"/web/cases/{supported}/report.pdf?month={MONTH}").status_code == 403


def test_every_read_of_the_report_is_access_logged(
    client: TestClient, auth: Auth, supported: str, tokens: dict[str, str], cases: CaseLog
) -> None:
    client.get(f"/cases/{supported}/support-report?month={MONTH}", headers=auth("auditor"))
    client.get(f"/cases/{supported}/support-report.pdf?month={MONTH}", headers=auth("staff"))
    _sign_in(client, tokens["staff"])
    client.get(f"/web/cases/{supported}/report?month={MONTH}")
    client.get(f"/web/cases/{supported}/report/print?month={MONTH}")
    entries = [(e["endpoint"], e["principal_name"]) for e in access_entries(cases, UUID(supported))]
    assert entries == [
        ("/cases/{case_id}/support-report", NAMES["auditor"]),
        ("/cases/{case_id}/support-report.pdf", NAMES["staff"]),
        ("web:report", NAMES["staff"]),
        ("web:report-print", NAMES["staff"]),
    ]


def test_report_sha256_must_be_64_lowercase_hex(
    supported: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    before = event_count(supported)
    for bad in ("ABC", "A" * 64, "g" * 64, "0" * 63):
        response = post_event(
            supported, "support_report_shared", month=MONTH, shared_on="2025-06-01",
            shared_with=["本人"], report_sha256=bad,
        )  # fmt: skip
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "report_sha256"
    assert event_count(supported) == before
    ok = post_event(supported, "support_report_shared", month=MONTH, shared_on="2025-06-01",
                    shared_with=["本人"], report_sha256="0" * 64)  # fmt: skip
    assert ok.status_code == 201


# -- the staff's page ---------------------------------------------------------------


def _share_form(page: str, **extra: Any) -> dict[str, Any]:
    return {"csrf": _csrf(page), "month": MONTH, "shared_on": "2025-06-02",
            "situation": "落ち着いて勤務しています。\r\n休憩も取れています。",
            "next_steps": "通勤の様子を引き続き確認します。", **extra}  # fmt: skip


def test_recording_the_sharing_links_the_edited_reports_hash_and_the_month_turns_shared(
    client: TestClient, auth: Auth, supported: str, tokens: dict[str, str], cases: CaseLog
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}").text
    assert "通勤は順調" in page and "休まず通勤する" in page
    assert _month(client, auth, supported)["report_shared"] is False
    form = _share_form(page, shared_with=["本人", "株式会社サンプル"])

    response = client.post(f"/web/cases/{supported}/report", data=form, follow_redirects=False)
    assert response.status_code == 303 and "recorded=" in response.headers["location"]

    payload = cases.records(UUID(supported))[-1].payload
    draft = client.get(f"/cases/{supported}/support-report?month={MONTH}",
                       headers=auth("staff")).json()  # fmt: skip
    edited = {**draft["content"], "situation": "落ち着いて勤務しています。\n休憩も取れています。",
              "next_steps": "通勤の様子を引き続き確認します。"}  # fmt: skip
    assert payload["report_sha256"] == _canonical_sha256(edited) != draft["sha256"]
    assert payload["shared_with"] == ["本人", "株式会社サンプル"]
    assert (payload["month"], payload["shared_on"]) == (MONTH, "2025-06-02")
    month = _month(client, auth, supported)
    assert month["report_shared"] is True and month["billable"] is True
    # The office's copy (事業所控え) of the same text shows the same hash: the paper names
    # the event (the copy for the person and the employer carries no hash, issue 20).
    printed = client.post(f"/web/cases/{supported}/report/print", data={**form, "copy": "office"})
    assert payload["report_sha256"] in printed.text and "休憩も取れています。" in printed.text


def test_a_recipient_without_consent_is_refused_with_its_reason_and_nothing_is_stored(
    client: TestClient, tokens: dict[str, str], supported: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}").text
    before = event_count(supported)
    form = _share_form(page, shared_with=["本人"], others="ハローワーク品川")
    response = client.post(f"/web/cases/{supported}/report", data=form)
    assert response.status_code == 422
    assert "「ハローワーク品川」には共有できません" in response.text
    assert "CON-1" in response.text and "書面の同意の記録がありません" in response.text
    assert "休憩も取れています。" in response.text  # the edited text is kept for the retry
    assert event_count(supported) == before
    # A forged checkbox value is judged the same way.
    forged = _share_form(page, shared_with=["本人", "どこかの会社"])
    assert client.post(f"/web/cases/{supported}/report", data=forged).status_code == 422
    assert event_count(supported) == before


def test_the_page_shows_a_refused_party_disabled_with_its_rule(
    client: TestClient, tokens: dict[str, str], supported: str, post_event: Post
) -> None:
    post_event(supported, "consent_withdrawn", consent_id="C1", withdrawn_on="2025-06-01")
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}").text
    pattern = r'<input id="to-\d+" name="shared_with"[^>]*value="株式会社サンプル"[^>]*>'
    (checkbox,) = re.findall(pattern, page)
    assert "disabled" in checkbox and "checked" not in checkbox
    assert "CON-2" in page and "2025-06-01に撤回されています" in page


def test_auditors_read_and_print_but_may_not_record(
    client: TestClient, tokens: dict[str, str], supported: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    csrf = _csrf(client.get(f"/web/cases/{supported}/report?month={MONTH}").text)
    _sign_in(client, tokens["auditor"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}")
    assert page.status_code == 200 and "共有を記録する" not in page.text
    pdf = client.post(f"/web/cases/{supported}/report.pdf", data={"month": MONTH})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    before = event_count(supported)
    form = {"csrf": csrf, "month": MONTH, "shared_with": ["本人"]}
    response = client.post(f"/web/cases/{supported}/report", data=form)
    assert response.status_code == 403 and "監査担当者" in response.text
    assert event_count(supported) == before


def test_the_case_page_links_each_month_to_its_report(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}").text
    assert f'href="/web/cases/{supported}/report?month={MONTH}"' in page


def test_the_months_recorded_sharings_are_listed_as_corrected(
    client: TestClient, auth: Auth, supported: str, post_event: Post
) -> None:
    first = post_event(supported, "support_report_shared", month=MONTH, shared_on="2025-06-01",
                       shared_with=["本人"], report_sha256="a" * 64)  # fmt: skip
    version = first.json()["version"]
    post_event(supported, "support_report_shared", month="2025-04", shared_on="2025-05-01",
               shared_with=["本人"])  # another month: not listed  # fmt: skip
    post_event(supported, "event_corrected", target_version=version, reason="共有日の誤り",
               replacement={"month": MONTH, "shared_on": "2025-06-02", "shared_with": ["本人"],
                            "report_sha256": "b" * 64})  # fmt: skip
    body = client.get(f"/cases/{supported}/support-report?month={MONTH}",
                      headers=auth("staff")).json()  # fmt: skip
    assert body["shared"] == [{"version": version, "month": MONTH, "shared_on": "2025-06-02",
                               "shared_with": ["本人"], "report_sha256": "b" * 64}]  # fmt: skip
    assert body["report_shared"] is True
