"""The staff pages as a support worker meets them (issue 14): addresses that name nothing,
every error of a form at once beside its field, sensible defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import httpx
from fastapi.testclient import TestClient

from domain.history import TOKYO
from tests.api.conftest import Clock
from tests.api.test_trust import _hire_corrected_after_decision
from tests.api.test_web import _csrf, _in_support, _sign_in


def _error_of(page: str, field_id: str) -> str:
    match = re.search(rf'<p id="{field_id}-err" class="error" role="alert">([^<]*)</p>', page)
    assert match, f"no error beside {field_id}"
    return match.group(1)


def test_an_unknown_web_address_is_a_japanese_page_not_json(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    for address in ("/web/nothing-here", "/web/cases/not-a-case-id"):
        response = client.get(address)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "ページが見つかりません" in response.text and "事業所の一覧に戻る" in response.text
    # The API keeps its problem+json
    assert client.get("/nothing-here").headers["content-type"] == "application/problem+json"


def test_a_cross_field_error_shows_beside_its_field_in_japanese(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    # Given a decision whose end is before its start
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "decision_granted"}).text
    form = {"csrf": _csrf(page), "type": "decision_granted", "decided_on": "2025-03-01",
            "valid_from": "2025-04-01", "valid_to": "2025-03-31"}  # fmt: skip
    # When it is submitted, then the error is beside the end day, with labels, not names
    response = client.post(f"/web/cases/{case_id}/events", data=form)
    assert response.status_code == 422
    cross = _error_of(response.text, "f-decision_granted-valid_to")
    assert cross == "支給決定の終了日は支給決定の開始日以降にしてください"
    assert "valid_to" not in response.text.split('id="record-h"')[1].split("<fieldset>")[1]


def test_a_missing_field_and_a_cross_field_error_show_on_the_first_submission(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    # Given a decision with no decision day and an end before its start
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "decision_granted"}).text
    form = {"csrf": _csrf(page), "type": "decision_granted", "decided_on": "",
            "valid_from": "2025-04-01", "valid_to": "2025-03-31"}  # fmt: skip
    # When it is submitted, then both errors show at once, each beside its own field
    shown = client.post(f"/web/cases/{case_id}/events", data=form).text
    assert _error_of(shown, "f-decision_granted-decided_on") == "必須の項目です"
    cross = _error_of(shown, "f-decision_granted-valid_to")
    assert cross == "支給決定の終了日は支給決定の開始日以降にしてください"
    assert "(2 件)" in shown


def test_a_field_that_cannot_be_read_and_a_missing_one_show_on_the_first_submission(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "hired"}).text
    form = {"csrf": _csrf(page), "type": "hired", "hired_on": "2025-05-01",
            "weekly_hours": "たくさん"}  # fmt: skip
    shown = client.post(f"/web/cases/{case_id}/events", data=form).text
    assert "(2 件)" in shown
    assert _error_of(shown, "f-hired-employer-name") == "必須の項目です"
    assert _error_of(shown, "f-hired-weekly_hours") == "数値を指定してください"


def test_a_new_consent_form_is_written_by_default_and_keeps_an_unticked_box(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "consent_given"}).text
    written = r'id="f-consent_given-written" name="written" type="checkbox" value="true"'
    assert re.search(written + r"\s*checked", page)
    # A submitted form with the box unticked (and an error elsewhere) shows it unticked
    form = {"csrf": _csrf(page), "type": "consent_given", "consent_id": "C1"}
    shown = client.post(f"/web/cases/{case_id}/events", data=form).text
    assert re.search(written + r"\s*>", shown)


def test_the_dispute_report_opens_from_the_case_page_with_the_sign_in_cookie(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
    clock: Clock,
) -> None:
    # Given a hire corrected after the decision, and the instant just before the correction
    shown_at = _hire_corrected_after_decision(case_id, post_event, clock)
    _sign_in(client, tokens["staff"])
    # When the case page is shown as of that instant, it links the dispute report
    case_page = client.get(f"/web/cases/{case_id}", params={"as_of": shown_at, "on": "2024-10-10"})
    link = re.search(r'href="(/web/cases/[^"]+/dispute\?[^"]+)"', case_page.text)
    assert link, "the case page shown as of an instant links its dispute report"
    report = client.get(link.group(1).replace("&amp;", "&"))
    # Then the signed-in browser reads it: Japanese dates, Japan time, name and 受給者証番号
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    page = report.text
    assert "試験 花子 さん" in page and "受給者証番号 1234567890" in page
    assert "対象日 2024年10月10日" in page
    at = datetime.fromisoformat(shown_at).astimezone(TOKYO)
    assert f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}(日本時間)" in page
    assert "+00:00" not in page and "['" not in page
    assert "2024年4月15日" in page  # the corrected base date, as a Japanese date
    # And its inline print style is allowed by hash, and nothing else inline
    csp = report.headers["content-security-policy"]
    assert "style-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp


def test_the_dispute_page_needs_a_sign_in_and_an_instant(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    address = f"/web/cases/{case_id}/dispute"
    signed_out = client.get(address, params={"as_of": "2025-06-01T10:00"}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/web/login"
    _sign_in(client, tokens["staff"])
    without = client.get(address)
    assert without.status_code == 422 and "比べる時点が指定されていません" in without.text


def test_the_judgment_day_field_is_left_empty_so_an_as_of_view_judges_on_its_own_day(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    assert re.search(r'<input id="on" name="on" type="date" value=""', page)
    # An as-of view without a day says it judges on the chosen instant's day
    past = client.get(f"/web/cases/{case_id}", params={"as_of": "2025-06-02T10:05+09:00"}).text
    assert "空欄なら選んだ時点の日付(2025-06-02)で判定します" in past


def test_the_status_headline_names_a_decision_by_its_period_not_its_version(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:
    _in_support(case_id, post_event)
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"on": "2025-01-10"}).text
    assert "2025-01-10は支給決定(2024-10-01〜2025-09-30)の期間内です" in page
    assert "版の支給決定" not in page


def test_a_timeline_entry_is_corrected_from_its_own_prefilled_form(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: Any
) -> None:
    # Given the case page with the hire (version 2) on its timeline
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    assert f'href="/web/cases/{case_id}?correct=2#amend-h"' in page
    assert f'href="/web/cases/{case_id}?retract=1#amend-h"' not in page  # the opening stays
    # When 訂正 is followed, the hire's own form is filled with what it says now
    form_page = client.get(f"/web/cases/{case_id}", params={"correct": "2"}).text
    assert 'id="amend-h"' in form_page
    assert re.search(r'name="r.hired_on" type="text" value="2024-04-01"', form_page)
    assert 'name="r.employer.name" type="text" value="株式会社サンプル"' in form_page
    # And sending a new day with a reason records a correction of version 2
    form = {"csrf": _csrf(form_page), "type": "event_corrected", "target_version": "2",
            "target_type": "hired", "r.hired_on": "2024-04-08",
            "r.employer.name": "株式会社サンプル", "reason": "在職証明書で確認"}  # fmt: skip
    sent = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    last = cases.records(UUID(case_id))[-1]
    assert last.type == "event_corrected" and last.payload["target_version"] == 2
    assert last.payload["replacement"]["hired_on"] == "2024-04-08"


def test_a_correction_with_errors_shows_them_beside_the_prefilled_fields(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: Any
) -> None:
    _sign_in(client, tokens["staff"])
    form_page = client.get(f"/web/cases/{case_id}", params={"correct": "2"}).text
    before = len(cases.records(UUID(case_id)))
    form = {"csrf": _csrf(form_page), "type": "event_corrected", "target_version": "2",
            "target_type": "hired", "r.hired_on": "2099-01-01", "r.employer.name": ""}  # fmt: skip
    shown = client.post(f"/web/cases/{case_id}/events", data=form)
    assert shown.status_code == 422
    assert _error_of(shown.text, "f-amend-reason") == "理由を入力してください"
    assert _error_of(shown.text, "f-amend-r-employer-name") == "必須の項目です"
    assert 'name="r.hired_on" type="text" value="2099-01-01"' in shown.text  # kept as typed
    assert len(cases.records(UUID(case_id))) == before


def test_a_record_is_retracted_with_a_reason_only(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    cases: Any,
    post_event: Callable[..., httpx.Response],
) -> None:
    assert post_event(case_id, "resigned", resigned_on="2025-01-31").status_code == 201
    _sign_in(client, tokens["staff"])
    form_page = client.get(f"/web/cases/{case_id}", params={"retract": "3"}).text
    assert "取消する: 第3版" in form_page and 'name="r.' not in form_page
    form = {"csrf": _csrf(form_page), "type": "event_retracted", "target_version": "3",
            "target_type": "resigned", "reason": "別の利用者の記録でした"}  # fmt: skip
    sent = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    last = cases.records(UUID(case_id))[-1]
    assert last.type == "event_retracted" and last.payload["target_version"] == 3


def test_a_new_case_is_opened_from_the_web_pages(
    client: TestClient, tokens: dict[str, str], cases: Any
) -> None:
    _sign_in(client, tokens["staff"])
    assert 'href="/web/cases/new"' in client.get("/web/").text
    page = client.get("/web/cases/new").text
    assert 'name="office_id" type="text" value="1310100001"' in page
    assert "受給者証番号(10桁)(必須)" in page and "就労移行支援" in page
    form = {"csrf": _csrf(page), "person.name": "見本 太郎", "recipient_number": "12345",
            "municipality_code": "131016", "office_id": "1310100001",
            "prior_service.kind": "employment_transition", "opened_on": "2025-05-01"}  # fmt: skip
    # A wrong 受給者証番号 and no name missing: the error is beside its field
    shown = client.post("/web/cases/new", data=form)
    assert shown.status_code == 422
    wrong = _error_of(shown.text, "f-case_opened-recipient_number")
    assert wrong == "半角数字10桁で入力してください"
    opened = client.post("/web/cases/new", data={**form, "recipient_number": "0000000099"},
                         follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303
    case_page = client.get(opened.headers["location"]).text
    assert "見本 太郎 さん" in case_page


def test_an_auditor_cannot_open_a_case(client: TestClient, tokens: dict[str, str]) -> None:
    _sign_in(client, tokens["auditor"])
    assert client.get("/web/cases/new").status_code == 403
    assert 'href="/web/cases/new"' not in client.get("/web/").text


def test_the_api_description_is_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "/docs-assets/swagger-ui.css" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.split("<body>")[0]
    script = client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


def test_parties_and_information_are_chosen_from_what_the_consents_name(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    cases: Any,
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a written consent naming two parties and one category of information
    given = post_event(case_id, "consent_given", consent_id="C1", given_on="2025-05-01",
                       written=True, parties=["株式会社サンプル", "ハローワーク渋谷"],
                       information=["勤務状況"])  # fmt: skip
    assert given.status_code == 201, given.text
    _sign_in(client, tokens["staff"])
    # Then a contact's party offers them, and a meeting's parties are ticked, not typed
    contact = client.get(f"/web/cases/{case_id}").text
    assert 'list="f-contact_recorded-party-options"' in contact
    assert '<option value="ハローワーク渋谷"></option>' in contact
    page = client.get(f"/web/cases/{case_id}", params={"type": "case_meeting_held"}).text
    assert 'name="parties.pick.2" type="checkbox" value="ハローワーク渋谷"' in page
    form = {"csrf": _csrf(page), "type": "case_meeting_held", "held_on": "2025-05-20",
            "parties.pick.2": "ハローワーク渋谷", "parties": "家族",
            "information_shared.pick.1": "勤務状況"}  # fmt: skip
    sent = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    meeting = cases.records(UUID(case_id))[-1].payload
    assert meeting["parties"] == ["ハローワーク渋谷", "家族"]
    assert meeting["information_shared"] == ["勤務状況"]
