"""Accounts on SQLite and PostgreSQL (issue 21): one login id, one account, even when two
server processes add it at once; a change made in one process holds in the other."""

from __future__ import annotations

import pytest

from api.http.accounts import AccountExists, AccountStore
from api.http.auth import TokenStore
from api.web.session import WebSignIn
from tests.integration.conftest import Backend

PASSWORD = "ふたつの さーばーで おなじ あいことば"


def test_the_same_login_id_added_by_two_processes_makes_one_account(backend: Backend) -> None:
    first, second = AccountStore(backend.open()), AccountStore(backend.open())
    made, _ = first.create("Kimura", "木村", "auditor", None, by="管理者 一")

    with pytest.raises(AccountExists):
        second.create("ｋｉｍｕｒａ", "木村 別人", "admin", None, by="管理者 二")
    assert [a.display_name for a in second.list()] == ["木村"]
    assert second.get(made.id) is not None


def test_disabling_in_one_process_ends_the_session_read_by_another(backend: Backend) -> None:
    one, other = backend.open(), backend.open()
    accounts = AccountStore(one)
    account, _ = accounts.create("nomura", "野村", "staff", "1310100001", by="管理者")
    accounts.set_password(account.id, PASSWORD, by="野村")
    reading = WebSignIn(other, TokenStore(other))
    secret = reading.start_account_session(reading.accounts.require(account.id))
    before = reading.principal(secret)

    accounts.disable(account.id, by="管理者", reason="退職")

    assert before is not None and before.name == "野村"
    assert reading.principal(secret) is None
