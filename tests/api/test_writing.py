"""Writing through the API: opening cases, every event type, If-Match and Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
from fastapi.testclient import TestClient

from domain.store.application import CaseLog
from tests.api.conftest import NAMES, Clock
from tests.factories import case_opened_payload

Post = Callable[..., httpx.Response]

CONTACT = {"contact_on": "2024-10-10", "counterpart": "person", "mode": "face_to_face"}

#: Every event type of spec/api.md after case_opened, in an order the history allows.
EVERY_TYPE: list[tuple[str, dict[str, Any]]] = [
    ("hired", {"hired_on": "2024-04-01", "employer": {"name": "株式会社サンプル"},
               "job_title": "事務補助", "weekly_hours": 30, "disclosed": True}),
    ("consent_given", {"consent_id": "C-1", "given_on": "2024-04-01", "written": True,
                       "parties": ["株式会社サンプル"], "information": ["勤務状況"]}),
    ("decision_granted", {"decided_on": "2024-09-20", "valid_from": "2024-10-01",
                          "valid_to": "2025-09-30"}),
    ("contract_signed", {"signed_on": "2024-10-01", "support_from": "2024-10-01"}),
    ("plan_revised", {"revised_on": "2024-10-01", "goals": ["生活リズムの安定"],
                      "agreed_on": "2024-10-01", "delivered_on": "2024-10-01"}),
    ("evidence_received", {"received_on": "2024-10-05", "kind": "employment_certificate",
                           "covers_on": "2024-10-01"}),
    ("contact_recorded", CONTACT),
    ("case_meeting_held", {"held_on": "2024-10-15", "parties": ["株式会社サンプル"],
                           "person_attended": True, "information_shared": ["勤務状況"]}),
    ("support_report_shared", {"month": "2024-10", "shared_on": "2024-10-31",
                               "shared_with": ["本人", "株式会社サンプル"]}),
    ("job_changed", {"changed_on": "2024-11-01", "aspect": "duties", "description": "担当替え"}),
    ("consent_withdrawn", {"consent_id": "C-1", "withdrawn_on": "2024-12-01"}),
    ("event_corrected", {"target_version": 8, "reason": "場所の記入漏れ",
                         "replacement": {**CONTACT, "place": "事業所"}}),
    ("event_retracted", {"target_version": 7, "reason": "誤登録のため取消"}),
    ("request_declined", {"declined_on": "2025-01-10", "reason": "定員超過のため"}),
    ("resigned", {"resigned_on": "2025-03-31", "reason": "自己都合"}),
    ("support_ended", {"ended_on": "2025-04-01", "reason": "resigned",
                       "handed_over_to": "相談支援"}),
]  # fmt: skip


def test_opening_a_case_answers_201_with_its_id_and_version_one(
    client: TestClient, auth: Callable[[str], dict[str, str]], event_count: Callable[[str], int]
) -> None:
    response = client.post("/cases", json=case_opened_payload(), headers=auth("staff"))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"case_id", "version"} and body["version"] == 1
    assert UUID(body["case_id"]) and event_count(body["case_id"]) == 1
    assert response.headers["Location"] == f"/cases/{body['case_id']}"


def test_every_event_type_is_recorded_once_with_consecutive_versions_and_the_writer(
    client: TestClient,
    open_case: Callable[..., str],
    post_event: Post,
    auth: Callable[[str], dict[str, str]],
) -> None:
    case_id = open_case("2024-03-01")

    versions = []
    for event_type, payload in EVERY_TYPE:
        response = post_event(case_id, event_type, **payload)
        assert response.status_code == 201, (event_type, response.text)
        assert set(response.json()) == {"version", "recorded_at"}
        versions.append(response.json()["version"])

    assert versions == list(range(2, len(EVERY_TYPE) + 2))
    events = client.get(f"/cases/{case_id}/events", headers=auth("staff")).json()["events"]
    assert [e["type"] for e in events] == ["case_opened", *(t for t, _ in EVERY_TYPE)]
    assert {e["recorded_by"] for e in events} == {NAMES["staff"]}
    assert events[1]["payload"]["employer"] == {"name": "株式会社サンプル"}


def test_recorded_at_is_the_injected_clocks_instant_with_an_offset(
    case_id: str, post_event: Post
) -> None:
    response = post_event(case_id, "contact_recorded", **CONTACT)

    recorded_at = response.json()["recorded_at"]
    assert recorded_at.startswith("2025-06-02T01:") and recorded_at.endswith("+00:00")


def test_case_opened_may_carry_its_type_in_the_body(
    client: TestClient, auth: Callable[[str], dict[str, str]]
) -> None:
    body = {"type": "case_opened", **case_opened_payload()}

    assert client.post("/cases", json=body, headers=auth("staff")).status_code == 201


def test_admin_opens_and_corrects_a_case_of_any_office(
    open_case: Callable[..., str], post_event: Post
) -> None:
    case_id = open_case(as_="other_staff", office_id="2710100002")

    response = post_event(
        case_id, "event_corrected", as_="admin", target_version=1, reason="開始日の誤り",
        replacement=case_opened_payload("2024-03-02", office_id="2710100002"),
    )  # fmt: skip

    assert response.status_code == 201 and response.json()["version"] == 2


def test_if_match_with_the_current_version_appends(case_id: str, post_event: Post) -> None:
    response = post_event(case_id, "contact_recorded", headers={"If-Match": "2"}, **CONTACT)

    assert response.status_code == 201 and response.json()["version"] == 3
    assert response.headers["ETag"] == '"3"'


def test_if_match_accepts_the_quoted_etag_form(case_id: str, post_event: Post) -> None:
    response = post_event(case_id, "contact_recorded", headers={"If-Match": '"2"'}, **CONTACT)

    assert response.status_code == 201


def test_same_idempotency_key_and_body_returns_the_first_answer_and_stores_nothing(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    key = {"Idempotency-Key": "contact-2024-10-10"}
    first = post_event(case_id, "contact_recorded", headers=key, **CONTACT)
    count = event_count(case_id)

    again = post_event(case_id, "contact_recorded", headers=key, **CONTACT)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert event_count(case_id) == count


def test_idempotent_replay_answers_even_after_the_case_moved_on(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    headers = {"Idempotency-Key": "k-1", "If-Match": "2"}
    first = post_event(case_id, "contact_recorded", headers=headers, **CONTACT)
    post_event(case_id, "contact_recorded", **{**CONTACT, "summary": "別の記録"})
    count = event_count(case_id)

    again = post_event(case_id, "contact_recorded", headers=headers, **CONTACT)

    assert again.status_code == 201 and again.json() == first.json()
    assert event_count(case_id) == count


def test_idempotency_keys_belong_to_their_principal(
    client: TestClient, auth: Callable[[str], dict[str, str]], event_count: Callable[[str], int]
) -> None:
    key = {"Idempotency-Key": "open-1"}
    by_staff = client.post("/cases", json=case_opened_payload(), headers={**auth("staff"), **key})
    by_admin = client.post("/cases", json=case_opened_payload(), headers={**auth("admin"), **key})

    assert by_staff.status_code == by_admin.status_code == 201
    assert by_staff.json()["case_id"] != by_admin.json()["case_id"]


def test_opening_a_case_twice_with_one_key_opens_it_once(
    client: TestClient, auth: Callable[[str], dict[str, str]], cases: CaseLog
) -> None:
    headers = {**auth("staff"), "Idempotency-Key": "open-once"}
    first = client.post("/cases", json=case_opened_payload(), headers=headers)
    again = client.post("/cases", json=case_opened_payload(), headers=headers)

    assert again.status_code == 201 and again.json() == first.json()
    assert len(cases.case_ids()) == 1


def test_two_racing_requests_with_one_key_store_one_event_and_answer_alike(
    case_id: str, post_event: Post, event_count: Callable[[str], int], clock: Clock
) -> None:
    key = {"Idempotency-Key": "double-click"}
    answers: list[httpx.Response] = []
    clock.on_next_reading(
        lambda: answers.append(post_event(case_id, "contact_recorded", headers=key, **CONTACT))
    )

    loser = post_event(case_id, "contact_recorded", headers=key, **CONTACT)

    (winner,) = answers
    assert winner.status_code == loser.status_code == 201
    assert loser.json() == winner.json() and loser.headers["Idempotent-Replayed"] == "true"
    assert event_count(case_id) == 3


def test_a_write_without_if_match_is_recorded_after_a_concurrent_one_not_refused(
    clock: Clock, cases: CaseLog, case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    count = event_count(case_id)
    concurrent = {**CONTACT, "contact_on": "2024-10-11"}
    clock.on_next_reading(  # another writer's append lands inside this write
        lambda: cases.record(UUID(case_id), "contact_recorded", concurrent, recorded_by="甲")
    )

    response = post_event(case_id, "contact_recorded", **CONTACT)

    assert response.status_code == 201  # it asked for no version: nothing to conflict with
    assert response.json()["version"] == count + 2
    assert event_count(case_id) == count + 2


def test_a_write_with_if_match_still_gets_409_when_a_concurrent_one_came_first(
    clock: Clock, cases: CaseLog, case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    count = event_count(case_id)
    concurrent = {**CONTACT, "contact_on": "2024-10-11"}
    clock.on_next_reading(
        lambda: cases.record(UUID(case_id), "contact_recorded", concurrent, recorded_by="甲")
    )

    response = post_event(case_id, "contact_recorded", headers={"If-Match": str(count)}, **CONTACT)

    assert response.status_code == 409
    assert event_count(case_id) == count + 1
