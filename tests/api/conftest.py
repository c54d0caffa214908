"""Shared fixtures for HTTP tests: a real app on an in-memory SQLite store, driven by TestClient.

Fixtures (reuse them in any ``tests/api`` test):

- ``clock``: :class:`Clock`, the injected clock. Starts at 2025-06-02 10:00 JST and moves one
  minute forward each time it is read, so every event has its own ``recorded_at``;
  ``clock.set("2025-07-01T09:00:00+09:00")`` jumps (e.g. to test ``as_of``);
  ``clock.on_next_reading(action)`` runs ``action`` inside the next write (races).
- ``cases``: the :class:`~domain.store.application.CaseLog` behind the app (in-memory SQLite,
  shared by the TestClient's worker threads); use it to count stored events.
- ``app``: ``create_app(..., cases=cases)``. ``client``: ``TestClient(app)``.
- ``tokens``: bearer tokens by principal: ``staff`` (office ``OFFICE``), ``other_staff``
  (office ``OTHER_OFFICE``), ``auditor``, ``admin``; ``NAMES`` gives their names.
- ``auth``: ``auth("staff")`` → the ``Authorization`` header dict for that principal.
- ``open_case``: ``open_case(opened_on="2024-03-01", as_="staff", **overrides)`` opens a case
  through ``POST /cases`` and returns its id (str); overrides replace payload fields.
- ``case_id``: one case opened on 2024-03-01 in ``OFFICE`` by staff, hired 2024-04-01.
- ``post_event``: ``post_event(case_id, "contact_recorded", as_="staff", headers=None,
  **payload)`` → the response of ``POST /cases/{id}/events``.
- ``event_count``: ``event_count(case_id)`` → how many events the store holds for the case
  (what "bad input never changes stored state" is checked against).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.http.auth import TokenStore
from api.settings import Settings
from domain.store.application import CaseLog
from tests.factories import OFFICE, OTHER_OFFICE, case_opened_payload

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
NAMES = {
    "staff": "支援員 試験",
    "other_staff": "支援員 他所",
    "auditor": "監査員 試験",
    "admin": "管理者 試験",
}
__all__ = ["NAMES", "OFFICE", "OTHER_OFFICE", "Clock"]


class Clock:
    """A clock that moves one minute forward on each reading (deterministic instants)."""

    def __init__(self, start: str = "2025-06-02T10:00:00+09:00") -> None:
        self.now = datetime.fromisoformat(start).astimezone(UTC)
        self._pending: list[Callable[[], object]] = []

    def __call__(self) -> datetime:
        while self._pending:
            self._pending.pop()()
        self.now += timedelta(minutes=1)
        return self.now

    def on_next_reading(self, action: Callable[[], object]) -> None:
        """Run ``action`` when the clock is next read: a writer reads it after loading the
        case and before saving, so ``action`` lands exactly inside that write (a race)."""
        self._pending.append(action)

    def set(self, instant: str) -> None:
        self.now = datetime.fromisoformat(instant).astimezone(UTC) - timedelta(minutes=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cases(clock: Clock) -> Iterator[CaseLog]:
    log = CaseLog(env=MEMORY, clock=clock)
    yield log
    log.close()


@pytest.fixture
def app(cases: CaseLog) -> FastAPI:
    return create_app(Settings(database_url="sqlite:///:memory:"), cases=cases)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def tokens(cases: CaseLog) -> dict[str, str]:
    store = TokenStore(cases)
    return {
        "staff": store.create("staff", NAMES["staff"], OFFICE),
        "other_staff": store.create("staff", NAMES["other_staff"], OTHER_OFFICE),
        "auditor": store.create("auditor", NAMES["auditor"]),
        "admin": store.create("admin", NAMES["admin"]),
    }


@pytest.fixture
def auth(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    def headers(principal: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[principal]}"}

    return headers


@pytest.fixture
def open_case(client: TestClient, auth: Callable[[str], dict[str, str]]) -> Callable[..., str]:
    def opened(opened_on: str = "2024-03-01", as_: str = "staff", **overrides: Any) -> str:
        body = case_opened_payload(opened_on, **overrides)
        response = client.post("/cases", json=body, headers=auth(as_))
        assert response.status_code == 201, response.text
        return str(response.json()["case_id"])

    return opened


@pytest.fixture
def post_event(
    client: TestClient, auth: Callable[[str], dict[str, str]]
) -> Callable[..., httpx.Response]:
    def post(
        case_id: str,
        event_type: str,
        as_: str = "staff",
        headers: dict[str, str] | None = None,
        **payload: Any,
    ) -> httpx.Response:
        return client.post(
            f"/cases/{case_id}/events",
            json={"type": event_type, **payload},
            headers={**auth(as_), **(headers or {})},
        )

    return post


@pytest.fixture
def case_id(open_case: Callable[..., str], post_event: Callable[..., httpx.Response]) -> str:
    opened = open_case("2024-03-01")
    hired = post_event(
        opened, "hired", hired_on="2024-04-01", employer={"name": "株式会社サンプル"}
    )
    assert hired.status_code == 201, hired.text
    return opened


@pytest.fixture
def event_count(cases: CaseLog) -> Callable[[str], int]:
    def count(case_id: str) -> int:
        return len(cases.records(UUID(case_id)))

    return count


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of each function sent to the thread pool (one hop each), in order."""
    original = anyio.to_thread.run_sync
    seen: list[str] = []

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    yield seen
