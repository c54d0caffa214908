"""Concurrency through HTTP, on SQLite and PostgreSQL: writers racing with ``If-Match``
get exactly one winner per version and 409 for all others, with no gap in the versions;
the same ``Idempotency-Key`` sent at once by several clients stores one event.

Each writer is its own app on its own ``CaseLog`` (as separate server processes would be),
all on one database. Threads line up at a barrier before each round; which one wins is
up to the database, and the assertions hold whichever it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.http.auth import TokenStore
from api.settings import Settings
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend

WRITERS = 6
ROUNDS = 5


def _contact(summary: str) -> dict[str, Any]:
    return {"type": "contact_recorded", "contact_on": "2024-05-10", "counterpart": "person",
            "mode": "face_to_face", "summary": summary}  # fmt: skip


def _clients(backend: Backend, count: int) -> tuple[list[TestClient], str]:
    """``count`` clients, each on its own app and store, and an admin's bearer header."""
    token = TokenStore(backend.open()).create("admin", "管理者 試験")
    settings = Settings(database_url=backend.url)
    clients = [TestClient(create_app(settings, cases=backend.open())) for _ in range(count)]
    return clients, f"Bearer {token}"


def _open_case(client: TestClient, bearer: str) -> str:
    opened = client.post("/cases", json=case_opened_payload(), headers={"Authorization": bearer})
    assert opened.status_code == 201, opened.text
    return str(opened.json()["case_id"])


def _in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(0..count-1)`` in threads; the exceptions they raised."""
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:  # surfaced by the caller's assertion
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def test_writers_racing_with_if_match_get_one_winner_per_version_and_409_otherwise(
    backend: Backend,
) -> None:
    clients, bearer = _clients(backend, WRITERS)
    case_id = _open_case(clients[0], bearer)
    answers: list[tuple[int, int, dict[str, Any]]] = []  # (round, status, body)
    lock = threading.Lock()
    line_up = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        for r in range(ROUNDS):
            line_up.wait()  # everyone has finished the previous round
            headers = {"Authorization": bearer, "If-Match": str(r + 1)}
            got = clients[n].post(f"/cases/{case_id}/events", json=_contact(f"{r}-{n}"),
                                  headers=headers)  # fmt: skip
            with lock:
                answers.append((r, got.status_code, got.json()))

    assert _in_threads(WRITERS, writer) == []

    for r in range(ROUNDS):
        statuses = sorted(status for rr, status, _ in answers if rr == r)
        assert statuses == [201] + [409] * (WRITERS - 1), (r, statuses)
        (won,) = [body for rr, status, body in answers if rr == r and status == 201]
        assert won["version"] == r + 2
    refused = [body for _, status, body in answers if status == 409]
    assert all(body["status"] == 409 for body in refused)
    events = clients[0].get(f"/cases/{case_id}/events", headers={"Authorization": bearer})
    stored = events.json()["events"]
    assert [e["version"] for e in stored] == list(range(1, ROUNDS + 2))  # no gap, no extra
    winners = {body["version"] for _, status, body in answers if status == 201}
    assert winners == {e["version"] for e in stored[1:]}


def test_the_same_idempotency_key_sent_at_once_stores_one_event_and_one_answer(
    backend: Backend,
) -> None:
    clients, bearer = _clients(backend, WRITERS)
    case_id = _open_case(clients[0], bearer)
    answers: list[httpx.Response] = []
    line_up = threading.Barrier(WRITERS)

    def retry(n: int) -> None:
        line_up.wait()
        headers = {"Authorization": bearer, "Idempotency-Key": "retry-0001"}
        answers.append(clients[n].post(f"/cases/{case_id}/events",
                                       json=_contact("一度だけ"), headers=headers))  # fmt: skip

    assert _in_threads(WRITERS, retry) == []

    assert [a.status_code for a in answers] == [201] * WRITERS
    assert len({(a.json()["version"], a.json()["recorded_at"]) for a in answers}) == 1
    events = clients[0].get(f"/cases/{case_id}/events", headers={"Authorization": bearer})
    stored = events.json()["events"]
    assert [e["version"] for e in stored] == [1, 2]
    assert stored[1]["payload"]["summary"] == "一度だけ"
