"""People sign in as themselves, in real Chromium (issue 21).

- An administrator signs in with login id and password, adds a worker and reads the
  one-time set-up code; the worker signs in with it, chooses a password and records a
  contact; the administrator disables the account and the worker's open page ends on
  its next request.
- A stranger guessing a colleague's password from another address is slowed and then
  locked out there, while the colleague signs in at once from their own address.
- With the office's "require TOTP" on, an auditor enrols TOTP (the key shown on the
  page) and then signs in with login id, password and code.

The server is this module's own (the demo office, as ``site``), so the sign-in clock can
be moved forward instead of waiting; addresses are told apart by ``X-Forwarded-For``
from 127.0.0.1, which uvicorn trusts by default (a reverse proxy's header).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from api.app import create_app
from api.demo.load import DemoSummary, load_demo
from api.web.session import LOCK_AFTER
from domain.history import read_history, tokyo_date, utc_now
from domain.store.application import CaseLog, persistence_env
from tests.browser.conftest import _free_port

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
WORKER_PASSWORD = "しごとはじめの ながい あいことば"
SHOTS = Path("/tmp")


class ShiftedClock:
    """The real time plus an offset the test moves forward (waits without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset


@dataclass
class Server:
    url: str
    demo: DemoSummary
    cases: CaseLog
    clock: ShiftedClock


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    db = tmp_path_factory.mktemp("accounts") / "teichaku.db"
    cases = CaseLog(env=persistence_env(f"sqlite:///{db}"))
    demo = load_demo(cases)
    app = create_app(cases=cases)
    clock = ShiftedClock()
    app.state.web_sign_in.clock = clock
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            forwarded_allow_ips="127.0.0.1")  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the test server did not start"
    yield Server(f"http://127.0.0.1:{port}", demo, cases, clock)
    running.should_exit = True
    thread.join(timeout=10)


def _context(browser: Any, device: dict[str, Any], address: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return browser.new_context(locale="ja-JP", extra_http_headers=headers, **device)


def _sign_in(page: Any, url: str, login: str, password: str, code: str = "") -> None:
    page.goto(f"{url}/web/login")
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(password)
    if code:
        page.get_by_label("確認コード").fill(code)
    page.get_by_role("button", name="ログイン").click()


def _fits(page: Any, width: int) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_admin_adds_a_worker_who_records_a_contact_and_is_disabled_mid_session(
    server: Server, browser: Any
) -> None:
    admin_login, admin_password = server.demo.accounts["admin"]
    admin = _context(browser, DESK).new_page()
    _sign_in(admin, server.url, admin_login, admin_password)
    admin.get_by_role("heading", name="事業所のケース").wait_for()

    # The administrator adds a worker and reads the set-up code once.
    admin.get_by_role("link", name="管理", exact=True).click()
    admin.get_by_role("heading", name="アカウント", exact=True).wait_for()
    admin.get_by_label("ログインID").fill("Shinjin.Hanako")
    admin.get_by_label("表示名").fill("新人 花子")
    admin.get_by_label("役割").select_option("staff")
    admin.get_by_label("事業所番号").fill(server.demo.office_id)
    admin.get_by_role("button", name="追加して設定コードを発行する").click()
    code = admin.locator("code.setup-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    admin.screenshot(path=str(SHOTS / "accounts-admin-added-1280.png"), full_page=True)

    # The worker (on a phone) signs in with the code and must choose a password first.
    worker = _context(browser, PHONE, "192.0.2.44").new_page()
    _sign_in(worker, server.url, "shinjin.hanako", code)
    worker.get_by_role("heading", name="パスワードを決める").wait_for()
    worker.get_by_label("新しいパスワード", exact=True).fill("password")
    worker.get_by_label("新しいパスワード(確認のためもう一度)").fill("password")
    worker.get_by_role("button", name="パスワードを保存する").click()
    assert "15文字以上" in worker.locator("#new-error").inner_text()
    assert _fits(worker, 390)
    worker.screenshot(path=str(SHOTS / "accounts-password-390.png"), full_page=True)
    worker.get_by_label("新しいパスワード", exact=True).fill(WORKER_PASSWORD)
    worker.get_by_label("新しいパスワード(確認のためもう一度)").fill(WORKER_PASSWORD)
    worker.get_by_role("button", name="パスワードを保存する").click()
    worker.get_by_role("heading", name="事業所のケース").wait_for()

    # … and records a contact, under their own name.
    case_id = server.demo.cases["in_support_year3"]
    opened = read_history(server.cases.records(case_id)).opened()
    assert opened is not None
    worker.get_by_role("link", name=str(opened.payload.person.name)).first.click()  # type: ignore[attr-defined]
    worker.get_by_role("heading", name="月ごとの支援と請求").wait_for()
    worker.get_by_label("支援日(必須)").fill(tokyo_date(utc_now()).isoformat())
    worker.get_by_label("相手(必須)").select_option("family")
    worker.get_by_label("方法(必須)").select_option("phone")
    worker.get_by_role("button", name="記録する", exact=True).click()
    worker.locator("#recorded").wait_for()
    assert server.cases.records(case_id)[-1].recorded_by == "新人 花子"

    # The administrator disables the account: the worker's next request ends the session.
    admin.get_by_role("link", name="新人 花子").click()
    admin.get_by_label("停止の理由").fill("退職")
    admin.get_by_role("button", name="停止する").click()
    admin.get_by_text("停止しました").wait_for()
    history = admin.locator("#history").inner_text()
    assert "停止" in history and "ログイン" in history and "パスワード設定" in history
    admin.screenshot(path=str(SHOTS / "accounts-admin-account-1280.png"), full_page=True)

    worker.reload()
    worker.get_by_role("heading", name="ログイン").wait_for()
    assert worker.url.split("#")[0].endswith("/web/login")
    _sign_in(worker, server.url, "shinjin.hanako", WORKER_PASSWORD)
    assert "停止中" in worker.get_by_role("alert").inner_text()


def test_a_stranger_guessing_cannot_lock_the_colleague_out(server: Server, browser: Any) -> None:
    login, password = server.demo.accounts["other_staff"]
    stranger = _context(browser, DESK, "203.0.113.9").new_page()
    checked = 0
    answers: list[str] = []
    while checked < LOCK_AFTER:  # wrong passwords, each after the wait the page asks for
        _sign_in(stranger, server.url, login, f"guessing-{checked:03d}-{len(answers)}")
        said = stranger.get_by_role("alert").inner_text()
        answers.append(said)
        waited = re.search(r"あと(\d+)秒", said)
        if waited:
            server.clock.offset += timedelta(seconds=int(waited.group(1)))
        else:
            checked += 1
    assert "違います" in answers[0] and any("しばらく待ってから" in a for a in answers)

    _sign_in(stranger, server.url, login, password)  # locked there: even the right password
    assert "しばらく待ってから" in stranger.get_by_role("alert").inner_text()
    stranger.screenshot(path=str(SHOTS / "accounts-login-slowed-1280.png"), full_page=True)

    colleague = _context(browser, PHONE, "192.0.2.10").new_page()
    _sign_in(colleague, server.url, login, password)
    colleague.get_by_role("heading", name="事業所のケース").wait_for()
    assert _fits(colleague, 390)


def test_an_auditor_enrols_totp_when_the_office_requires_it_then_signs_in_with_a_code(
    server: Server, browser: Any
) -> None:
    admin_login, admin_password = server.demo.accounts["admin"]
    auditor_login, auditor_password = server.demo.accounts["auditor"]
    admin = _context(browser, DESK, "192.0.2.1").new_page()
    _sign_in(admin, server.url, admin_login, admin_password)
    admin.goto(f"{server.url}/web/admin/accounts")
    admin.get_by_label("管理者と監査担当に2段階認証を必須にする").check()
    admin.get_by_role("button", name="保存する").click()
    admin.get_by_text("保存しました").wait_for()

    for width, device in ((390, PHONE), (1280, DESK)):  # the phone only looks
        auditor = _context(browser, device, "192.0.2.2").new_page()
        _sign_in(auditor, server.url, auditor_login, auditor_password)
        auditor.get_by_role("heading", name="2段階認証を設定する").wait_for()
        assert auditor.locator(".qr svg").count() == 1 and _fits(auditor, width)
        auditor.screenshot(path=str(SHOTS / f"accounts-totp-{width}.png"), full_page=True)
        if width == 390:
            continue
        key = auditor.locator("code.secret").inner_text().replace(" ", "")
        now = server.clock()
        auditor.get_by_label("確認コード(6桁)").fill(pyotp.TOTP(key).at(now))
        auditor.get_by_role("button", name="設定する").click()
        auditor.get_by_role("heading", name="アカウント").wait_for()
        auditor.get_by_role("button", name="ログアウト", exact=True).click()

        server.clock.offset += timedelta(seconds=30)  # the next code
        _sign_in(auditor, server.url, auditor_login, auditor_password,
                 pyotp.TOTP(key).at(server.clock()))  # fmt: skip
        auditor.get_by_role("heading", name="事業所のケース").wait_for()
    admin.get_by_label("管理者と監査担当に2段階認証を必須にする").uncheck()
    admin.get_by_role("button", name="保存する").click()


@pytest.mark.parametrize(("width", "device"), [(1280, DESK), (390, PHONE)])
def test_the_account_pages_fit_and_are_shown(
    server: Server, browser: Any, width: int, device: dict[str, Any]
) -> None:
    login, password = server.demo.accounts["admin"]
    page = _context(browser, device, f"192.0.2.{width % 200}").new_page()
    page.goto(f"{server.url}/web/login")
    page.screenshot(path=str(SHOTS / f"accounts-login-{width}.png"), full_page=True)
    _sign_in(page, server.url, login, password)
    page.get_by_role("heading", name="事業所のケース").wait_for()
    too_wide = {}
    for path in ("/web/account", "/web/account/password", "/web/admin/accounts",
                 "/web/admin/tokens"):  # fmt: skip
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 200, path
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(SHOTS / f"accounts-{name}-{width}.png"), full_page=True)
        if not _fits(page, width):
            too_wide[path] = page.evaluate("document.documentElement.scrollWidth")
    assert too_wide == {}
