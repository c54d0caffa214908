"""What a read costs, counted in SQL statements (never in time), on SQLite and PostgreSQL,
and on PostgreSQL in round trips (a transaction's BEGIN and COMMIT are round trips too).

A case read is the case (one read: the cache fast-forwards it) and its access entry
(decision 0052: on SQLite two statements, the stream's head and the entry; on PostgreSQL
one), which also checks that the caller's token, as this process remembers it, has not
changed (decision 0058: on SQLite one statement more; a token not yet remembered is read).
Before, it was 5 statements on SQLite and 8 on PostgreSQL (the token read twice, the
case's access-log aggregate loaded, then locked and appended). An office list is the
principal, the views' own statements and one access entry naming the cases. On
PostgreSQL a case read is 2 round trips (was 6, 10 with the transactions), an office
list 4 and a due list 5 (was 16): no statement there runs in a transaction of its own
making. A page of the web read with a session this process remembers reads neither the
session nor its token or account (decision 0059): a case page is 2 round trips (was 4),
the dashboard 3 (was 6: its month rows now come in the rows' own statement).
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED
from tests.integration.statements import counting_round_trips, counting_statements

OFFICE = OPENED["office_id"]
#: Round trips and psycopg's parse are PostgreSQL's (SQLite is called within the process).
ON_POSTGRESQL = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
#: The access entry of a read: take the stream's head, insert the entry (on PostgreSQL in
#: one statement, the head a CTE of the insert).
ACCESS_ENTRY = {"sqlite": 2, "postgresql": 1}


@pytest.fixture
def http(backend: Backend, store: CaseLog) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    app = create_app(cases=store)
    token = app.state.tokens.create("staff", "担当 一郎", OFFICE)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        case_id = client.post("/cases", json=OPENED, headers=auth).json()["case_id"]
        for _ in range(2):  # warm: the process has read the token, the case and the list once
            assert client.get(f"/cases/{case_id}/entitlement", headers=auth).status_code == 200
            listed = client.get("/cases", params={"office_id": OFFICE}, headers=auth)
            assert listed.status_code == 200
        yield client, auth, case_id


def _access(sent: list[str]) -> list[str]:
    return [s for s in sent if "teichaku_access" in s]


def _the_case_and_its_checked_entry(backend: Backend, sent: list[str]) -> None:
    """The statements of a read of one case whose caller this process remembers: the
    case's fast-forward, and the access entry that checks the caller (on SQLite one
    statement more in its transaction); no token, session or account is loaded."""
    assert len(_access(sent)) == ACCESS_ENTRY[backend.name]
    assert len(sent) <= 1 + ACCESS_ENTRY[backend.name] + (backend.name == "sqlite"), sent
    loads = [s for s in sent if s.removeprefix("[SQL('").startswith("SELECT *") and "events" in s]
    assert len(loads) == 1, sent


def test_a_case_read_is_its_principal_its_case_and_its_access_entry(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    client, auth, case_id = http
    with counting_statements(monkeypatch) as sent:
        answer = client.get(f"/cases/{case_id}/entitlement", headers=auth)
    assert answer.status_code == 200
    _the_case_and_its_checked_entry(backend, sent)  # the token is not read (0058)


@ON_POSTGRESQL
def test_on_postgresql_reads_take_no_round_trip_for_a_transaction(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Each round trip is ~0.15 ms on an idle machine and more under load (issue 24): a
    case read is its case and its entry (which checks the token this process remembers,
    decision 0058); an office list the views' pointer with their positions, its rows and
    its entry (which checks the token too, decision 0060: its token was read before); a
    due list also its month rows."""
    client, auth, case_id = http
    reads = {
        f"/cases/{case_id}/entitlement": 2,
        f"/cases?office_id={OFFICE}": 3,
        f"/offices/{OFFICE}/due": 4,
    }
    for path, most in reads.items():
        with counting_round_trips(monkeypatch) as sent:
            assert client.get(path, headers=auth).status_code == 200
        assert "BEGIN" not in sent and len(sent) <= most, (path, sent)


@ON_POSTGRESQL
def test_on_postgresql_an_office_s_statements_read_the_same_for_any_number_of_cases(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A list of case ids or months is one array parameter: psycopg parses and prepares a
    statement's text once, and only up to 50 parameters (issue 24)."""
    client, auth, _ = http
    paths = [f"/offices/{OFFICE}/due", f"/offices/{OFFICE}/billing?month=2024-06"]

    def statements() -> list[str]:
        with counting_statements(monkeypatch) as sent:
            for path in paths:
                assert client.get(path, headers=auth).status_code == 200
        return [s for s in sent if "teichaku_access" not in s]

    before = statements()
    for n in range(3):
        opened = {**OPENED, "recipient_number": f"10000001{n:02d}"}
        assert client.post("/cases", json=opened, headers=auth).status_code == 201
    statements()  # the views catch the new cases up
    assert statements() == before


def test_an_office_list_is_the_views_and_one_access_entry(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    client, auth, _ = http
    with counting_statements(monkeypatch) as sent:
        answer = client.get("/cases", params={"office_id": OFFICE}, headers=auth)
    assert answer.status_code == 200 and len(answer.json()["cases"]) == 1
    entry = ACCESS_ENTRY[backend.name]
    assert len(_access(sent)) == entry  # one entry however many cases it names
    views = [s for s in sent if "view" in s or "tracking" in s]
    # The entry checks the token this process remembers (decision 0060; on SQLite one
    # statement more in its transaction): the token is not read.
    assert len(sent) - len(views) <= entry + (backend.name == "sqlite"), sent
    assert not [s for s in sent if "originator_id" in s and "changed" not in s
                and "access" not in s], sent  # fmt: skip
    # The views' own: the pointer with its positions, then the rows (SQLite reads the
    # pointer again in the rows' transaction, a snapshot that holds it against a switch).
    assert len(sent) <= {"sqlite": 4, "postgresql": 2}[backend.name] + entry, sent


def test_a_revoked_token_is_refused_on_the_next_read_in_another_process(
    backend: Backend, http: tuple[TestClient, dict[str, str], str]
) -> None:
    client, auth, case_id = http  # this process has the token in its cache
    other = backend.open()  # another server process revokes it
    from api.http.auth import TokenStore

    tokens = TokenStore(other)
    (info,) = tokens.list()
    tokens.revoke(info.id, "テスト")
    assert client.get(f"/cases/{case_id}/entitlement", headers=auth).status_code == 401


def _account_token(store: CaseLog) -> tuple[str, UUID]:
    from api.http.accounts import AccountStore
    from api.http.auth import TokenStore

    account, _ = AccountStore(store).create("kansa01", "監査 次郎", "auditor", None, "管理者")
    return TokenStore(store).create("auditor", "監査 次郎", account_id=account.id), account.id


def test_a_disabled_account_s_token_is_refused_on_the_next_read_in_another_process(
    backend: Backend, store: CaseLog, http: tuple[TestClient, dict[str, str], str]
) -> None:
    """The account is checked with the token (decision 0058): its version is one of what
    the access entry's statement requires unchanged."""
    client, _, case_id = http
    token, account_id = _account_token(store)
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(2):  # read, then remembered
        assert client.get(f"/cases/{case_id}/timeline", headers=auth).status_code == 200
    from api.http.accounts import AccountStore

    AccountStore(backend.open()).disable(account_id, by="管理者", reason="退職")
    assert client.get(f"/cases/{case_id}/timeline", headers=auth).status_code == 401
    assert client.get(f"/cases/{case_id}/audit", headers=auth).status_code == 401


def test_a_revoked_token_writes_no_entry_and_a_refused_remembered_token_is_read_again(
    backend: Backend, store: CaseLog, http: tuple[TestClient, dict[str, str], str]
) -> None:
    """A revoked token's read leaves no entry (nothing was shown), and a refusal made
    with a remembered token (here a case that is not there: 404) is checked against the
    store first: a revoked token then gets 401, not a hint that the case is missing."""
    client, auth, case_id = http
    before = len(store.access_entries(UUID(case_id)))
    from api.http.auth import TokenStore

    tokens = TokenStore(backend.open())
    (info,) = tokens.list()
    tokens.revoke(info.id, "テスト")
    assert client.get(f"/cases/{case_id}/compliance", headers=auth).status_code == 401
    assert len(store.access_entries(UUID(case_id))) == before
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/cases/{missing}/entitlement", headers=auth).status_code == 401


def test_a_case_page_is_its_case_and_its_access_entry(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    client, auth, case_id = http
    token = auth["Authorization"].removeprefix("Bearer ")
    signed_in = client.post("/web/login", data={"token": token}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert client.get(f"/web/cases/{case_id}").status_code == 200  # the page read once
    with counting_statements(monkeypatch) as sent:
        page = client.get(f"/web/cases/{case_id}")
    assert page.status_code == 200
    # The session and its token are not read (decision 0059: before, on every page).
    _the_case_and_its_checked_entry(backend, sent)


@ON_POSTGRESQL
def test_on_postgresql_a_dashboard_is_the_views_the_rows_and_its_access_entry(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """3 round trips (was 6: the session and its token were read on every page before
    decision 0059, and the month rows had a statement of their own): the views'
    positions, the rows with their month rows, the entry."""
    client, auth, _ = http
    token = auth["Authorization"].removeprefix("Bearer ")
    assert client.post("/web/login", data={"token": token}).status_code == 200
    assert client.get("/web/").status_code == 200  # the session read, and remembered
    with counting_round_trips(monkeypatch) as sent:
        assert client.get("/web/").status_code == 200
    assert len(_access(sent)) == 1
    assert len(sent) == 3, sent


def test_a_write_with_a_key_reads_its_key_once_and_not_from_the_snapshots(
    backend: Backend, http: tuple[TestClient, dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """An Idempotency-Key's record is one event, never snapshotted: one query finds it
    (the repository asked the snapshots first, a round trip more on every keyed write)."""
    from tests.integration.sample import EVENTS

    client, auth, case_id = http
    body = {"type": "contact_recorded", **EVENTS[4][1]}
    keyed = {**auth, "Idempotency-Key": "contact-2024-10-15"}
    with counting_statements(monkeypatch) as sent:
        first = client.post(f"/cases/{case_id}/events", json=body, headers=keyed)
    assert first.status_code == 201
    assert not [s for s in sent if "snapshots" in s], sent
    with counting_statements(monkeypatch) as sent:
        again = client.post(f"/cases/{case_id}/events", json=body, headers=keyed)
    assert again.status_code == 201 and again.json() == first.json()  # the same answer
    assert not [s for s in sent if "snapshots" in s], sent
