"""Every read of a case is noted in its access log, after authorization and only then.

The access log itself is issue 4's ``api.http.access_log``; here a stand-in module records the
calls, so the wiring is checked whatever that module does.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import NAMES

Auth = Callable[[str], dict[str, str]]
READS = ["events", "timeline", "entitlement", "compliance", "audit"]


@pytest.fixture
def noted(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("api.http.access_log")

    def record_access(cases: Any, case_id: Any, principal: Any, endpoint: str, **kw: Any) -> None:
        calls.append({"case_id": str(case_id), "who": principal.name, "endpoint": endpoint, **kw})

    fake.record_access = record_access  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "api.http.access_log", fake)
    return calls


@pytest.mark.parametrize("path", READS)
def test_each_read_endpoint_notes_one_access_with_its_window(
    client: TestClient, auth: Auth, case_id: str, noted: list[dict[str, Any]], path: str
) -> None:
    url = f"/cases/{case_id}/{path}?on=2025-01-15&as_of=2025-06-03T00:00:00Z"
    assert client.get(url, headers=auth("auditor")).status_code == 200

    (call,) = noted
    assert call["case_id"] == case_id and call["who"] == NAMES["auditor"]
    assert call["endpoint"] == f"/cases/{{case_id}}/{path}"
    assert call["on"] == date(2025, 1, 15) and call["as_of"].isoformat().startswith("2025-06-03")


def test_refused_reads_are_not_noted(
    client: TestClient, auth: Auth, case_id: str, noted: list[dict[str, Any]]
) -> None:
    client.get(f"/cases/{case_id}/timeline", headers=auth("other_staff"))
    client.get(f"/cases/{case_id}/timeline")

    assert noted == []


def test_a_read_lands_in_the_cases_real_access_log_and_not_in_its_events(
    client: TestClient, auth: Auth, case_id: str, cases: Any, event_count: Callable[[str], int]
) -> None:
    from uuid import UUID

    from api.http.access_log import access_entries

    client.get(f"/cases/{case_id}/entitlement?on=2025-01-15", headers=auth("staff"))

    (entry,) = access_entries(cases, UUID(case_id))
    assert entry["principal_name"] == NAMES["staff"]
    assert event_count(case_id) == 2
