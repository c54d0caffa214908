"""A full disk is answered 503 「保存領域が不足しています」, and a read says why it cannot be shown.

Every read is written to the case's access log before it is answered, so when the disk
is full reads fail too. The probe found a generic 500 for each. The driver's own error
is raised here where the store would raise it (SQLite's SQLITE_FULL text, PostgreSQL's
SQLSTATE 53100, wrapped by the ``eventsourcing`` library as it wraps them): filling a
real disk is not something a test suite should do to its machine.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from domain.store.application import CaseLog
from domain.store.failures import storage_full

CONTACT = {"contact_on": "2024-10-10", "counterpart": "person", "mode": "face_to_face"}


class DiskFull(Exception):
    """psycopg's DiskFull as the library sees it: SQLSTATE 53100."""

    sqlstate = "53100"


def _full(*_: Any, **__: Any) -> None:
    raise OperationalError(sqlite3.OperationalError("database or disk is full"))


def test_a_read_whose_access_entry_cannot_be_saved_says_the_disk_is_full_and_why(
    cases: CaseLog, client: TestClient, auth: Callable[[str], dict[str, str]], case_id: str,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setattr(cases, "note_access", _full)
    with caplog.at_level(logging.DEBUG):
        answer = client.get(f"/cases/{case_id}/entitlement", headers=auth("staff"))

    assert answer.status_code == 503
    body = answer.json()
    assert body["title"] == "保存領域が不足しています"
    assert "アクセスログ" in body["detail"]  # the access log is named as the cause
    assert "Traceback" not in caplog.text and "disk is full" not in caplog.text


def test_a_list_whose_listing_entry_cannot_be_saved_is_503_too(
    cases: CaseLog, client: TestClient, auth: Callable[[str], dict[str, str]], case_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    real_note, real_unless = cases.access.note, cases.access.note_unless_changed

    def note(entry: Any) -> None:  # the access table's write of a listing (decision 0052)
        if entry.kind == "listing":
            _full()
        real_note(entry)

    def note_unless_changed(entry: Any, *checks: Any) -> bool:  # the caller remembered (0060)
        if entry.kind == "listing":
            _full()
        return real_unless(entry, *checks)

    monkeypatch.setattr(cases.access, "note", note)
    monkeypatch.setattr(cases.access, "note_unless_changed", note_unless_changed)
    for _ in range(2):  # the caller read, then remembered: the entry refused either way
        answer = client.get("/cases", headers=auth("staff"))
        assert answer.status_code == 503 and "アクセスログ" in answer.json()["detail"]


def test_a_write_on_a_full_disk_is_503_and_stores_nothing(
    cases: CaseLog, post_event: Callable[..., httpx.Response], case_id: str,
    event_count: Callable[[str], int], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    count = event_count(case_id)
    monkeypatch.setattr(cases.recorder, "insert_events", _full)

    answer = post_event(case_id, "contact_recorded", **CONTACT)

    monkeypatch.undo()
    assert answer.status_code == 503
    assert answer.json()["title"] == "保存領域が不足しています"
    assert event_count(case_id) == count


@pytest.mark.parametrize(
    "error",
    [
        OperationalError(sqlite3.OperationalError("database or disk is full")),
        OperationalError(DiskFull("could not extend file: No space left on device")),
        OSError(28, "No space left on device"),
    ],
    ids=["sqlite", "postgresql", "os"],
)
def test_each_drivers_full_disk_is_recognised(error: Exception) -> None:
    assert storage_full(error)


def test_other_database_errors_are_not_taken_for_a_full_disk() -> None:
    assert not storage_full(OperationalError(sqlite3.OperationalError("database is locked")))
    assert not storage_full(ValueError("full name is required"))
