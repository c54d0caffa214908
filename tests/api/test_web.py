"""The staff web pages through TestClient: sign-in, roles, forms with field errors, as_of."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import NAMES, Clock


def _sign_in(client: TestClient, token: str) -> None:
    response = client.post("/web/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, "the record form carries a CSRF token"
    return match.group(1)


def _contact_form(csrf: str, contact_on: str = "2024-10-15", **extra: str) -> dict[str, str]:
    """The form of a face-to-face contact with the person, as the case page posts it."""
    return {"csrf": csrf, "type": "contact_recorded", "contact_on": contact_on,
            "counterpart": "person", "mode": "face_to_face", **extra}  # fmt: skip


@pytest.fixture
def hired_at_nine(
    clock: Clock, open_case: Callable[..., str], post_event: Callable[..., httpx.Response]
) -> str:
    """A case whose hire (2024-04-01) was recorded at 09:00 Japan time on 2025-07-01."""
    opened = open_case()
    clock.set("2025-07-01T09:00:00+09:00")
    assert post_event(opened, "hired", hired_on="2024-04-01",
                      employer={"name": "株式会社サンプル"}).status_code == 201  # fmt: skip
    return opened


def test_root_without_a_session_leads_to_the_sign_in_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.url.path == "/web/login"
    assert "アクセストークン" in response.text


def test_a_wrong_token_is_refused_with_a_message(client: TestClient) -> None:
    response = client.post("/web/login", data={"token": "nope"})
    assert response.status_code == 401
    assert "トークンが正しくありません" in response.text


def test_staff_dashboard_lists_own_office_cases_only(
    client: TestClient, tokens: dict[str, str], open_case: Callable[..., str]
) -> None:
    mine = open_case(as_="staff")
    theirs = open_case(as_="other_staff", office_id="2710100002")
    _sign_in(client, tokens["staff"])
    page = client.get("/web/").text
    assert f"/web/cases/{mine}" in page
    assert f"/web/cases/{theirs}" not in page
    assert NAMES["staff"] in page


def test_a_case_of_another_office_is_forbidden(
    client: TestClient, tokens: dict[str, str], open_case: Callable[..., str]
) -> None:
    theirs = open_case(as_="other_staff", office_id="2710100002")
    _sign_in(client, tokens["staff"])
    response = client.get(f"/web/cases/{theirs}")
    assert response.status_code == 403
    assert "他の事業所" in response.text


def test_invalid_date_shows_the_error_beside_the_field_and_stores_nothing(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    event_count: Callable[[str], int],
) -> None:
    _sign_in(client, tokens["staff"])
    csrf = _csrf(client.get(f"/web/cases/{case_id}").text)
    before = event_count(case_id)
    form = _contact_form(csrf, "2024-02-30", summary="面談")
    response = client.post(f"/web/cases/{case_id}/events", data=form)
    assert response.status_code == 422
    assert 'id="f-contact_recorded-contact_on-err"' in response.text
    assert "存在しない日付です" in response.text
    assert 'value="2024-02-30"' in response.text  # the input is kept
    assert event_count(case_id) == before


def test_a_valid_contact_is_stored_once_and_redirects_to_the_case(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    event_count: Callable[[str], int],
) -> None:
    _sign_in(client, tokens["staff"])
    csrf = _csrf(client.get(f"/web/cases/{case_id}").text)
    before = event_count(case_id)
    form = _contact_form(csrf)
    response = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/web/cases/{case_id}?recorded={before + 1}#recorded"
    assert event_count(case_id) == before + 1


def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    before = event_count(case_id)
    form = _contact_form("0" * 64)
    assert client.post(f"/web/cases/{case_id}/events", data=form).status_code == 403
    assert event_count(case_id) == before


def test_auditor_sees_no_form_and_cannot_record(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["auditor"])
    page = client.get(f"/web/cases/{case_id}").text
    assert "記録する</button>" not in page
    before = event_count(case_id)
    form = _contact_form("x")
    assert client.post(f"/web/cases/{case_id}/events", data=form).status_code == 403
    assert event_count(case_id) == before


def test_as_of_before_the_hire_shows_the_earlier_state(
    client: TestClient, tokens: dict[str, str], hired_at_nine: str
) -> None:
    opened = hired_at_nine
    _sign_in(client, tokens["staff"])
    now = client.get(f"/web/cases/{opened}").text
    earlier = client.get(f"/web/cases/{opened}", params={"as_of": "2025-06-15T12:00"}).text
    assert "2024-10-01" in now  # eligible from, derived from the hire
    assert "2025-06-15 12:00 時点の記録で表示しています" in earlier
    assert "株式会社サンプル" not in earlier


def test_reading_a_case_page_leaves_an_access_log_entry(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: Any
) -> None:
    from uuid import UUID

    from api.http.access_log import access_entries

    _sign_in(client, tokens["staff"])
    client.get(f"/web/cases/{case_id}")
    entries = access_entries(cases, UUID(case_id))
    assert entries[-1]["endpoint"] == "web:case"
    assert entries[-1]["principal_name"] == NAMES["staff"]


def test_as_of_is_read_in_the_chosen_time_zone(
    client: TestClient, tokens: dict[str, str], hired_at_nine: str
) -> None:
    # Given a hire recorded at 09:00 in Japan (00:00 UTC)
    opened = hired_at_nine
    _sign_in(client, tokens["staff"])
    # When 08:30 is asked for in Japan time, then in UTC (17:30 in Japan)
    url = f"/web/cases/{opened}"
    tokyo = client.get(url, params={"as_of": "2025-07-01T08:30", "tz": "Asia/Tokyo"}).text
    utc = client.get(url, params={"as_of": "2025-07-01T08:30", "tz": "UTC"}).text
    # Then only the UTC reading already knows the hire
    assert "株式会社サンプル" not in tokyo
    assert "株式会社サンプル" in utc
    assert '<option value="UTC" selected>' in utc


def _in_support(case_id: str, post_event: Callable[..., httpx.Response]) -> None:
    """Contract and a decision from 2024-10-01 (ELIG-3 day of the 2024-04-01 hire)."""
    assert post_event(case_id, "contract_signed", signed_on="2024-09-20",
                      support_from="2024-10-01").status_code == 201  # fmt: skip
    decided = post_event(case_id, "decision_granted", decided_on="2024-09-25",
                         valid_from="2024-10-01", valid_to="2025-09-30")  # fmt: skip
    assert decided.status_code == 201, decided.text


def test_an_unbillable_months_reasons_are_a_focusable_tooltip(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a case in support with no face-to-face contact in 2024-10
    _in_support(case_id, post_event)
    _sign_in(client, tokens["staff"])
    # When the case page is read
    page = client.get(f"/web/cases/{case_id}").text
    # Then the month's verdict is a keyboard-focusable element described by its reasons
    cell = page[page.index('data-month="2024-10"') :]
    cell = cell[: cell.index("</td>")]
    assert 'data-billable="no"' in cell
    assert 'tabindex="0" aria-describedby="why-2024-10"' in cell
    tooltip = cell[cell.index('id="why-2024-10"') :]
    assert "MON-2" in tooltip
    assert "⚠" in tooltip  # MON-1 / MON-4 rest on an interpretation


def test_a_correction_shows_the_old_and_new_value_beside_the_corrected_event(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given the hire (version 2) corrected from 2024-04-01 to 2024-04-08
    fixed = post_event(case_id, "event_corrected", target_version=2, reason="在職証明書で確認",
                       replacement={"hired_on": "2024-04-08",
                                    "employer": {"name": "株式会社サンプル"}})  # fmt: skip
    assert fixed.status_code == 201, fixed.text
    _sign_in(client, tokens["staff"])
    # When the case page is read
    page = client.get(f"/web/cases/{case_id}").text
    # Then the hire's entry shows the correction with both values
    assert "在職証明書で確認" in page
    assert "就職日: <del>2024-04-01</del> → <ins>2024-04-08</ins>" in page


def test_auditor_chooses_an_office_on_the_dashboard(
    client: TestClient, tokens: dict[str, str], open_case: Callable[..., str]
) -> None:
    mine = open_case(as_="staff")
    theirs = open_case(as_="other_staff", office_id="2710100002")
    _sign_in(client, tokens["auditor"])
    every = client.get("/web/").text
    one = client.get("/web/", params={"office_id": "2710100002"}).text
    assert f"/web/cases/{mine}" in every and f"/web/cases/{theirs}" in every
    assert '<option value="2710100002" selected>' in one
    assert f"/web/cases/{theirs}" in one and f"/web/cases/{mine}" not in one


def test_dashboard_shows_the_current_month_in_progress_until_it_ends(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a case in support and no face-to-face contact yet on 2025-06-02 (the clock's day)
    _in_support(case_id, post_event)
    _sign_in(client, tokens["staff"])
    # When the dashboard is read, then June is in progress (29 days left), not red
    page = client.get("/web/").text
    words = "今月まだ: 対面支援・支援レポート(残り29日)"  # api/web/month_words.py
    link = f'<a href="/web/cases/{case_id}#months-h" data-month-words="in_progress">{words}</a>'
    assert f'<td class="pending">{link}</td>' in page
    assert "請求不可" not in page


def test_case_page_agrees_the_current_month_is_in_progress_and_an_ended_one_is_unbillable(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a case in support with no face-to-face contact in May or June 2025 (today 06-02)
    _in_support(case_id, post_event)
    _sign_in(client, tokens["staff"])
    # When the case page is read, then June is pending with the dashboard's words ...
    page = client.get(f"/web/cases/{case_id}").text
    assert 'data-month="2025-06" data-billable="pending"' in page
    assert "今月まだ: 対面支援・支援レポート(残り29日)" in page
    # ... and May, which has ended, stays red and unbillable
    assert '<td class="ng" data-month="2025-05" data-billable="no">' in page
    # And judged on 2025-05-31 (May's last day), May is in progress with one day left
    then = client.get(f"/web/cases/{case_id}", params={"on": "2025-05-31"}).text
    assert 'data-month="2025-05" data-billable="pending"' in then and "残り1日" in then


def test_the_chart_and_its_table_show_the_gap_of_a_job_change(
    client: TestClient,
    tokens: dict[str, str],
    case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a person who left on 2025-01-31 and started a new job on 2025-02-10 (JOB-2)
    assert post_event(case_id, "resigned", resigned_on="2025-01-31").status_code == 201
    rehired = post_event(case_id, "hired", hired_on="2025-02-10", employer={"name": "次の会社"})
    assert rehired.status_code == 201, rehired.text
    _sign_in(client, tokens["staff"])
    # When the case page is read
    page = client.get(f"/web/cases/{case_id}").text
    # Then the text equivalent lists the days between leaving and the new hire
    assert "<td>転職の間</td><td>2025-02-01</td><td>2025-02-09</td>" in page
    assert 'fill="#b35900"' in page  # and the chart draws that gap


def test_without_javascript_a_type_link_shows_that_types_form(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    # Given a signed-in staff member
    _sign_in(client, tokens["staff"])
    # When the page is opened through the link of the hire type
    page = client.get(f"/web/cases/{case_id}", params={"type": "hired"}).text
    # Then the hire's form is shown, the contact form is hidden, and links lead to each type
    assert 'class="event-form" data-type="hired" novalidate>' in page
    assert 'class="event-form" data-type="contact_recorded" novalidate hidden>' in page
    assert f'href="/web/cases/{case_id}?type=plan_revised#record-h"' in page
    assert 'for="f-hired-employer-name"' in page  # nested fields get dotted names


def test_an_unticked_written_checkbox_records_an_oral_consent(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: Any
) -> None:
    from uuid import UUID

    # Given the consent form, whose required yes/no "written" is a checkbox
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "consent_given"}).text
    assert 'id="f-consent_given-written" name="written" type="checkbox"' in page
    # When it is sent unticked (browsers then send nothing for it)
    form = {"csrf": _csrf(page), "type": "consent_given", "consent_id": "C-9",
            "given_on": "2024-05-01", "parties": "株式会社サンプル\n家族",
            "information": "通院状況"}  # fmt: skip
    response = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    # Then a consent that is not written is stored, with one party per line
    assert response.status_code == 303
    stored = cases.records(UUID(case_id))[-1]
    assert stored.type == "consent_given"
    assert stored.payload["written"] is False
    assert stored.payload["parties"] == ["株式会社サンプル", "家族"]


def test_pages_load_only_their_own_script_and_stylesheet(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get("/web/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "<style>" not in page.text
    assert client.get("/web/static/web.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/web/static/web.css").status_code == 200
    assert client.get("/web/static/..%2Fweb.py").status_code == 404


def test_an_unreadable_as_of_is_said_not_silently_ignored(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"as_of": "yesterday"}).text
    assert "日時を読み取れなかったため、現在の記録で表示しています" in page
    assert "時点の記録で表示しています" not in page


def test_a_missing_employer_is_shown_beside_the_employers_name_input(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    # Given the hire form sent without the employer's name
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"type": "hired"}).text
    before = event_count(case_id)
    form = {"csrf": _csrf(page), "type": "hired", "hired_on": "2024-06-01", "employer.name": ""}
    response = client.post(f"/web/cases/{case_id}/events", data=form)
    # Then the hire form is shown again with the problem under the name input, nothing stored
    assert response.status_code == 422
    assert 'id="f-hired-employer-name-err"' in response.text
    assert 'class="event-form" data-type="hired" novalidate>' in response.text
    assert 'value="2024-06-01"' in response.text
    assert event_count(case_id) == before
