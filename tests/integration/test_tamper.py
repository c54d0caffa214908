"""Tampering with stored rows, on a real SQLite file and a real PostgreSQL schema.

Each test edits the database the way someone with direct access could (UPDATE, DELETE,
swapping two rows' states) and shows that the chain check over the stored rows locates
the change by version and problem. PostgreSQL runs are skipped with a reason printed by
``pytest -rs`` when the server is unreachable (see conftest.py).
"""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

import orjson
import pytest

from api.cli.main import main
from domain.store.application import CaseLog
from projections.audit import verify_chain
from tests.factories import case_opened_payload
from tests.integration.conftest import PG_DSN, Backend


def _execute(backend: Backend, sql: str, params: tuple[Any, ...]) -> None:
    """Run a raw write outside the application (as a tamperer with database access would)."""
    if backend.name == "sqlite":
        path = backend.url.removeprefix("sqlite:///").split("?")[0]
        with sqlite3.connect(path) as conn:
            conn.execute(sql.replace("%s", "?"), params)
        return
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(sql, params)


def _id_param(backend: Backend, case_id: UUID) -> Any:
    return case_id.hex if backend.name == "sqlite" else case_id


def _state(backend: Backend, case_id: UUID, version: int) -> bytes:
    rows = backend.select(
        f"SELECT state FROM {backend.events_table} "
        "WHERE originator_id = %s AND originator_version = %s",
        (_id_param(backend, case_id), version),
    )
    return backend.state_bytes(rows[0][0])


def _set_state(backend: Backend, case_id: UUID, version: int, state: bytes) -> None:
    _execute(
        backend,
        f"UPDATE {backend.events_table} SET state = %s "
        "WHERE originator_id = %s AND originator_version = %s",
        (state, _id_param(backend, case_id), version),
    )


def _case_with_contacts(store: CaseLog, contacts: int = 4) -> UUID:
    """A case: opened (v1), hired (v2), then face-to-face contacts from v3 on."""
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当 一郎")
    store.record(
        case.id, "hired", {"hired_on": "2024-04-01", "employer": {"name": "株式会社サンプル"}},
        recorded_by="担当 一郎",
    )  # fmt: skip
    for i in range(contacts):
        store.record(
            case.id,
            "contact_recorded",
            {
                "contact_on": f"2024-10-{10 + i:02d}",
                "counterpart": "person",
                "mode": "face_to_face",
            },
            recorded_by="担当 一郎",
        )
    return case.id


def _breaks(backend: Backend, case_id: UUID) -> list[tuple[int, str]]:
    """The chain check as a fresh process sees the stored rows."""
    report = verify_chain(backend.open().stored_records(case_id))
    return [(b["version"], b["problem"]) for b in report.breaks]


def test_untouched_rows_verify(backend: Backend, store: CaseLog) -> None:
    # Given a case recorded normally
    case_id = _case_with_contacts(store)
    # Then its stored chain has no break
    assert _breaks(backend, case_id) == []


def test_updated_row_is_located_as_altered(backend: Backend, store: CaseLog) -> None:
    # Given a case whose third row has its contact date edited in the database
    case_id = _case_with_contacts(store)
    state = orjson.loads(_state(backend, case_id, 3))
    state["payload"]["contact_on"] = "2024-10-01"
    _set_state(backend, case_id, 3, orjson.dumps(state))
    # Then the check names version 3 as altered, and only it
    assert _breaks(backend, case_id) == [(3, "altered")]


def test_deleted_row_is_located_as_missing(backend: Backend, store: CaseLog) -> None:
    # Given a case whose fourth row was deleted
    case_id = _case_with_contacts(store)
    _execute(
        backend,
        f"DELETE FROM {backend.events_table} WHERE originator_id = %s AND originator_version = %s",
        (_id_param(backend, case_id), 4),
    )
    # Then the check names version 4 as missing
    assert _breaks(backend, case_id) == [(4, "missing")]


def test_swapped_rows_are_located_as_altered(backend: Backend, store: CaseLog) -> None:
    # Given a case whose third and fourth rows had their states swapped
    case_id = _case_with_contacts(store)
    third, fourth = _state(backend, case_id, 3), _state(backend, case_id, 4)
    _set_state(backend, case_id, 3, fourth)
    _set_state(backend, case_id, 4, third)
    # Then both versions are named as altered
    found = _breaks(backend, case_id)
    assert (3, "altered") in found and (4, "altered") in found
    assert {v for v, _ in found} <= {3, 4, 5}


def test_row_that_no_longer_decodes_is_reported_not_crashed(
    backend: Backend, store: CaseLog
) -> None:
    # Given a case whose third row holds bytes that are not JSON at all
    case_id = _case_with_contacts(store)
    _set_state(backend, case_id, 3, b"\x00garbage")
    # Then the check still runs and names version 3 (and nothing else)
    assert _breaks(backend, case_id) == [(3, "altered")]


def test_tampering_before_a_snapshot_is_still_found(backend: Backend, store: CaseLog) -> None:
    # Given a case long enough to have a snapshot (every 50 events), with row 3 edited
    case_id = _case_with_contacts(store, contacts=18)
    for month in range(11, 13):
        for day in range(1, 18):
            store.record(
                case_id, "contact_recorded",
                {"contact_on": f"2024-{month}-{day:02d}", "counterpart": "person",
                 "mode": "face_to_face"},
                recorded_by="担当 一郎",
            )  # fmt: skip
    state = orjson.loads(_state(backend, case_id, 3))
    state["recorded_by"] = "別人"
    _set_state(backend, case_id, 3, orjson.dumps(state))
    # Then the check of the stored rows (not the snapshot) names version 3
    assert backend.select(f"SELECT COUNT(*) FROM {backend.snapshots_table}")[0][0] >= 1
    assert _breaks(backend, case_id) == [(3, "altered")]


def test_verify_command_reports_each_case_and_exits_1_on_a_break(
    backend: Backend, store: CaseLog, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two cases, the second with its fifth row deleted
    intact, tampered = _case_with_contacts(store), _case_with_contacts(store)
    _execute(
        backend,
        f"DELETE FROM {backend.events_table} WHERE originator_id = %s AND originator_version = %s",
        (_id_param(backend, tampered), 5),
    )
    # When every case is verified from the command line
    status = main(["verify", "--database", backend.url])
    out = capsys.readouterr().out
    # Then the intact case is OK, the tampered one is located, and the exit status is 1
    assert status == 1
    assert f"{intact} OK" in out
    assert f"{tampered} NG version 5 missing" in out


def test_verify_command_exits_0_for_a_clean_case(
    backend: Backend, store: CaseLog, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = _case_with_contacts(store)
    assert main(["verify", "--case", str(case_id), "--database", backend.url]) == 0
    assert f"{case_id} OK" in capsys.readouterr().out


def test_audit_endpoint_reports_a_deleted_row_instead_of_failing_to_load(
    backend: Backend, store: CaseLog
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    case_id = _case_with_contacts(store)
    _execute(
        backend,
        f"DELETE FROM {backend.events_table} WHERE originator_id = %s AND originator_version = %s",
        (_id_param(backend, case_id), 4),
    )
    app = create_app(cases=store)
    token = app.state.tokens.create("auditor", "監査 太郎")
    with TestClient(app) as client:
        response = client.get(
            f"/cases/{case_id}/audit", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is False
    assert [(b["version"], b["problem"]) for b in body["breaks"]] == [(4, "missing")]


def test_verify_command_also_checks_the_access_log_and_the_offices_chains(
    backend: Backend, store: CaseLog, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from domain.office import Office

    # Given a case read twice, and an office with its 体制 recorded twice
    case_id = _case_with_contacts(store, contacts=1)
    for n in range(2):
        store.note_access(case_id, reader="監査 花子", role="auditor", endpoint=f"/r{n}",
                          as_of=None, on=None)  # fmt: skip
    registered = {"office_id": "1310100001", "name": "試験事業所", "designated_on": "2019-04-01"}
    office = Office.register(registered, recorded_by="管理者",
                             recorded_at=datetime(2026, 1, 5, tzinfo=UTC))  # fmt: skip
    office.record("tier_notified", {"fiscal_year": 2025, "tier_percent": 90,
                                    "notified_on": "2025-04-01"},
                  recorded_by="管理者", recorded_at=datetime(2026, 1, 6, tzinfo=UTC))  # fmt: skip
    store.save(office)
    assert main(["verify", "--database", backend.url]) == 0
    clean = capsys.readouterr().out
    assert "office 1310100001 OK (2 events)" in clean

    # When one read's reader and the office's second event are altered in the database
    access = "teichaku_access" if backend.name == "sqlite" else (
        backend.events_table.split(".")[0] + ".teichaku_access")  # fmt: skip
    _execute(backend, f"UPDATE {access} SET principal_name = %s WHERE stream = %s AND seq = 2",
             ("別人", str(case_id)))  # fmt: skip
    state = orjson.loads(_state(backend, office.id, 2))
    state["recorded_by"] = "別人"
    _set_state(backend, office.id, 2, orjson.dumps(state))

    # Then verify names both and exits 1
    status = main(["verify", "--database", backend.url])
    out = capsys.readouterr().out
    assert status == 1
    assert f"access-log {case_id} NG entry 2" in out
    assert "office 1310100001 NG version 2" in out
