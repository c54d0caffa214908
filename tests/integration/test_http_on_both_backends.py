"""Every endpoint and event type of api.md over HTTP, on SQLite and on real PostgreSQL.

tests/api drive every error and role on an in-memory store; this proves the same HTTP
surface against each real backend: the sample case's 17 event types are posted one by
one with If-Match and an Idempotency-Key, then every read answers, Japanese intact.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import EVENTS, OPENED, PERSON_NAME


@pytest.fixture
def http(backend: Backend, store: CaseLog) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(cases=store)
    token = app.state.tokens.create("staff", "担当 一郎", "1310100001")
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_every_event_type_is_accepted_and_every_read_answers(
    http: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = http
    opened = client.post("/cases", json=OPENED, headers=auth)
    assert opened.status_code == 201, opened.text
    case_id, version = opened.json()["case_id"], opened.json()["version"]
    for n, (event_type, payload) in enumerate(EVENTS):
        headers = {**auth, "If-Match": str(version), "Idempotency-Key": f"k-{n}"}
        body: dict[str, Any] = {"type": event_type, **payload}
        posted = client.post(f"/cases/{case_id}/events", json=body, headers=headers)
        assert posted.status_code == 201, (event_type, posted.text)
        version = posted.json()["version"]
        replay = client.post(f"/cases/{case_id}/events", json=body, headers=headers)
        assert replay.json() == posted.json()  # same key, same body: nothing new stored
    events = client.get(f"/cases/{case_id}/events", headers=auth).json()["events"]
    assert [e["type"] for e in events] == ["case_opened", *(t for t, _ in EVENTS)]
    assert events[0]["payload"]["person"]["name"] == PERSON_NAME
    stale = client.post(
        f"/cases/{case_id}/events",
        json={"type": "contact_recorded", "contact_on": "2025-03-01", "counterpart": "person",
              "mode": "phone"},
        headers={**auth, "If-Match": "2"},
    )  # fmt: skip
    assert stale.status_code == 409
    on = {"on": "2025-01-15"}
    entitlement = client.get(f"/cases/{case_id}/entitlement", params=on, headers=auth).json()
    assert entitlement["eligible_from"] == "2024-10-01"
    compliance = client.get(
        f"/cases/{case_id}/compliance", params={**on, "from": "2024-10", "to": "2024-12"},
        headers=auth,
    ).json()  # fmt: skip
    assert [m["month"] for m in compliance["months"]] == ["2024-10", "2024-11", "2024-12"]
    timeline = client.get(f"/cases/{case_id}/timeline", params=on, headers=auth).json()
    assert any(e.get("version") == 2 for e in timeline["entries"])
    audit = client.get(f"/cases/{case_id}/audit", headers=auth).json()
    assert audit["verified"] is True and len(audit["events"]) == len(EVENTS) + 1
    listed = client.get("/cases", params={"office_id": "1310100001"}, headers=auth).json()
    assert [c["case_id"] for c in listed["cases"]] == [case_id]
