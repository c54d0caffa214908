"""Dates and numbers as people type them (issue 20): the web forms read 令和7年4月1日,
2025/4/1 and full-width digits, record them in the payload's own form and say what they
read; 氏名(カナ) is stored in katakana through the forms and the JSON API alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from tests.api.test_web import _contact_form, _csrf, _sign_in
from tests.api.test_web_staff import _error_of
from tests.factories import OFFICE, case_opened_payload


def _notice(page: str) -> str:
    """The case page's notice after a write (api.web.notice): what was recorded, its day."""
    found = re.search(r'<p [^>]*id="recorded"[^>]*>([^<]*)', page)
    assert found, "no notice of the record"
    assert "しました" in found.group(1)
    return found.group(1)


def _new_case_form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf": csrf, "person.name": "見本 太郎", "recipient_number": "0000000099",
            "municipality_code": "131016", "office_id": OFFICE,
            "prior_service.kind": "employment_transition", "opened_on": "2025-05-01",
            **fields}  # fmt: skip


def test_a_contact_typed_on_reiwa_7_april_1_is_recorded_on_2025_04_01_and_the_page_says_so(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: Any
) -> None:
    # Given the case page's contact form, whose day input takes text
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    day_input = re.search(r'<input id="f-contact_recorded-contact_on"[^>]*>', page)
    assert day_input and 'type="text"' in day_input.group(0)
    assert "例: 2025-04-01、2025/4/1、令和7年4月1日、R7.4.1" in page
    # When a contact is sent with its day in 和暦
    form = _contact_form(_csrf(page), "令和7年4月1日")
    sent = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    # Then it is stored on 2025-04-01, and the page it leads to says that day
    assert sent.status_code == 303, sent.text
    last = cases.records(UUID(case_id))[-1]
    assert last.type == "contact_recorded" and last.payload["contact_on"] == "2025-04-01"
    assert _notice(client.get(sent.headers["location"]).text).startswith("2025-04-01 ")


def test_a_form_shown_again_says_what_each_date_was_read_as(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    # Given a decision typed in three ways, with its end before its start
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "decision_granted"}).text
    before = event_count(case_id)
    form = {"csrf": _csrf(page), "type": "decision_granted", "decided_on": "R7.3.1",
            "valid_from": "２０２５／４／１", "valid_to": "令和7年3月31日"}  # fmt: skip
    shown = client.post(f"/web/cases/{case_id}/events", data=form)
    # Then nothing is stored; each input keeps what was typed and says what it was read as
    assert shown.status_code == 422 and event_count(case_id) == before
    for name, typed, read in [("decided_on", "R7.3.1", "2025-03-01"),
                              ("valid_from", "２０２５／４／１", "2025-04-01"),
                              ("valid_to", "令和7年3月31日", "2025-03-31")]:  # fmt: skip
        fid = f"f-decision_granted-{name}"
        assert f'name="{name}" type="text" value="{typed}"' in shown.text
        assert f'<p id="{fid}-read" class="ok">{read} として読みました</p>' in shown.text
    # And the check across the dates ran on the dates as read
    cross = _error_of(shown.text, "f-decision_granted-valid_to")
    assert cross == "支給決定の終了日は支給決定の開始日以降にしてください"
    described = re.search(
        r'id="f-decision_granted-valid_to"[^>]*aria-describedby="([^"]*)"', shown.text
    )
    assert described and described.group(1).split() == [
        "f-decision_granted-valid_to-hint", "f-decision_granted-valid_to-read",
        "f-decision_granted-valid_to-err",
    ]  # fmt: skip


def test_a_heisei_day_after_heisei_ended_is_refused_beside_its_field_not_guessed(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    csrf = _csrf(client.get(f"/web/cases/{case_id}").text)
    before = event_count(case_id)
    shown = client.post(f"/web/cases/{case_id}/events", data=_contact_form(csrf, "平成31年5月1日"))
    assert shown.status_code == 422 and event_count(case_id) == before
    said = _error_of(shown.text, "f-contact_recorded-contact_on")
    assert said.startswith("平成31年5月1日はありません(平成は 1989-01-08 から 2019-04-30 まで)")
    assert "(1 件)" in shown.text  # not also "必須の項目です"


def test_a_correction_typed_in_wareki_replaces_the_day_in_iso_form(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: Any
) -> None:
    _sign_in(client, tokens["staff"])
    form_page = client.get(f"/web/cases/{case_id}", params={"correct": "2"}).text
    form = {"csrf": _csrf(form_page), "type": "event_corrected", "target_version": "2",
            "target_type": "hired", "r.hired_on": "R6.4.8",
            "r.employer.name": "株式会社サンプル", "reason": "在職証明書で確認"}  # fmt: skip
    sent = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    last = cases.records(UUID(case_id))[-1]
    assert last.payload["replacement"]["hired_on"] == "2024-04-08"
    assert _notice(client.get(sent.headers["location"]).text).startswith("2024-04-08 ")


def test_a_new_case_with_full_width_numbers_is_stored_with_ascii_digits(
    client: TestClient, tokens: dict[str, str], cases: Any
) -> None:
    # Given the new-case form, whose number inputs ask phones for digits
    _sign_in(client, tokens["staff"])
    page = client.get("/web/cases/new").text
    number = re.search(r'<input id="f-case_opened-recipient_number"[^>]*>', page)
    assert number and 'inputmode="numeric"' in number.group(0)
    # When the numbers are typed in full width (the office too), with spaces around them
    form = _new_case_form(_csrf(page), recipient_number="\u3000０１２３４５６７８９ ",
                          municipality_code="１３１０１６", office_id="１３１０１００００１",
                          opened_on="令和7年5月1日")  # fmt: skip
    opened = client.post("/web/cases/new", data=form, follow_redirects=False)
    # Then the case is opened with ASCII digits, on the day read
    assert opened.status_code == 303, opened.text
    case_id = UUID(opened.headers["location"].split("/")[3].split("?")[0])
    payload = cases.records(case_id)[0].payload
    assert payload["recipient_number"] == "0123456789"
    assert payload["municipality_code"] == "131016" and payload["office_id"] == OFFICE
    assert payload["opened_on"] == "2025-05-01"
    assert _notice(client.get(opened.headers["location"]).text).startswith("2025-05-01 ")


def test_full_width_digits_too_few_are_read_then_refused_with_the_digits_wanted(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get("/web/cases/new").text
    shown = client.post(
        "/web/cases/new", data=_new_case_form(_csrf(page), recipient_number="１２３")
    )
    assert shown.status_code == 422
    assert (
        _error_of(shown.text, "f-case_opened-recipient_number") == "半角数字10桁で入力してください"
    )
    assert (
        '<p id="f-case_opened-recipient_number-read" class="ok">123 として読みました</p>'
        in shown.text
    )


def test_a_reading_in_hiragana_is_stored_in_katakana_from_the_new_case_form(
    client: TestClient, tokens: dict[str, str], cases: Any
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get("/web/cases/new").text
    form = _new_case_form(_csrf(page), **{"person.name_kana": "みほん\u3000たろう"})
    opened = client.post("/web/cases/new", data=form, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    case_id = UUID(opened.headers["location"].split("/")[3].split("?")[0])
    assert cases.records(case_id)[0].payload["person"]["name_kana"] == "ミホン タロウ"


def test_the_json_api_stores_a_hiragana_reading_in_katakana_and_keeps_iso_dates_strict(
    client: TestClient, auth: Callable[[str], dict[str, str]]
) -> None:
    # spec/api.md: dates are YYYY-MM-DD; only the web forms read 和暦 and full-width digits
    body = case_opened_payload("令和6年3月1日", recipient_number="１２３４５６７８９０")
    refused = client.post("/cases", json=body, headers=auth("staff"))
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"opened_on", "recipient_number"}
    # The reading is stored in katakana by every door
    body = case_opened_payload(person={"name": "見本 花子", "name_kana": "みほん はなこ"})
    created = client.post("/cases", json=body, headers=auth("staff"))
    assert created.status_code == 201, created.text
    events = client.get(f"/cases/{created.json()['case_id']}/events", headers=auth("staff"))
    assert events.json()["events"][0]["payload"]["person"]["name_kana"] == "ミホン ハナコ"
