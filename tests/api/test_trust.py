"""Trust for auditors over HTTP: the access log, the export bundle, the dispute report."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli.main import main
from api.http.access_log import access_entries
from api.http.auth import TokenStore
from api.settings import Settings
from domain.store.application import CaseLog, persistence_env
from projections.bundle import verify_bundle
from tests.api.conftest import NAMES, Clock
from tests.factories import case_opened_payload

Auth = Callable[[str], dict[str, str]]


def test_every_read_is_logged_and_only_auditors_and_admins_see_the_log(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    # Given staff reading the entitlement with a window
    read = client.get(
        f"/cases/{case_id}/entitlement",
        params={"on": "2024-12-01", "as_of": "2025-06-02T12:00:00+09:00"},
        headers=auth("staff"),
    )
    assert read.status_code == 200
    # When the auditor reads the access log
    log = client.get(f"/cases/{case_id}/access-log", headers=auth("auditor"))
    # Then the read is there: who, role, endpoint, window
    assert log.status_code == 200
    entry = log.json()["entries"][-1]
    assert entry["principal_name"] == NAMES["staff"]
    assert entry["role"] == "staff"
    assert entry["endpoint"] == "/cases/{case_id}/entitlement"
    assert entry["on"] == "2024-12-01"
    assert entry["as_of"].startswith("2025-06-02T12:00:00")
    # And staff may not see it; admins may
    assert client.get(f"/cases/{case_id}/access-log", headers=auth("staff")).status_code == 403
    assert client.get(f"/cases/{case_id}/access-log", headers=auth("admin")).status_code == 200


def test_access_log_has_no_delete_endpoint(client: TestClient, auth: Auth, case_id: str) -> None:
    response = client.delete(f"/cases/{case_id}/access-log", headers=auth("admin"))
    assert response.status_code == 405


def test_access_log_of_an_unknown_case_is_404(client: TestClient, auth: Auth) -> None:
    unknown = "00000000-0000-4000-8000-00000000dead"
    assert client.get(f"/cases/{unknown}/access-log", headers=auth("auditor")).status_code == 404


def test_concurrent_reads_are_all_logged(tmp_path: Path, clock: Clock) -> None:
    # Given an app on an SQLite file (threads share it, unlike an in-memory database)
    cases = CaseLog(env=persistence_env(f"sqlite:///{tmp_path / 'cases.db'}"), clock=clock)
    client = TestClient(create_app(Settings(database_url="sqlite:///:memory:"), cases=cases))
    headers = {"Authorization": f"Bearer {TokenStore(cases).create('auditor', '監査員')}"}
    case_id = cases.open_case(case_opened_payload(), recorded_by="担当").id

    # When ten readers read at once
    def read() -> None:
        assert client.get(f"/cases/{case_id}/timeline", headers=headers).is_success

    threads = [threading.Thread(target=read) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every one of them is in the log
    assert len(access_entries(cases, case_id)) == 10
    cases.close()


def test_export_verifies_offline_and_is_logged(
    client: TestClient, auth: Auth, case_id: str, cases: CaseLog
) -> None:
    # When staff of the office export the case
    response = client.get(f"/cases/{case_id}/export", headers=auth("staff"))
    # Then the bundle verifies with no database, and the export is in the access log
    assert response.status_code == 200
    bundle = response.json()
    assert verify_bundle(bundle).ok
    assert bundle["exported_by"] == NAMES["staff"]
    assert len(bundle["events"]) == 2
    endpoints = [e["endpoint"] for e in access_entries(cases, UUID(case_id))]
    assert "/cases/{case_id}/export" in endpoints


def test_export_is_refused_to_staff_of_another_office(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    assert client.get(f"/cases/{case_id}/export", headers=auth("other_staff")).status_code == 403
    assert client.get(f"/cases/{case_id}/export", headers=auth("auditor")).status_code == 200


def _hire_corrected_after_decision(
    case_id: str, post_event: Callable[..., httpx.Response], clock: Clock
) -> str:
    granted = post_event(
        case_id, "decision_granted",
        decided_on="2024-09-20", valid_from="2024-10-01", valid_to="2025-09-30",
    )  # fmt: skip
    assert granted.status_code == 201, granted.text
    shown_at = clock.now.isoformat()  # what the system showed right after the decision
    corrected = post_event(
        case_id, "event_corrected", target_version=2, reason="就職日の誤り",
        replacement={"hired_on": "2024-04-15", "employer": {"name": "株式会社サンプル"}},
    )  # fmt: skip
    assert corrected.status_code == 201, corrected.text
    return shown_at


def test_dispute_report_shows_the_dates_changed_by_a_later_correction(
    client: TestClient,
    auth: Auth,
    case_id: str,
    post_event: Callable[..., httpx.Response],
    clock: Clock,
) -> None:
    shown_at = _hire_corrected_after_decision(case_id, post_event, clock)
    response = client.get(
        f"/cases/{case_id}/dispute",
        params={"on": "2024-10-10", "as_of": shown_at},
        headers=auth("auditor"),
    )
    assert response.status_code == 200, response.text
    diffs = {d["field"]: d for d in response.json()["differences"]}
    assert diffs["eligible_from"]["then"] == "2024-10-01"
    assert diffs["eligible_from"]["now"] == "2024-10-15"
    assert [e["version"] for e in diffs["base_date"]["explained_by"]] == [4]


def test_dispute_report_prints_as_japanese_html(
    client: TestClient,
    auth: Auth,
    case_id: str,
    post_event: Callable[..., httpx.Response],
    clock: Clock,
) -> None:
    shown_at = _hire_corrected_after_decision(case_id, post_event, clock)
    params: dict[str, Any] = {"on": "2024-10-10", "as_of": shown_at}
    by_accept = client.get(
        f"/cases/{case_id}/dispute", params=params, headers={**auth("staff"), "Accept": "text/html"}
    )
    by_query = client.get(
        f"/cases/{case_id}/dispute", params={**params, "format": "html"}, headers=auth("staff")
    )
    for page in (by_accept, by_query):
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert '<html lang="ja">' in page.text
        assert "@media print" in page.text
        assert "起算日" in page.text and "2024-04-15" in page.text
        assert "第4版" in page.text


def test_dispute_without_as_of_is_422_with_the_field(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    response = client.get(f"/cases/{case_id}/dispute", headers=auth("auditor"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["as_of"]


def test_export_command_writes_a_bundle_that_verify_checks_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a case in an SQLite file, exported from the command line
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    cases = CaseLog(env=persistence_env(url))
    case_id = cases.open_case(case_opened_payload(), recorded_by="担当").id
    cases.close()
    out = tmp_path / "bundle.json"
    assert main(["export", "--case", str(case_id), "--out", str(out), "--database", url]) == 0
    (tmp_path / "cases.db").unlink()  # verification needs no database
    # When the bundle is verified, then again with one byte of the opening date changed
    assert main(["verify", "--bundle", str(out)]) == 0
    assert f"{case_id} OK" in capsys.readouterr().out
    raw = out.read_bytes()
    i = raw.index(b'"opened_on": "2024-03-0') + len(b'"opened_on": "2024-03-0')
    out.write_bytes(raw[:i] + b"2" + raw[i + 1 :])
    status = main(["verify", "--bundle", str(out)])
    # Then it is rejected, naming the altered event's version
    assert status == 1
    assert "events[version=1] altered" in capsys.readouterr().out
