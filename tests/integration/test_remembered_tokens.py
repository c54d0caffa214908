"""An API read with the token this process remembers (decision 0060), on SQLite and
PostgreSQL: lists and office answers read no token, and whatever another process changes
of the token or its account holds on the very next request: the read's access entry is
written only while they are unchanged, a read that writes no entry reads the token before
it answers, and a refusal made with the remembered principal is made again from the
store (a revoked token is told 401, not 403)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.http.accounts import AccountStore
from api.http.auth import TokenStore
from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED

OFFICE = OPENED["office_id"]
OTHER_OFFICE = "1310100002"
#: Reads whose answer names the office's cases: each writes one listing entry.
LISTS = [f"/cases?office_id={OFFICE}", f"/offices/{OFFICE}/due",
         f"/offices/{OFFICE}/billing?month=2024-10"]  # fmt: skip


@dataclass
class Caller:
    client: TestClient
    auth: dict[str, str]
    case_id: str
    account_id: UUID


@pytest.fixture
def caller(store: CaseLog) -> Iterator[Caller]:
    """A staff account's own token, read (and remembered) by a first round of reads."""
    app = create_app(cases=store)
    account, _ = AccountStore(store).create("tanaka", "田中 四郎", "staff", OFFICE, by="管理者")
    token = TokenStore(store).create("staff", "田中 四郎", OFFICE, account_id=account.id)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        case_id = client.post("/cases", json=OPENED, headers=auth).json()["case_id"]
        for path in [*LISTS, "/rules"]:
            assert client.get(path, headers=auth).status_code == 200, path
        yield Caller(client, auth, case_id, account.id)


def _revoke_elsewhere(backend: Backend) -> None:
    tokens = TokenStore(backend.open())
    (info,) = tokens.list()
    tokens.revoke(info.id, "テスト")


def test_a_revoked_token_is_refused_on_the_next_list_and_no_entry_is_written(
    backend: Backend, store: CaseLog, caller: Caller
) -> None:
    entries = len(store.access_entries(UUID(caller.case_id)))
    _revoke_elsewhere(backend)
    for path in LISTS:
        assert caller.client.get(path, headers=caller.auth).status_code == 401, path
    assert len(store.access_entries(UUID(caller.case_id))) == entries


def test_a_disabled_account_s_token_is_refused_on_the_next_list(
    backend: Backend, caller: Caller
) -> None:
    AccountStore(backend.open()).disable(caller.account_id, by="管理者", reason="退職")
    for path in LISTS:
        assert caller.client.get(path, headers=caller.auth).status_code == 401, path


def test_a_read_that_writes_no_entry_reads_the_token_before_it_answers(
    backend: Backend, caller: Caller
) -> None:
    _revoke_elsewhere(backend)
    assert caller.client.get("/rules", headers=caller.auth).status_code == 401


def test_a_refusal_with_the_remembered_principal_is_made_from_the_store(
    backend: Backend, caller: Caller
) -> None:
    """Another office's list is a 403 for the token as remembered; revoked, it is a 401."""
    other = f"/offices/{OTHER_OFFICE}/due"
    assert caller.client.get(other, headers=caller.auth).status_code == 403
    _revoke_elsewhere(backend)
    assert caller.client.get(other, headers=caller.auth).status_code == 401


def test_an_account_moved_to_another_office_reads_as_that_office_on_the_next_request(
    backend: Backend, caller: Caller
) -> None:
    AccountStore(backend.open()).change_role(caller.account_id, "staff", OTHER_OFFICE, by="管理者")
    assert caller.client.get(f"/offices/{OFFICE}/due", headers=caller.auth).status_code == 403
    moved = caller.client.get(f"/offices/{OTHER_OFFICE}/due", headers=caller.auth)
    assert moved.status_code == 200
