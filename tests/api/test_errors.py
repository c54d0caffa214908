"""Refusals: every error status as RFC 9457 problem+json, and nothing stored after any of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import OTHER_OFFICE, case_opened_payload

Post = Callable[..., httpx.Response]
Auth = Callable[[str], dict[str, str]]
CONTACT = {"contact_on": "2024-10-10", "counterpart": "person", "mode": "face_to_face"}
UNKNOWN = "00000000-0000-4000-8000-00000000dead"


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response's problem details, after checking it is one with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


# -- 401 / 403 ------------------------------------------------------------------------


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer not-a-token"},
                                    {"Authorization": "Basic dXNlcjpwYXNz"}])  # fmt: skip
def test_reads_and_writes_without_a_valid_token_are_401_with_a_bearer_challenge(
    client: TestClient, case_id: str, event_count: Callable[[str], int], header: dict[str, str]
) -> None:
    read = client.get(f"/cases/{case_id}/entitlement", headers=header)
    write = client.post(f"/cases/{case_id}/events", json={"type": "contact_recorded", **CONTACT},
                        headers=header)  # fmt: skip

    for response in (read, write):
        problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert event_count(case_id) == 2


@pytest.mark.parametrize("path", ["events", "timeline", "entitlement", "compliance", "audit"])
def test_staff_of_another_office_may_not_read_the_case(
    client: TestClient, auth: Auth, case_id: str, path: str
) -> None:
    problem(client.get(f"/cases/{case_id}/{path}", headers=auth("other_staff")), 403)


def test_staff_of_another_office_may_not_write_to_the_case(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    problem(post_event(case_id, "contact_recorded", as_="other_staff", **CONTACT), 403)
    assert event_count(case_id) == 2


def test_staff_may_not_open_a_case_for_another_office(
    client: TestClient, auth: Auth, cases: Any
) -> None:
    body = case_opened_payload(office_id=OTHER_OFFICE)
    problem(client.post("/cases", json=body, headers=auth("staff")), 403)
    assert cases.case_ids() == []


def test_auditor_reads_but_may_not_write_or_open(
    client: TestClient, auth: Auth, case_id: str, post_event: Post,
    event_count: Callable[[str], int], cases: Any,
) -> None:  # fmt: skip
    assert client.get(f"/cases/{case_id}/events", headers=auth("auditor")).status_code == 200
    problem(post_event(case_id, "contact_recorded", as_="auditor", **CONTACT), 403)
    problem(client.post("/cases", json=case_opened_payload(), headers=auth("auditor")), 403)
    assert event_count(case_id) == 2 and len(cases.case_ids()) == 1


def test_staff_listing_another_offices_cases_is_refused(client: TestClient, auth: Auth) -> None:
    problem(client.get(f"/cases?office_id={OTHER_OFFICE}", headers=auth("staff")), 403)


# -- 404 / 409 ------------------------------------------------------------------------


def test_unknown_case_is_404_for_reads_and_writes(
    client: TestClient, auth: Auth, post_event: Post
) -> None:
    problem(client.get(f"/cases/{UNKNOWN}/timeline", headers=auth("admin")), 404)
    problem(post_event(UNKNOWN, "contact_recorded", as_="admin", **CONTACT), 404)


def test_if_match_with_an_old_version_is_409_and_stores_nothing(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    response = post_event(case_id, "contact_recorded", headers={"If-Match": "1"}, **CONTACT)

    problem(response, 409)
    assert event_count(case_id) == 2


# -- 422: bad input, each naming its field ----------------------------------------------


def test_malformed_json_body_is_422_naming_the_body(
    client: TestClient, auth: Auth, case_id: str, event_count: Callable[[str], int]
) -> None:
    headers = {**auth("staff"), "Content-Type": "application/json"}
    response = client.post(
        f"/cases/{case_id}/events", content=b'{"type": "hired",', headers=headers
    )

    assert "body" in fields(problem(response, 422))
    assert event_count(case_id) == 2


def test_a_body_that_is_not_an_object_is_422(
    client: TestClient, auth: Auth, case_id: str, event_count: Callable[[str], int]
) -> None:
    response = client.post(f"/cases/{case_id}/events", json=[1, 2], headers=auth("staff"))

    assert fields(problem(response, 422)) == {"body"}
    assert event_count(case_id) == 2


BAD_EVENTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("unknown type", "meeting_had", {"held_on": "2024-10-01"}, "type"),
    ("missing type", "", {"held_on": "2024-10-01"}, "type"),
    ("case_opened as an event", "case_opened", case_opened_payload(), "type"),
    ("unknown field", "contact_recorded", {**CONTACT, "mood": "良好"}, "mood"),
    ("missing field", "contact_recorded", {"contact_on": "2024-10-10", "mode": "phone"},
     "counterpart"),
    ("impossible date", "resigned", {"resigned_on": "2024-02-30"}, "resigned_on"),
    ("not a date", "resigned", {"resigned_on": "2024/05/01"}, "resigned_on"),
    ("choice not offered", "contact_recorded", {**CONTACT, "mode": "telepathy"}, "mode"),
    ("hire before the case opened", "hired",
     {"hired_on": "2024-02-01", "employer": {"name": "株式会社サンプル"}}, "hired_on"),
    ("future date", "contact_recorded", {**CONTACT, "contact_on": "2030-01-01"}, "contact_on"),
    ("consent withdrawal for an unknown consent", "consent_withdrawn",
     {"consent_id": "NO-SUCH", "withdrawn_on": "2024-12-01"}, "consent_id"),
    ("correction of a missing version", "event_retracted",
     {"target_version": 99, "reason": "誤登録"}, "target_version"),
    ("correction with a wrong replacement field", "event_corrected",
     {"target_version": 2, "reason": "訂正", "replacement": {"hired_on": "2024-04-31",
      "employer": {"name": "株式会社サンプル"}}}, "replacement.hired_on"),
]  # fmt: skip


@pytest.mark.parametrize(("event_type", "payload", "field"),
                         [b[1:] for b in BAD_EVENTS], ids=[b[0] for b in BAD_EVENTS])  # fmt: skip
def test_invalid_event_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, auth: Auth, case_id: str, event_count: Callable[[str], int],
    event_type: str, payload: dict[str, Any], field: str,
) -> None:  # fmt: skip
    body = {"type": event_type, **payload} if event_type else payload
    response = client.post(f"/cases/{case_id}/events", json=body, headers=auth("staff"))

    assert field in fields(problem(response, 422))
    assert event_count(case_id) == 2


def test_resignation_with_no_employment_is_422(
    open_case: Callable[..., str], post_event: Post, event_count: Callable[[str], int]
) -> None:
    case_id = open_case()

    body = problem(post_event(case_id, "resigned", resigned_on="2024-05-01"), 422)

    assert body["errors"] and all(e["message"] for e in body["errors"])
    assert event_count(case_id) == 1


def test_invalid_case_opened_is_422_without_echoing_personal_data(
    client: TestClient, auth: Auth, cases: Any
) -> None:
    body = case_opened_payload(recipient_number="12345", opened_on="2024-13-01")

    response = client.post("/cases", json=body, headers=auth("staff"))

    assert fields(problem(response, 422)) == {"recipient_number", "opened_on"}
    assert "12345" not in response.text and "試験 花子" not in response.text
    assert cases.case_ids() == []


@pytest.mark.parametrize(("query", "field"), [
    ("as_of=2025-01-01T10:00:00", "as_of"),
    ("as_of=yesterday", "as_of"),
    ("on=2025-02-30", "on"),
    ("on=2025-1-5", "on"),
])  # fmt: skip
def test_invalid_read_window_is_422_naming_the_parameter(
    client: TestClient, auth: Auth, case_id: str, query: str, field: str
) -> None:
    response = client.get(f"/cases/{case_id}/entitlement?{query}", headers=auth("staff"))

    assert fields(problem(response, 422)) == {field}


@pytest.mark.parametrize(("query", "field"), [
    ("from=2024-13", "from"), ("to=24-01", "to"), ("from=2025-03&to=2025-01", "to"),
    ("from=2000-01&to=2025-01", "to"),
])  # fmt: skip
def test_invalid_compliance_months_are_422_naming_the_parameter(
    client: TestClient, auth: Auth, case_id: str, query: str, field: str
) -> None:
    response = client.get(f"/cases/{case_id}/compliance?{query}", headers=auth("staff"))

    assert fields(problem(response, 422)) == {field}


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.0"])
def test_malformed_if_match_is_422_and_stores_nothing(
    case_id: str, post_event: Post, event_count: Callable[[str], int], value: str
) -> None:
    response = post_event(case_id, "contact_recorded", headers={"If-Match": value}, **CONTACT)

    assert fields(problem(response, 422)) == {"If-Match"}
    assert event_count(case_id) == 2


def test_reusing_an_idempotency_key_with_another_body_is_422_and_stores_nothing(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    key = {"Idempotency-Key": "same-key"}
    assert post_event(case_id, "contact_recorded", headers=key, **CONTACT).status_code == 201
    count = event_count(case_id)

    response = post_event(case_id, "contact_recorded", headers=key, **{**CONTACT, "mode": "phone"})

    assert problem(response, 422)["type"].endswith("idempotency-key-reused")
    assert event_count(case_id) == count


def test_failed_write_under_a_key_does_not_use_the_key_up(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    key = {"Idempotency-Key": "retry-after-fix"}
    problem(post_event(case_id, "contact_recorded", headers=key, contact_on="2024-02-30",
                       counterpart="person", mode="phone"), 422)  # fmt: skip

    fixed = post_event(case_id, "contact_recorded", headers=key, **CONTACT)

    assert fixed.status_code == 201 and event_count(case_id) == 3


def test_unknown_route_answers_problem_json(client: TestClient, auth: Auth) -> None:
    problem(client.get("/no-such-thing", headers=auth("staff")), 404)


def test_malformed_case_id_is_422_naming_it(client: TestClient, auth: Auth) -> None:
    response = client.get("/cases/not-a-uuid/events", headers=auth("staff"))

    assert fields(problem(response, 422)) == {"case_id"}
