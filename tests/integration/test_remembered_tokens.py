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


# -- writes (issue 24): the remembered caller checked in the write's own transaction ----

CONTACT = {"type": "contact_recorded", "contact_on": "2024-10-10", "counterpart": "person",
           "mode": "phone", "summary": "体調の確認"}  # fmt: skip


def _events(store: CaseLog, case_id: str) -> int:
    return len(store.records(UUID(case_id)))


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each read of a token from the store."""
    seen: list[str] = []
    original = TokenStore.claim

    def counted(self: TokenStore, token: str) -> object:
        seen.append(token)
        return original(self, token)

    monkeypatch.setattr(TokenStore, "claim", counted)
    return seen


def test_a_write_goes_on_with_the_remembered_caller_and_reads_no_token(
    store: CaseLog, caller: Caller, claims: list[str]
) -> None:
    before = _events(store, caller.case_id)
    for _ in range(2):
        answer = caller.client.post(f"/cases/{caller.case_id}/events", json=CONTACT,
                                    headers=caller.auth)  # fmt: skip
        assert answer.status_code == 201, answer.text
    assert claims == []
    assert _events(store, caller.case_id) == before + 2
    assert store.records(UUID(caller.case_id))[-1].recorded_by == "田中 四郎"


@pytest.mark.parametrize("change", ["revoke", "disable"])
def test_a_write_after_the_token_or_account_changed_elsewhere_is_401_and_writes_nothing(
    backend: Backend, store: CaseLog, caller: Caller, claims: list[str], change: str
) -> None:
    before = _events(store, caller.case_id)
    if change == "revoke":
        _revoke_elsewhere(backend)
    else:
        AccountStore(backend.open()).disable(caller.account_id, by="管理者", reason="退職")
    refused = [
        caller.client.post(f"/cases/{caller.case_id}/events", json=CONTACT, headers=caller.auth),
        caller.client.post("/cases", json=OPENED, headers=caller.auth),
    ]
    assert [r.status_code for r in refused] == [401, 401]
    assert _events(store, caller.case_id) == before
    assert len(claims) == 2  # each write refused in its transaction, then its caller read


def test_a_write_refused_to_the_remembered_principal_is_judged_for_the_caller_read_now(
    backend: Backend, store: CaseLog, caller: Caller
) -> None:
    """Moved to another office elsewhere: a case there may now be written (though 403 for
    the principal as remembered, before any write), and the old office's case may not."""
    admin = TokenStore(store).create("admin", "管理者 試験")
    there = caller.client.post("/cases", json={**OPENED, "office_id": OTHER_OFFICE},
                               headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
    assert there.status_code == 201, there.text
    other_case = there.json()["case_id"]
    AccountStore(backend.open()).change_role(caller.account_id, "staff", OTHER_OFFICE, by="管理者")
    before = _events(store, caller.case_id)

    new = caller.client.post(f"/cases/{other_case}/events", json=CONTACT, headers=caller.auth)
    old = caller.client.post(f"/cases/{caller.case_id}/events", json=CONTACT, headers=caller.auth)
    assert (old.status_code, new.status_code) == (403, 201), (old.text, new.text)
    assert _events(store, caller.case_id) == before


def test_the_store_saves_only_while_the_named_aggregates_are_unchanged(
    backend: Backend, store: CaseLog
) -> None:
    """The recorders themselves (:mod:`domain.store.recorders`), on each backend."""
    from domain.store.recorders import CallerChanged

    assert store.checks_writers
    tokens = TokenStore(store)
    tokens.create("staff", "担当 一郎", OFFICE)
    (info,) = tokens.list()
    case = store.open_case(OPENED, recorded_by="担当 一郎", unchanged=[(info.id, 1)])
    payload = {k: v for k, v in CONTACT.items() if k != "type"}
    store.record(case.id, "contact_recorded", payload, recorded_by="担当 一郎",
                 unchanged=[(info.id, 1)])  # fmt: skip
    tokens.revoke(info.id, "テスト")  # the token's version 2
    with pytest.raises(CallerChanged):
        store.record(case.id, "contact_recorded", payload, recorded_by="担当 一郎",
                     unchanged=[(info.id, 1)])  # fmt: skip
    with pytest.raises(CallerChanged):
        store.open_case(OPENED, recorded_by="担当 一郎", unchanged=[(case.id, 9), (info.id, 1)])
    assert len(backend.open().records(case.id)) == 2
    assert len(backend.open().case_ids()) == 1
