"""Tokens end: they expire, they are revoked on the next request in every process, and
the web session built on one expires, signs out and is limited in failed sign-ins."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from fastapi.testclient import TestClient

from api.cli.common import open_app
from api.cli.main import main
from api.http.auth import AccessToken, Principal, TokenStore
from api.web.pages import COOKIE
from api.web.session import LIMIT_PER_SOURCE, SESSION_LIFETIME, TOO_MANY_JA
from domain.store.application import CaseLog
from tests.api.conftest import MEMORY, OFFICE


class Now:
    """A settable UTC clock for tokens and sessions (moves only when told)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tokens.db'}"


@pytest.fixture
def memory() -> Iterator[CaseLog]:
    log = CaseLog(env=MEMORY)
    yield log
    log.close()


def test_a_token_works_until_its_expiry_and_not_from_that_instant(
    memory: CaseLog, now: Now
) -> None:
    store = TokenStore(memory, clock=now)
    token = store.create("auditor", "監査員 試験", expires_in=timedelta(hours=1))

    now.now += timedelta(minutes=59)
    before = store.authenticate(token)
    now.now += timedelta(minutes=1)

    assert before is not None and store.authenticate(token) is None


def test_without_a_lifetime_a_token_expires_after_ninety_days(memory: CaseLog, now: Now) -> None:
    store = TokenStore(memory, clock=now)
    token = store.create("admin", "管理者 試験")
    (info,) = store.list()

    assert info.expires_at == now.now + timedelta(days=90)
    now.now += timedelta(days=90)
    assert store.authenticate(token) is None


def test_a_revocation_in_one_process_holds_on_the_next_request_of_another(url: str) -> None:
    serving, revoking = open_app(url), open_app(url)  # two processes' stores on one file
    token = serving.state.tokens.create("admin", "管理者 試験")
    client = TestClient(serving)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/cases", headers=headers).status_code == 200

    (info,) = revoking.state.tokens.list()
    revoking.state.tokens.revoke(info.id, "端末紛失")

    assert client.get("/cases", headers=headers).status_code == 401


def test_token_cli_creates_with_a_lifetime_lists_and_revokes(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token", "create", "--role", "staff", "--name", "支援員 試験", "--office", OFFICE,
          "--expires-in", "2d", "--database", url])  # fmt: skip
    token = capsys.readouterr().out.strip()
    main(["token", "list", "--database", url])
    listed = capsys.readouterr().out
    (row,) = listed.splitlines()[1:]
    token_id, name, role, office, issued, expires, status = row.split("\t")

    revoked = main(["token", "revoke", token_id, "--reason", "退職", "--database", url])
    main(["token", "list", "--database", url])
    after = capsys.readouterr()

    assert (name, role, office, status) == ("支援員 試験", "staff", OFFICE, "有効")
    lifetime = datetime.fromisoformat(expires) - datetime.fromisoformat(issued)
    assert timedelta(days=2) - timedelta(seconds=5) < lifetime <= timedelta(days=2, seconds=1)
    assert token not in listed and token[:12] not in listed
    assert revoked == 0 and "取消済み" in after.out and "取り消しました" in after.err
    assert open_app(url).state.tokens.authenticate(token) is None
    assert open_app(url).state.tokens.principal_of(UUID(token_id)) is None


def test_token_cli_refuses_a_lifetime_it_cannot_read_and_an_unknown_id(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["token", "create", "--role", "admin", "--name", "管理者",
              "--expires-in", "90", "--database", url])  # fmt: skip
    unknown = main(["token", "revoke", "00000000-0000-0000-0000-000000000001", "--database", url])

    err = capsys.readouterr().err
    assert refused.value.code == 2 and "90d" in err
    assert unknown == 1 and "見つかりません" in err


# -- the web session -----------------------------------------------------------------


def _web(url: str, now: Now) -> tuple[TestClient, str]:
    app = open_app(url)
    app.state.tokens.clock = now
    app.state.web_sign_in.clock = now
    token = app.state.tokens.create("staff", "支援員 試験", OFFICE, timedelta(days=30))
    return TestClient(app), token


def _sign_in(client: TestClient, token: str) -> int:
    return client.post("/web/login", data={"token": token}, follow_redirects=False).status_code


def test_the_session_cookie_is_not_the_token_and_ends_after_the_session_lifetime(
    url: str, now: Now
) -> None:
    client, token = _web(url, now)
    assert _sign_in(client, token) == 303
    cookie = client.cookies[COOKIE]

    inside = client.get("/web/", follow_redirects=False).status_code
    now.now += SESSION_LIFETIME

    assert token not in cookie and inside == 200
    assert client.get("/web/", follow_redirects=False).headers["location"] == "/web/login"


def test_sign_out_ends_the_session_for_a_copied_cookie_too(url: str, now: Now) -> None:
    client, token = _web(url, now)
    _sign_in(client, token)
    copied = client.cookies[COOKIE]

    client.post("/web/logout", follow_redirects=False)
    other = TestClient(client.app, cookies={COOKIE: copied})

    assert other.get("/web/", follow_redirects=False).headers["location"] == "/web/login"


def test_revoking_the_token_ends_its_web_session(url: str, now: Now) -> None:
    client, token = _web(url, now)
    _sign_in(client, token)

    (info,) = open_app(url).state.tokens.list()
    open_app(url).state.tokens.revoke(info.id, "")

    assert client.get("/web/", follow_redirects=False).headers["location"] == "/web/login"


def test_wrong_tokens_sharing_a_colleagues_prefix_never_lock_the_colleague_out(
    url: str, now: Now
) -> None:
    client, token = _web(url, now)
    stranger = TestClient(client.app, client=("203.0.113.9", 50000))
    for n in range(LIMIT_PER_SOURCE - 1):  # as many as the stranger's own address allows
        assert _sign_in(stranger, token[:8] + f"wrong{n}") == 401

    assert _sign_in(client, token) == 303  # the colleague, from their own address


def test_failures_from_one_source_lock_it_out_even_with_the_right_token(
    url: str, now: Now
) -> None:
    client, token = _web(url, now)
    for n in range(LIMIT_PER_SOURCE):
        assert _sign_in(client, f"{n:08d}-not-a-token") == 401

    refused = client.post("/web/login", data={"token": token})
    now.now += timedelta(minutes=15)  # the next window

    assert refused.status_code == 429 and TOO_MANY_JA in refused.text
    assert COOKIE not in client.cookies
    assert _sign_in(client, token) == 303


def test_failed_sign_ins_write_nothing_to_the_store_until_the_source_is_locked(
    url: str, now: Now
) -> None:
    client, _ = _web(url, now)
    cases = client.app.state.cases  # type: ignore[attr-defined]
    before = cases.recorder.max_notification_id() or 0
    for n in range(LIMIT_PER_SOURCE - 1):
        _sign_in(client, f"{n:08d}-not-a-token")
    assert (cases.recorder.max_notification_id() or 0) == before
    _sign_in(client, "the-last-straw-not-a-token")

    assert (cases.recorder.max_notification_id() or 0) == before + 1  # one lock record
    for n in range(50):  # locked: further tries are refused and still write nothing
        assert _sign_in(client, f"more-{n}") == 429
    assert (cases.recorder.max_notification_id() or 0) == before + 1


def test_a_source_locked_in_one_server_process_is_refused_by_every_process(
    url: str, now: Now
) -> None:
    first, token = _web(url, now)
    second = TestClient(open_app(url))
    second.app.state.web_sign_in.clock = now  # type: ignore[attr-defined]
    second.app.state.tokens.clock = now  # type: ignore[attr-defined]
    for n in range(LIMIT_PER_SOURCE):
        assert _sign_in(first, f"{n:08d}-not-a-token") == 401

    assert _sign_in(first, token) == 429 and _sign_in(second, token) == 429


def test_a_token_issued_before_expiry_existed_expires_ninety_days_after_its_issue(
    memory: CaseLog, now: Now
) -> None:
    token = "legacy-token-issued-by-version-1"
    digest = hashlib.sha256(token.encode()).hexdigest()
    issued = AccessToken.issue(digest, Principal("管理者 旧", "admin"), now.now)
    (stored,) = [memory.mapper.to_stored_event(e) for e in issued.collect_events()]
    state = orjson.loads(stored.state)
    del state["expires_at"], state["class_version"]  # exactly what version 1 stored
    memory.recorder.insert_events([replace(stored, state=orjson.dumps(state))])
    store = TokenStore(memory, clock=now)
    (info,) = store.list()
    now.now = info.issued_at + timedelta(days=90) - timedelta(seconds=1)

    assert store.authenticate(token) is not None
    now.now += timedelta(seconds=1)
    assert store.authenticate(token) is None
