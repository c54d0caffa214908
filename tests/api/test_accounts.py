"""People sign in as themselves (issue 21): accounts, passwords, TOTP, sessions, the
administrator's pages and the command line, through the HTTP surface.

The sign-in clock is injected (``Now``); nothing here asserts a time taken.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli.main import main
from api.http.accounts import SETUP_CODE_LIFETIME, AccountStore
from api.settings import Settings
from api.web.pages import COOKIE
from api.web.session import IDLE_TIMEOUT, LOCK_AFTER, TOUCH_EVERY
from domain.accounts import Account, account_id
from domain.store.application import CaseLog
from tests.api.conftest import MEMORY, OFFICE

PASSWORD = "はるのうみ ひねもす のたりのたり"
ADMIN_PASSWORD = "kanrisha no nagai aikotoba 2026"
WRONG = "ログインIDかパスワードが違います"


class Now:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def pass_(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def store() -> Iterator[CaseLog]:
    log = CaseLog(env=MEMORY)
    yield log
    log.close()


@pytest.fixture
def app(store: CaseLog, now: Now) -> FastAPI:
    made = create_app(Settings(database_url="sqlite:///:memory:"), cases=store)
    made.state.web_sign_in.clock = now
    made.state.tokens.clock = now
    return made


def _accounts(app: FastAPI) -> AccountStore:
    accounts: AccountStore = app.state.accounts
    return accounts


def _person(
    app: FastAPI, login: str = "tanaka", role: str = "staff", password: str = PASSWORD
) -> Account:
    office = OFFICE if role == "staff" else None
    account, _ = _accounts(app).create(login, f"{login} 氏", role, office, by="試験")
    return _accounts(app).set_password(account.id, password, by="試験")


def _sign_in(client: TestClient, login: str, password: str, code: str = "") -> Any:
    return client.post("/web/login", data={"login_id": login, "password": password, "code": code},
                       follow_redirects=False)  # fmt: skip


def _alert(response: Any) -> str:
    found = re.search(r'role="alert">(.*?)</p>', response.text)
    return found.group(1) if found else ""


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, path
    return found.group(1)


def _once(client: TestClient, path: str) -> tuple[str, str]:
    page = client.get(path)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    once = re.search(r'name="once" value="([^"]+)"', page.text)
    assert csrf and once
    return csrf.group(1), once.group(1)


# -- signing in ------------------------------------------------------------------------


def test_a_person_signs_in_with_login_id_and_password_as_their_display_name(
    app: FastAPI,
) -> None:
    _person(app, "Yamada")
    client = TestClient(app)

    signed = _sign_in(client, "ＹＡＭＡＤＡ", PASSWORD)  # width and case do not matter
    state = app.state.web_sign_in.state(client.cookies[COOKIE])

    assert signed.status_code == 303 and signed.headers["location"] == "/web/"
    assert state.principal.name == "Yamada 氏" and state.principal.office_id == OFFICE
    assert client.get("/web/", follow_redirects=False).status_code == 200


def test_unknown_id_and_wrong_password_get_the_same_answer(app: FastAPI) -> None:
    _person(app)
    unknown = _sign_in(TestClient(app), "nobody-here", PASSWORD)
    wrong = _sign_in(TestClient(app), "tanaka", PASSWORD + "x")

    assert unknown.status_code == wrong.status_code == 401
    assert WRONG in _alert(unknown) and _alert(unknown) == _alert(wrong)
    assert COOKIE not in unknown.cookies and COOKIE not in wrong.cookies


def test_a_disabled_account_is_told_so_only_with_the_right_password(app: FastAPI) -> None:
    account = _person(app)
    _accounts(app).disable(account.id, "管理者", "退職")

    right = _sign_in(TestClient(app), "tanaka", PASSWORD)
    wrong = _sign_in(TestClient(app), "tanaka", PASSWORD + "x")

    assert right.status_code == 403 and "停止中" in _alert(right)
    assert wrong.status_code == 401 and WRONG in _alert(wrong)


def test_the_set_up_code_leads_to_choosing_a_password_and_nothing_else(app: FastAPI) -> None:
    _, code = _accounts(app).create("sato", "佐藤 一郎", "staff", OFFICE, by="管理者")
    client = TestClient(app)

    signed = _sign_in(client, "sato", code.lower().replace("-", ""))  # as typed by hand
    elsewhere = client.get("/web/", follow_redirects=False)
    csrf = _csrf(client, "/web/account/password")
    refused = client.post("/web/account/password",
                          data={"csrf": csrf, "new": "sato", "again": "sato"})  # fmt: skip
    chosen = client.post("/web/account/password", data={"csrf": csrf, "new": PASSWORD,
                         "again": PASSWORD}, follow_redirects=False)  # fmt: skip

    assert signed.headers["location"] == "/web/account/password"
    assert elsewhere.headers["location"] == "/web/account/password"
    assert refused.status_code == 422 and "15文字以上" in refused.text
    assert chosen.headers["location"] == "/web/"
    assert client.get("/web/", follow_redirects=False).status_code == 200
    assert _sign_in(TestClient(app), "sato", code).status_code == 401  # used: gone
    assert _sign_in(TestClient(app), "sato", PASSWORD).status_code == 303


def test_an_expired_set_up_code_says_so(app: FastAPI, now: Now) -> None:
    _, code = _accounts(app).create("kato", "加藤", "auditor", None, by="管理者")
    now.pass_(SETUP_CODE_LIFETIME)

    answer = _sign_in(TestClient(app), "kato", code)

    assert answer.status_code == 401 and "期限切れ" in _alert(answer)


def test_the_stored_account_holds_an_argon2id_hash_never_the_password_or_the_code(
    app: FastAPI, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    file_app = create_app(Settings(database_url=url))
    account, code = _accounts(file_app).create("ito", "伊藤", "admin", None, by="試験")
    _accounts(file_app).set_password(account.id, ADMIN_PASSWORD, by="伊藤")
    file_app.state.cases.close()

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("accounts.db*"))
    reread = _accounts(create_app(Settings(database_url=url))).get(account.id)

    assert reread is not None and str(reread.password_hash).startswith("$argon2id$")
    assert ADMIN_PASSWORD.encode() not in stored and code.encode() not in stored
    assert code.replace("-", "").encode() not in stored


def test_a_second_account_with_the_same_login_id_in_another_case_is_refused(
    app: FastAPI,
) -> None:
    _person(app, "Suzuki")
    with pytest.raises(ValueError, match="すでに使われています"):
        _accounts(app).create("ＳＵＺＵＫＩ", "鈴木 別人", "auditor", None, by="試験")


# -- slowing down, never locking a colleague out -------------------------------------------


def _fail_until_locked(client: TestClient, login: str, now: Now) -> list[int]:
    """Wrong passwords, each after waiting out the answer's 「あと N 秒」, until
    LOCK_AFTER of them were checked (and refused); returns every status seen."""
    statuses: list[int] = []
    n = 0
    while statuses.count(401) < LOCK_AFTER:
        answer = _sign_in(client, login, f"guess number {n:04d} x")
        n += 1
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            seconds = int(re.search(r"あと(\d+)秒", answer.text).group(1))  # type: ignore[union-attr]
            now.pass_(timedelta(seconds=seconds))
    return statuses


def test_guessing_a_colleagues_password_from_one_address_never_locks_the_colleague_out(
    app: FastAPI, now: Now
) -> None:
    _person(app, "colleague")
    stranger = TestClient(app, client=("203.0.113.9", 50000))
    statuses = _fail_until_locked(stranger, "colleague", now)

    locked = _sign_in(stranger, "colleague", PASSWORD)  # even the right password, there
    colleague = _sign_in(TestClient(app, client=("192.0.2.10", 50000)), "colleague", PASSWORD)

    assert statuses[:3] == [401, 401, 401] and 429 in statuses  # slowed, then locked
    assert locked.status_code == 429 and "しばらく待ってから" in locked.text
    assert colleague.status_code == 303


def test_a_correct_totp_code_gets_past_the_lock_and_a_password_alone_does_not(
    app: FastAPI, now: Now
) -> None:
    account = _person(app, "holder")
    secret = pyotp.random_base32()
    assert _accounts(app).enrol_totp(account.id, secret, pyotp.TOTP(secret).at(now.now))
    desk = TestClient(app, client=("198.51.100.20", 50000))
    _fail_until_locked(desk, "holder", now)
    now.pass_(timedelta(seconds=31))  # a new TOTP step

    alone = _sign_in(desk, "holder", PASSWORD)
    wrong_code = _sign_in(desk, "holder", PASSWORD, "000000")
    with_code = _sign_in(desk, "holder", PASSWORD, pyotp.TOTP(secret).at(now.now))

    assert alone.status_code == 429 and wrong_code.status_code == 429
    assert with_code.status_code == 303


def test_an_administrators_lift_ends_the_lock_at_once(app: FastAPI, now: Now) -> None:
    account = _person(app, "locked")
    desk = TestClient(app, client=("198.51.100.21", 50000))
    _fail_until_locked(desk, "locked", now)
    locked = _sign_in(desk, "locked", PASSWORD).status_code
    now.pass_(timedelta(seconds=1))
    _accounts(app).lift_lock(account.id, by="管理者")
    now.pass_(timedelta(seconds=1))

    assert locked == 429 and _sign_in(desk, "locked", PASSWORD).status_code == 303


# -- TOTP ----------------------------------------------------------------------------------


def test_a_totp_code_works_once(app: FastAPI, now: Now) -> None:
    account = _person(app, "otp")
    secret = pyotp.random_base32()
    _accounts(app).enrol_totp(account.id, secret, pyotp.TOTP(secret).at(now.now))
    now.pass_(timedelta(seconds=30))
    code = pyotp.TOTP(secret).at(now.now)

    without = _sign_in(TestClient(app), "otp", PASSWORD)
    first = _sign_in(TestClient(app), "otp", PASSWORD, code)
    replayed = _sign_in(TestClient(app), "otp", PASSWORD, code)

    assert without.status_code == 401 and "確認コード" in _alert(without)
    assert first.status_code == 303
    assert replayed.status_code == 401 and "すでに使われて" in _alert(replayed)


def test_the_totp_secret_is_stored_sealed_and_one_stored_before_sealing_still_works(
    app: FastAPI, store: CaseLog, now: Now
) -> None:
    accounts = _accounts(app)
    sealed_one, plain_one = _person(app, "sealed"), _person(app, "plain")
    secret, old = pyotp.random_base32(), pyotp.random_base32()
    assert accounts.enrol_totp(sealed_one.id, secret, pyotp.TOTP(secret).at(now.now))
    # an enrolment recorded before secrets were sealed: the secret plain in its event
    legacy = accounts.require(plain_one.id)
    accounts._trigger(legacy, Account.TotpEnrolled, secret=old, step=0)
    store.save(legacy)
    now.pass_(timedelta(seconds=30))

    stored = b"".join(e.state for e in store.recorder.select_events(sealed_one.id))
    assert secret.encode() not in stored  # the store alone does not give the secret away
    assert accounts.opened_totp_secret(accounts.require(sealed_one.id)) == secret
    assert _sign_in(TestClient(app), "sealed", PASSWORD, pyotp.TOTP(secret).at(now.now)
                    ).status_code == 303  # fmt: skip
    assert _sign_in(TestClient(app), "plain", PASSWORD, pyotp.TOTP(old).at(now.now)
                    ).status_code == 303  # fmt: skip


def test_the_office_setting_makes_admins_enrol_totp_at_their_next_sign_in(
    app: FastAPI, now: Now
) -> None:
    _person(app, "boss", role="admin", password=ADMIN_PASSWORD)
    _person(app, "worker")
    _accounts(app).set_totp_requirement(True, by="管理者")
    boss, worker = TestClient(app), TestClient(app)

    signed = _sign_in(boss, "boss", ADMIN_PASSWORD)
    held = boss.get("/web/", follow_redirects=False)
    page = boss.get("/web/account/totp")
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)  # type: ignore[union-attr]
    enrolled = boss.post("/web/account/totp", data={
        "csrf": _csrf(boss, "/web/account"), "secret": secret,
        "code": pyotp.TOTP(secret).at(now.now)}, follow_redirects=False)  # fmt: skip

    assert signed.headers["location"] == "/web/account/totp"
    assert held.headers["location"] == "/web/account/totp"
    assert "<svg" in page.text and "otpauth" not in page.text.split("<svg")[0][-200:]
    assert (
        enrolled.status_code == 303 and boss.get("/web/", follow_redirects=False).status_code == 200
    )
    assert _sign_in(worker, "worker", PASSWORD).headers["location"] == "/web/"  # staff: optional


def test_an_enrolled_secret_is_not_replaced_without_removing_it_first(
    app: FastAPI, now: Now
) -> None:
    account = _person(app, "enrolled")
    secret = pyotp.random_base32()
    _accounts(app).enrol_totp(account.id, secret, pyotp.TOTP(secret).at(now.now))
    now.pass_(timedelta(seconds=30))
    client = TestClient(app)
    _sign_in(client, "enrolled", PASSWORD, pyotp.TOTP(secret).at(now.now))
    other = pyotp.random_base32()
    now.pass_(timedelta(seconds=30))

    shown = client.get("/web/account/totp")
    posted = client.post("/web/account/totp", data={
        "csrf": _csrf(client, "/web/account"), "secret": other,
        "code": pyotp.TOTP(other).at(now.now)})  # fmt: skip

    assert shown.status_code == 403 and posted.status_code == 403
    kept = _accounts(app).require(account.id)
    assert _accounts(app).opened_totp_secret(kept) == secret


def test_a_session_open_when_totp_becomes_required_runs_on_until_the_next_sign_in(
    app: FastAPI, now: Now
) -> None:
    _person(app, "auditor1", role="auditor", password=ADMIN_PASSWORD)
    open_before = TestClient(app)
    _sign_in(open_before, "auditor1", ADMIN_PASSWORD)
    now.pass_(timedelta(minutes=1))
    _accounts(app).set_totp_requirement(True, by="管理者")

    still = open_before.get("/web/", follow_redirects=False)
    next_time = _sign_in(TestClient(app), "auditor1", ADMIN_PASSWORD)

    assert still.status_code == 200
    assert next_time.headers["location"] == "/web/account/totp"


# -- sessions ------------------------------------------------------------------------------


def test_disabling_an_account_ends_its_open_session_on_the_next_request(app: FastAPI) -> None:
    account = _person(app)
    client = TestClient(app)
    _sign_in(client, "tanaka", PASSWORD)
    inside = client.get("/web/", follow_redirects=False).status_code

    _accounts(app).disable(account.id, by="管理者", reason="退職")

    assert inside == 200
    assert client.get("/web/", follow_redirects=False).headers["location"] == "/web/login"


def test_sign_out_everywhere_ends_every_session_of_the_account(app: FastAPI) -> None:
    _person(app)
    phone, desk = TestClient(app), TestClient(app)
    _sign_in(phone, "tanaka", PASSWORD)
    _sign_in(desk, "tanaka", PASSWORD)

    ended = desk.post("/web/account/sign-out-everywhere",
                      data={"csrf": _csrf(desk, "/web/account")},
                      follow_redirects=False)  # fmt: skip

    assert ended.headers["location"] == "/web/login"
    assert phone.get("/web/", follow_redirects=False).headers["location"] == "/web/login"
    assert _sign_in(TestClient(app), "tanaka", PASSWORD).status_code == 303  # not locked


def test_a_session_ends_after_the_idle_timeout_but_not_while_used(app: FastAPI, now: Now) -> None:
    _person(app)
    client = TestClient(app)
    _sign_in(client, "tanaka", PASSWORD)
    for _ in range(6):  # an hour of work, a request every ten minutes
        now.pass_(timedelta(minutes=10))
        assert client.get("/web/", follow_redirects=False).status_code == 200

    now.pass_(IDLE_TIMEOUT + TOUCH_EVERY)

    assert client.get("/web/", follow_redirects=False).headers["location"] == "/web/login"


# -- bearer tokens, on the page and the command line ---------------------------------------


def test_an_account_makes_a_token_for_itself_that_stops_when_the_account_is_disabled(
    app: FastAPI,
) -> None:
    account = _person(app)
    client = TestClient(app)
    _sign_in(client, "tanaka", PASSWORD)
    csrf, once = _once(client, "/web/account")

    made = client.post("/web/account/tokens", data={"csrf": csrf, "once": once, "days": "7"})
    token = re.search(r'<code class="secret">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    again = client.post("/web/account/tokens", data={"csrf": csrf, "once": once, "days": "7"})
    api = {"Authorization": f"Bearer {token}"}
    before = client.get("/cases", headers=api).status_code
    _accounts(app).disable(account.id, by="管理者", reason="退職")

    assert made.status_code == 200 and before == 200
    assert token not in again.text and "一度だけ" in again.text  # the form sent twice
    assert len([t for t in app.state.tokens.list() if t.account_id == str(account.id)]) == 1
    assert TestClient(app).get("/cases", headers=api).status_code == 401


def test_expired_and_revoked_tokens_say_so_on_the_sign_in_page(app: FastAPI, now: Now) -> None:
    tokens = app.state.tokens
    expiring = tokens.create("staff", "期限 試験", OFFICE, timedelta(hours=1))
    revoked = tokens.create("staff", "取消 試験", OFFICE)
    (info,) = [t for t in tokens.list() if t.name == "取消 試験"]
    tokens.revoke(info.id, "端末紛失")
    now.pass_(timedelta(hours=1))

    expired = TestClient(app).post("/web/login", data={"token": expiring})
    gone = TestClient(app).post("/web/login", data={"token": revoked})

    assert expired.status_code == 401 and "期限切れ" in expired.text
    assert gone.status_code == 401 and "取り消されています" in gone.text


def test_revoking_twice_says_already_revoked_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    main(["token", "create", "--role", "auditor", "--name", "監査 二度", "--database", url])
    capsys.readouterr()
    main(["token", "list", "--database", url])
    token_id = capsys.readouterr().out.splitlines()[1].split("\t")[0]

    first = main(["token", "revoke", token_id, "--reason", "退職", "--database", url])
    first_err = capsys.readouterr().err
    second = main(["token", "revoke", token_id, "--database", url])
    second_err = capsys.readouterr().err
    main(["token", "list", "--database", url])
    listed = capsys.readouterr().out

    assert first == 0 and "取り消しました" in first_err
    assert second == 0 and "すでに取り消されています" in second_err
    assert "取り消しました" not in second_err
    assert re.search(r"\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00\t", listed)  # JST, offset shown


def test_account_commands_create_list_disable_reset_and_change_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    created = main(["account", "create", "First.Admin", "--name", "最初の管理者",
                    "--role", "admin", "--database", url])  # fmt: skip
    code = capsys.readouterr().out.strip()
    duplicate = main(["account", "create", "first.admin", "--name", "別人", "--role", "admin",
                      "--database", url])  # fmt: skip
    dup_err = capsys.readouterr().err
    main(["account", "role", "first.admin", "--role", "staff", "--office", OFFICE,
          "--database", url])  # fmt: skip
    main(["account", "disable", "first.admin", "--reason", "試験", "--database", url])
    capsys.readouterr()
    main(["account", "list", "--database", url])
    listed = capsys.readouterr().out
    main(["account", "reset", "first.admin", "--database", url])
    new_code = capsys.readouterr().out.strip()

    assert created == 0 and re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    assert duplicate == 2 and "すでに使われています" in dup_err
    assert "first.admin\t最初の管理者\tstaff\t" + OFFICE + "\t停止中" in listed
    assert new_code != code and re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", new_code)


def test_person_erase_refuses_without_a_terminal_unless_yes_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'erase.db'}"
    file_app = create_app(Settings(database_url=url))
    from tests.factories import case_opened_payload

    case_id = file_app.state.cases.open_case(case_opened_payload(), recorded_by="担当").id
    file_app.state.cases.close()
    argv = ["person", "erase", "--case", str(case_id), "--reason", "削除請求", "--database", url]

    refused = main(argv)  # pytest's stdin is not a terminal
    err = capsys.readouterr().err
    erased = main([*argv, "--yes"])

    assert refused == 2 and "--yes" in err
    assert erased == 0


# -- the administrator's pages ---------------------------------------------------------------


def test_only_administrators_open_the_administrators_pages(app: FastAPI) -> None:
    _person(app, "staffer")
    client = TestClient(app)
    _sign_in(client, "staffer", PASSWORD)

    for path in ("/web/admin/accounts", "/web/admin/tokens"):
        page = client.get(path)
        assert page.status_code == 403 and "管理者だけ" in page.text


def test_an_administrator_adds_a_worker_and_the_code_is_shown_once(app: FastAPI) -> None:
    _person(app, "boss", role="admin", password=ADMIN_PASSWORD)
    admin = TestClient(app)
    _sign_in(admin, "boss", ADMIN_PASSWORD)
    csrf, once = _once(admin, "/web/admin/accounts")
    form = {"csrf": csrf, "once": once, "login_id": "newcomer", "display_name": "新人 太郎",
            "role": "staff", "office_id": OFFICE}  # fmt: skip

    added = admin.post("/web/admin/accounts", data=form)
    code = re.search(r'class="secret setup-code">([^<]+)<', added.text).group(1)  # type: ignore[union-attr]
    resent = admin.post("/web/admin/accounts", data=form)
    bad = admin.post("/web/admin/accounts", data={**form, "once": "x" * 20, "login_id": "n2",
                                                  "office_id": "12"})  # fmt: skip

    assert added.status_code == 200 and code not in resent.text and "作成済み" in resent.text
    assert bad.status_code == 422 and "10桁" in bad.text
    assert _sign_in(TestClient(app), "newcomer", code).headers["location"] == (
        "/web/account/password"
    )
    listed = admin.get("/web/admin/accounts").text
    assert "新人 太郎" in listed and code not in listed


def test_an_administrator_disables_resets_and_reads_an_accounts_history(app: FastAPI) -> None:
    _person(app, "boss", role="admin", password=ADMIN_PASSWORD)
    worker = _person(app, "worker")
    admin = TestClient(app)
    _sign_in(admin, "boss", ADMIN_PASSWORD)
    _sign_in(TestClient(app), "worker", PASSWORD)
    page = f"/web/admin/accounts/{worker.id}"
    csrf = _csrf(admin, page)

    disabled = admin.post(f"{page}/disable", data={"csrf": csrf, "reason": "退職"},
                          follow_redirects=False)  # fmt: skip
    history = admin.get(page).text
    moved = admin.post(f"{page}/role", data={"csrf": csrf, "role": "auditor", "office_id": ""},
                       follow_redirects=False)  # fmt: skip

    assert disabled.status_code == 303 and "停止中" in admin.get(page).text
    assert "ログイン" in history and "停止" in history and "退職" in history
    assert moved.status_code == 303 and _accounts(app).get(worker.id).role == "auditor"  # type: ignore[union-attr]


def test_an_administrator_revokes_a_token_with_a_reason(app: FastAPI) -> None:
    _person(app, "boss", role="admin", password=ADMIN_PASSWORD)
    token = app.state.tokens.create("staff", "取消 対象", OFFICE)
    (info,) = [t for t in app.state.tokens.list() if t.name == "取消 対象"]
    admin = TestClient(app)
    _sign_in(admin, "boss", ADMIN_PASSWORD)
    csrf = _csrf(admin, "/web/admin/tokens")

    no_reason = admin.post(f"/web/admin/tokens/{info.id}/revoke", data={"csrf": csrf})
    revoked = admin.post(f"/web/admin/tokens/{info.id}/revoke",
                         data={"csrf": csrf, "reason": "紛失"}, follow_redirects=False)  # fmt: skip

    assert no_reason.status_code == 422
    assert revoked.status_code == 303
    assert (
        TestClient(app).get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert "+09:00" in admin.get("/web/admin/tokens").text


# -- no secret in a log --------------------------------------------------------------------


def test_no_password_code_hash_or_totp_secret_reaches_a_log(
    app: FastAPI, now: Now, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, code = _accounts(app).create("logged", "記録 試験", "admin", None, by="試験")
    client = TestClient(app)
    _sign_in(client, "logged", code)
    csrf = _csrf(client, "/web/account/password")
    client.post("/web/account/password", data={"csrf": csrf, "new": ADMIN_PASSWORD,
                                               "again": ADMIN_PASSWORD})  # fmt: skip
    page = client.get("/web/account/totp")
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/web/account/totp", data={"csrf": csrf, "secret": secret,
                                           "code": pyotp.TOTP(secret).at(now.now)})  # fmt: skip
    _sign_in(TestClient(app), "logged", ADMIN_PASSWORD + "wrong")
    main_log = caplog.text
    stored_hash = str(_accounts(app).get(account_id("logged")).password_hash)  # type: ignore[union-attr]

    assert "HTTP Request" in main_log  # the requests were logged …
    for secret_text in (code, ADMIN_PASSWORD, secret, stored_hash):  # … and no secret in them
        assert secret_text not in main_log


def test_an_accounts_page_names_the_cases_it_read_in_words(app: FastAPI) -> None:
    from tests.factories import case_opened_payload

    _person(app, "boss", role="admin", password=ADMIN_PASSWORD)
    _person(app, "reader")
    case_id = app.state.cases.open_case(case_opened_payload(), recorded_by="担当").id
    worker = TestClient(app)
    _sign_in(worker, "reader", PASSWORD)
    assert worker.get(f"/web/cases/{case_id}").status_code == 200
    admin = TestClient(app)
    _sign_in(admin, "boss", ADMIN_PASSWORD)
    reader = next(a for a in _accounts(app).list() if a.login_id == "reader")

    page = admin.get(f"/web/admin/accounts/{reader.id}").text

    assert str(case_id)[:8] in page and "ケースの画面" in page and "web:case" not in page
    assert "本人" in page  # a sign-in's actor is the account holder
