"""A write in one hop to the thread pool, its caller read from the store in that hop.

Before, a write read its token in a hop of its own (the principal dependency), ran in a
second (a plain ``def`` route) and had its answer checked against the response model in
a third: about 0.75 ms of an append's 5 ms on a busy server (issue 24). The caller is
still read from the store at every write: a revoked token records nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.auth import TokenStore
from api.http.schemas import CaseCreated, EventRecorded
from domain.store.application import CaseLog
from tests.api.conftest import OFFICE
from tests.factories import case_opened_payload

Auth = Callable[[str], dict[str, str]]
CONTACT = {"type": "contact_recorded", "contact_on": "2024-05-10", "counterpart": "person",
           "mode": "phone", "summary": "体調の確認"}  # fmt: skip


def test_an_append_takes_one_hop_and_answers_what_its_model_documents(
    client: TestClient, auth: Auth, case_id: str, hops: list[str]
) -> None:
    hops.clear()
    answer = client.post(f"/cases/{case_id}/events", json=CONTACT, headers=auth("staff"))
    assert answer.status_code == 201, answer.text
    assert len(hops) == 1, hops
    body = answer.json()
    assert EventRecorded.model_validate(body).model_dump(mode="json") == body
    assert answer.headers["ETag"] == f'"{body["version"]}"'
    assert answer.headers["content-type"] == "application/json"


def test_opening_a_case_takes_one_hop_and_says_where_the_case_is(
    client: TestClient, auth: Auth, hops: list[str]
) -> None:
    hops.clear()
    answer = client.post("/cases", json=case_opened_payload("2024-03-01"), headers=auth("staff"))
    assert answer.status_code == 201, answer.text
    assert len(hops) == 1, hops
    body = answer.json()
    assert CaseCreated.model_validate(body).model_dump(mode="json") == body
    assert answer.headers["Location"] == f"/cases/{body['case_id']}"
    assert answer.headers["ETag"] == '"1"'


def test_a_replayed_write_says_so_and_gives_the_first_answer(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    headers = {**auth("staff"), "Idempotency-Key": "contact-2024-05-10"}
    first = client.post(f"/cases/{case_id}/events", json=CONTACT, headers=headers)
    again = client.post(f"/cases/{case_id}/events", json=CONTACT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_token_revoked_between_two_writes_records_nothing_more(
    client: TestClient, cases: CaseLog, case_id: str, event_count: Callable[[str], int]
) -> None:
    store = TokenStore(cases)
    token = store.create("staff", "担当 次郎", OFFICE)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/cases/{case_id}/events", json=CONTACT, headers=headers).status_code == 201
    before = event_count(case_id)
    (info,) = [t for t in store.list() if t.name == "担当 次郎"]
    store.revoke(info.id, "異動")

    refused = [
        client.post(f"/cases/{case_id}/events", json=CONTACT, headers=headers),
        client.post("/cases", json=case_opened_payload("2024-03-01"), headers=headers),
    ]
    assert [r.status_code for r in refused] == [401, 401]
    assert event_count(case_id) == before


@pytest.mark.parametrize("path", ["/cases", "/cases/{case_id}/events"])
def test_an_unknown_caller_is_refused_before_the_body_is_judged(
    client: TestClient, case_id: str, path: str
) -> None:
    """A body without a type (422 from a known caller) is a 401 from an unknown one."""
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer: httpx.Response = client.post(
            path.format(case_id=case_id), json={"summary": "x"}, headers=headers
        )
        assert answer.status_code == 401, (headers, answer.text)
