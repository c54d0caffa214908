"""A page read with the session this process remembers (decision 0059), on SQLite and
PostgreSQL: it reads no session, token or account, and whatever another process changes
of them holds on the very next page: the page's first access entry is written only while
they are unchanged, and a page that writes no entry reads the session before answering.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.http.accounts import AccountStore
from api.http.auth import TokenStore
from api.web.pages import COOKIE
from api.web.session import WebSignIn
from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED
from tests.integration.statements import counting_statements

OFFICE = OPENED["office_id"]
OTHER_OFFICE = "1310100002"
PASSWORD = "おぼえた せっしょんの あいことば"


@dataclass
class Signed:
    client: TestClient
    case_id: str
    account_id: UUID


def _signed_in(store: CaseLog, role: str, office: str | None) -> Iterator[Signed]:
    app = create_app(cases=store)
    accounts = AccountStore(store)
    account, _ = accounts.create("sato", "佐藤 三郎", role, office, by="管理者")
    accounts.set_password(account.id, PASSWORD, by="佐藤 三郎")
    writer = app.state.tokens.create("staff", "担当 一郎", OFFICE)
    with TestClient(app) as client:
        answer = client.post("/cases", json=OPENED, headers={"Authorization": f"Bearer {writer}"})
        sign_in: WebSignIn = app.state.web_sign_in
        client.cookies.set(COOKIE, sign_in.start_account_session(accounts.require(account.id)))
        yield Signed(client, answer.json()["case_id"], account.id)


@pytest.fixture
def staff(store: CaseLog) -> Iterator[Signed]:
    yield from _signed_in(store, "staff", OFFICE)


@pytest.fixture
def admin(store: CaseLog) -> Iterator[Signed]:
    yield from _signed_in(store, "admin", None)


def _pages(case_id: str) -> list[str]:
    return ["/web/", f"/web/cases/{case_id}", f"/web/offices/{OFFICE}/due"]


def _to_login(answer: object) -> bool:
    return getattr(answer, "status_code", 0) == 303 and getattr(answer, "headers", {}).get(
        "location"
    ) == "/web/login"


def test_a_page_with_a_remembered_session_reads_no_session_token_or_account(
    staff: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in _pages(staff.case_id):
        assert staff.client.get(path).status_code == 200  # the session read, remembered
        with counting_statements(monkeypatch) as sent:
            assert staff.client.get(path, follow_redirects=False).status_code == 200
        # An aggregate loaded (the library's SELECT of its events), not the access
        # entry's check of versions (in its statement, or ``SELECT 1 AS changed``).
        events_read = [s for s in sent if "originator_id" in s and "access" not in s
                       and "changed" not in s]  # fmt: skip
        case_page = path.startswith("/web/cases/")
        assert len(events_read) == (1 if case_page else 0), (path, events_read)  # the case


def test_an_account_disabled_in_another_process_is_signed_out_on_the_next_page(
    backend: Backend, store: CaseLog, staff: Signed
) -> None:
    for path in _pages(staff.case_id):
        assert staff.client.get(path).status_code == 200
    entries = len(store.access_entries(UUID(staff.case_id)))
    AccountStore(backend.open()).disable(staff.account_id, by="管理者", reason="退職")
    for path in _pages(staff.case_id):
        assert _to_login(staff.client.get(path, follow_redirects=False)), path
    assert len(store.access_entries(UUID(staff.case_id))) == entries  # nothing was shown


def test_sessions_ended_everywhere_in_another_process_end_here_on_the_next_page(
    backend: Backend, staff: Signed
) -> None:
    for path in _pages(staff.case_id):
        assert staff.client.get(path).status_code == 200
    AccountStore(backend.open()).end_sessions(staff.account_id, by="管理者")
    for path in _pages(staff.case_id):
        assert _to_login(staff.client.get(path, follow_redirects=False)), path


def test_a_signed_out_session_is_not_remembered_in_another_process(
    backend: Backend, store: CaseLog, staff: Signed
) -> None:
    """The session itself ended (its own event, in another process): its version moved."""
    for path in _pages(staff.case_id):
        assert staff.client.get(path).status_code == 200
    other = backend.open()
    WebSignIn(other, TokenStore(other)).sign_out(staff.client.cookies[COOKIE])
    for path in _pages(staff.case_id):
        assert _to_login(staff.client.get(path, follow_redirects=False)), path


def test_an_account_moved_to_another_office_sees_that_office_on_the_next_page(
    backend: Backend, staff: Signed
) -> None:
    """The remembered principal (staff of OFFICE) no longer holds: the page is made again
    with the account as it is now, not with what this process remembered."""
    assert OPENED["person"]["name"] in staff.client.get("/web/").text
    AccountStore(backend.open()).change_role(staff.account_id, "staff", OTHER_OFFICE, by="管理者")
    page = staff.client.get("/web/")
    assert page.status_code == 200
    assert OPENED["person"]["name"] not in page.text  # the old office's case is not listed
    assert staff.client.get(f"/web/cases/{staff.case_id}").status_code == 403


def test_a_page_that_writes_no_access_entry_reads_the_session_before_it_answers(
    backend: Backend, admin: Signed
) -> None:
    """The accounts page names no case (no access entry to check with): a disabled
    account is refused there too on the next request."""
    for _ in range(2):
        assert admin.client.get("/web/admin/accounts").status_code == 200
    AccountStore(backend.open()).disable(admin.account_id, by="別の管理者", reason="退職")
    assert _to_login(admin.client.get("/web/admin/accounts", follow_redirects=False))


def test_a_token_session_ends_when_its_token_is_revoked_in_another_process(
    backend: Backend, store: CaseLog
) -> None:
    app = create_app(cases=store)
    token = app.state.tokens.create("staff", "担当 一郎", OFFICE)
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        case_id = client.post("/cases", json=OPENED, headers=auth).json()["case_id"]
        assert client.post("/web/login", data={"token": token}).status_code == 200
        for path in _pages(case_id):
            assert client.get(path).status_code == 200
        tokens = TokenStore(backend.open())
        (info,) = tokens.list()
        tokens.revoke(info.id, "テスト")
        for path in _pages(case_id):
            assert _to_login(client.get(path, follow_redirects=False)), path


def test_a_posted_search_only_reads_and_checks_its_session_as_a_page_does(
    backend: Backend, staff: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard's search is posted (a name never goes into an address) but writes
    nothing: it takes the remembered session too, and a disable holds on the next one."""
    search = {"q": "テイチャク"}
    assert staff.client.post("/web/", data=search).status_code == 200  # read, remembered
    with counting_statements(monkeypatch) as sent:
        found = staff.client.post("/web/", data=search, follow_redirects=False)
    assert found.status_code == 200 and OPENED["person"]["name"] in found.text
    assert not [s for s in sent if "originator_id" in s and "access" not in s
                and "changed" not in s], sent  # fmt: skip
    AccountStore(backend.open()).disable(staff.account_id, by="管理者", reason="退職")
    assert _to_login(staff.client.post("/web/", data=search, follow_redirects=False))
