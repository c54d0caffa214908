"""Record once, the same person twice, the next step (issue 20), through the staff pages.

A form that writes carries a one-time key (input ``once``): sent twice it stores one
event and the second answer says it was already recorded, with a link to the record.
The notice after a save says what was recorded in words. A new case with a 受給者証番号
that an open case of the office has is asked about first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.api.conftest import OFFICE
from tests.api.test_support_report_http import MONTH, _share_form, supported  # noqa: F401
from tests.api.test_web import _contact_form, _csrf, _sign_in

Auth = Callable[[str], dict[str, str]]


def _once(page: str) -> str:
    match = re.search(r'name="once" value="([A-Za-z0-9_-]+)"', page)
    assert match, "a form that writes carries a one-time key"
    return match.group(1)


def _notice(page: str) -> str:
    match = re.search(r'<p class="[^"]*notice"[^>]*id="recorded"[^>]*>(.*?)</p>', page, re.S)
    assert match, "the page has a notice"
    return re.sub(r"<[^>]+>", "", match.group(1))


def _case_count(client: TestClient, auth: Auth) -> int:
    return len(client.get("/cases", params={"office_id": OFFICE}, headers=auth("staff"))
               .json()["cases"])  # fmt: skip


def _new_case_form(page: str, **overrides: str) -> dict[str, str]:
    return {"csrf": _csrf(page), "once": _once(page), "person.name": "見本 一郎",
            "recipient_number": "1234567890", "municipality_code": "131016",
            "office_id": OFFICE, "prior_service.kind": "employment_transition",
            "opened_on": "2025-06-01", **overrides}  # fmt: skip


# -- record once -----------------------------------------------------------------------


def test_the_same_contact_form_sent_twice_stores_one_event_and_says_it_was_recorded(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    # Given the case page's contact form, filled in and sent once
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    form = _contact_form(_csrf(page), once=_once(page))
    before = event_count(case_id)
    first = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/web/cases/{case_id}?recorded={before + 1}#recorded"
    # When the same form is sent again (Back, then 記録する)
    again = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    # Then nothing new is stored, and the answer leads to the record already stored
    assert event_count(case_id) == before + 1
    assert again.status_code == 303
    assert again.headers["location"] == f"/web/cases/{case_id}?already={before + 1}#recorded"
    shown = client.get(again.headers["location"]).text
    assert "この内容はすでに記録されています" in _notice(shown)
    assert "2024-10-15 本人・対面の支援記録" in _notice(shown)
    assert f'href="#v{before + 1}"' in shown and f'id="v{before + 1}"' in shown


def test_the_notice_names_what_was_recorded_in_words_with_retract_beside_it(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    form = _contact_form(_csrf(page), once=_once(page))
    saved = client.post(f"/web/cases/{case_id}/events", data=form)
    version = event_count(case_id)
    notice = _notice(saved.text)
    assert "2024-10-15 本人・対面の支援記録を記録しました。" in notice
    assert "版" not in notice  # words, not 「第N版」
    assert f'href="/web/cases/{case_id}?retract={version}#amend-h"' in saved.text


def test_a_form_sent_again_with_other_content_stores_nothing_and_says_what_it_recorded(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    # Given a contact recorded from a form, and the same form changed after going Back
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    key = _once(page)
    client.post(f"/web/cases/{case_id}/events", data=_contact_form(_csrf(page), once=key))
    before = event_count(case_id)
    changed = _contact_form(_csrf(page), "2024-10-16", once=key)
    # When it is sent, then nothing is stored and the page says what the form recorded
    again = client.post(f"/web/cases/{case_id}/events", data=changed, follow_redirects=False)
    assert event_count(case_id) == before
    assert again.headers["location"] == f"/web/cases/{case_id}?resent={before}#recorded"
    notice = _notice(client.get(again.headers["location"]).text)
    assert "このフォームは前に送信され、2024-10-15 本人・対面の支援記録として" in notice
    assert "今回送信された内容は記録していません" in notice


def test_a_retraction_sent_twice_is_recorded_once(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"retract": "2"}).text
    form = {"csrf": _csrf(page), "once": _once(page), "type": "event_retracted",
            "target_version": "2", "target_type": "hired", "reason": "誤登録"}  # fmt: skip
    before = event_count(case_id)
    first = client.post(f"/web/cases/{case_id}/events", data=form)
    assert "2024-04-01 株式会社サンプルの就職の取消を記録しました。" in _notice(first.text)
    again = client.post(f"/web/cases/{case_id}/events", data=form)
    assert event_count(case_id) == before + 1
    assert "この内容はすでに記録されています" in _notice(again.text)


def test_sharing_a_support_report_sent_twice_is_recorded_once(
    client: TestClient,
    tokens: dict[str, str],
    supported: str,  # noqa: F811
    event_count: Callable[[str], int],
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}").text
    form: dict[str, Any] = _share_form(page, shared_with=["本人"], once=_once(page))
    before = event_count(supported)
    first = client.post(f"/web/cases/{supported}/report", data=form, follow_redirects=False)
    again = client.post(f"/web/cases/{supported}/report", data=form, follow_redirects=False)
    assert event_count(supported) == before + 1
    assert first.headers["location"].endswith(f"?recorded={before + 1}#recorded")
    assert again.headers["location"].endswith(f"?already={before + 1}#recorded")
    assert f"{MONTH}分の支援レポート共有" in _notice(client.get(again.headers["location"]).text)


# -- the same person twice ---------------------------------------------------------------


def test_a_new_case_with_the_number_of_an_open_case_is_asked_about_and_stored_once_confirmed(
    client: TestClient, tokens: dict[str, str], auth: Auth, case_id: str
) -> None:
    # Given an open case of the office with 受給者証番号 1234567890 (試験 花子)
    _sign_in(client, tokens["staff"])
    before = _case_count(client, auth)
    form = _new_case_form(client.get("/web/cases/new").text)
    # When a new case is opened with the same number, then it asks first and stores nothing
    asked = client.post("/web/cases/new", data=form, follow_redirects=False)
    assert asked.status_code == 409
    assert "受給者証番号 1234567890 のケースがすでにあります" in asked.text
    assert f'href="/web/cases/{case_id}"' in asked.text and "試験 花子 さんのケース" in asked.text
    assert _case_count(client, auth) == before
    # (showing the person's name is a read of that case: it is in its access log)
    log = client.get(f"/cases/{case_id}/access-log", headers=auth("auditor")).json()
    assert "web:new-case" in [e["endpoint"] for e in log["entries"]]
    # And confirmed, it is stored: once, even when the confirmation is sent again
    confirmed = {**form, "confirmed_number": "1234567890"}
    stored = client.post("/web/cases/new", data=confirmed, follow_redirects=False)
    assert stored.status_code == 303 and "?recorded=1#recorded" in stored.headers["location"]
    again = client.post("/web/cases/new", data=confirmed, follow_redirects=False)
    assert again.headers["location"] == stored.headers["location"].replace(
        "?recorded=", "?already="
    )
    assert _case_count(client, auth) == before + 1


def test_only_an_open_case_of_the_same_office_is_asked_about(
    client: TestClient,
    tokens: dict[str, str],
    open_case: Callable[..., str],
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given an ended case of the office and an open one of another office
    ended = open_case(recipient_number="1111111111")
    assert post_event(ended, "hired", hired_on="2024-04-01",
                      employer={"name": "株式会社サンプル"}).status_code == 201  # fmt: skip
    assert post_event(ended, "support_ended", ended_on="2025-05-31",
                      reason="person_request").status_code == 201  # fmt: skip
    open_case(as_="other_staff", office_id="2710100002", recipient_number="2222222222")
    open_case(recipient_number="3333333333")
    _sign_in(client, tokens["staff"])
    answers = {}
    for number in ("1111111111", "2222222222", "3333333333"):
        form = _new_case_form(client.get("/web/cases/new").text, recipient_number=number)
        answers[number] = client.post("/web/cases/new", data=form, follow_redirects=False)
    # Then their numbers open a new case at once; the open case of the office is asked about
    assert answers["1111111111"].status_code == 303
    assert answers["2222222222"].status_code == 303
    assert answers["3333333333"].status_code == 409


# -- the next step -----------------------------------------------------------------------


def test_after_opening_a_case_the_page_proposes_the_hire_then_the_contract(
    client: TestClient,
    tokens: dict[str, str],
    open_case: Callable[..., str],
    post_event: Callable[..., httpx.Response],
) -> None:
    opened = open_case(opened_on="2025-04-20", recipient_number="3333333333")
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{opened}").text
    assert f'href="/web/cases/{opened}?type=hired#record-h">就職を記録する</a>' in page
    assert post_event(opened, "hired", hired_on="2025-05-01",
                      employer={"name": "株式会社サンプル"}).status_code == 201  # fmt: skip
    page = client.get(f"/web/cases/{opened}").text
    assert f'href="/web/cases/{opened}?type=contract_signed#record-h">利用契約を記録する' in page
    assert "支援を開始できるのは2025-11-01からです(ELIG-3)" in page
    # The link presets the form: the contract's form is the one shown
    preset = client.get(f"/web/cases/{opened}", params={"type": "contract_signed"}).text
    assert re.search(r'data-type="contract_signed" novalidate>', preset)


def test_no_plan_is_called_missing_before_support_can_start(
    client: TestClient,
    tokens: dict[str, str],
    open_case: Callable[..., str],
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a hire on 2025-05-01 (eligible from 2025-11-01) and a contract recorded to start
    # support today, 2025-06-02: support cannot start before 2025-11-01 (ELIG-3)
    opened = open_case(opened_on="2025-04-20", recipient_number="4444444444")
    hired = post_event(
        opened, "hired", hired_on="2025-05-01", employer={"name": "株式会社サンプル"}
    )
    contract = post_event(opened, "contract_signed", signed_on="2025-06-02",
                          support_from="2025-06-02")  # fmt: skip
    assert hired.status_code == contract.status_code == 201
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{opened}").text
    assert "計画の記録がありません" not in page.split('id="timeline-h"')[0]
    assert "期限超過" not in page
    # From the day support can start, the first plan's due day is shown by that name
    on_start = client.get(f"/web/cases/{opened}", params={"on": "2025-11-01"}).text
    assert "最初の支援計画の期限: 2025-11-01" in on_start
    assert "計画の見直し: 最終 なし" not in on_start
