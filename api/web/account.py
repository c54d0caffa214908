"""My account (``/web/account``): each account holder's own page (issue 21).

Choose or change the password (the first time right after signing in with the set-up
code), enrol or remove TOTP (the secret and a QR code drawn as inline SVG by ``segno``,
no network), create a bearer token for oneself with an expiry (shown once), and sign
out everywhere. Every POST passes the same-origin check (:mod:`api.web.origin`), carries
the session's form token, and the ones that must not happen twice (a token, "sign out
everywhere") carry a one-time key (:func:`done_once`).
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import segno
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.accounts import AccountStore, PasswordRefused, new_totp_secret, totp_uri
from api.http.auth import Forbidden, Principal
from api.http.idempotency import IdempotencyRecord, record_id, request_digest
from api.web.once import FIELD, key_of, new_key
from api.web.pages import COOKIE, SETUP_PAGES, SignInRequired, _csrf, _page, session_state
from api.web.session import SessionState
from domain.accounts import MIN_PASSWORD_LENGTH, ROLE_JA, Account
from domain.history import TOKYO

router = APIRouter(include_in_schema=False)
_ENROLLED_JA = "2段階認証は設定済みです。設定し直すときは、アカウントの画面で一度解除してください"
#: The lifetimes a token made on the page may have (days).
TOKEN_DAYS = (1, 7, 30, 90)


def jst(instant: Any) -> str:
    """An instant as Japan time, to the minute, with the offset shown."""
    if instant is None:
        return "-"
    return str(instant.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M (+09:00)"))


def check_form_token(request: Request, form: Mapping[str, Any]) -> None:
    if not hmac.compare_digest(str(form.get("csrf", "")), _csrf(request)):
        raise Forbidden("フォームの有効期限が切れました。ページを開き直してください")


def done_once(
    request: Request, principal: Principal, form: Mapping[str, Any], target: str,
    action: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """Run ``action`` once per form key (a resent form gets the first answer, replayed
    True); the key is stored as an ``IdempotencyRecord`` of the principal."""
    sent = str(form.get(FIELD, ""))
    if key_of({FIELD: sent}) != sent:  # no well-formed key: a script's post
        return action(), False
    rid = record_id(principal, f"web-account:{target}:{sent}")
    cases = request.app.state.cases
    try:
        prior: Any = cases.repository.get(rid)
    except AggregateNotFoundError:
        prior = None
    if prior is not None:
        return dict(prior.answer), True
    answer = action()
    content = {k: str(v) for k, v in form.items() if k not in ("csrf", FIELD)}
    record = IdempotencyRecord._create(
        IdempotencyRecord.Stored, id=rid, request_sha256=request_digest(target, content),
        answer={k: v for k, v in answer.items() if k != "secret"},  # never a secret stored
    )  # fmt: skip
    with contextlib.suppress(IntegrityError):  # the same form twice at the same instant
        cases.save(record)
    return answer, False


def _own(request: Request, render: Callable[[SessionState, Account], Response]) -> Response:
    """Run ``render`` for the signed-in account (set-up restrictions allowed here)."""

    try:
        state = session_state(request)
    except SignInRequired:
        return RedirectResponse("/web/login", status_code=303)
    if state.account is None:
        message = (
            "アクセストークンでログインしています。アカウントの操作は、"
            "ログインIDとパスワードでログインしてから行ってください。"
        )
        return _page(request, "error.html", 403, title="アカウントの画面", message=message,
                     principal=state.principal)  # fmt: skip
    return _guarded_state(request, state, render)


def _guarded_state(
    request: Request, state: SessionState, render: Callable[[SessionState, Account], Response]
) -> Response:
    account = state.account
    assert account is not None
    return _guarded_principal(request, lambda _: render(state, account), state)


def _guarded_principal(request: Request, render: Any, state: SessionState) -> Response:
    try:
        return render(state.principal)  # type: ignore[no-any-return]
    except Forbidden as exc:
        return _page(request, "error.html", 403, title="権限がありません", message=str(exc),
                     principal=state.principal)  # fmt: skip


def _store(request: Request) -> AccountStore:
    store: AccountStore = request.app.state.accounts
    return store


@router.get("/web/account")
def my_account(request: Request) -> Response:
    def render(state: SessionState, account: Account) -> Response:
        if state.restriction:
            return RedirectResponse(_setup_page(state.restriction), status_code=303)
        return _account_page(request, state, account)

    return _own(request, render)


def _account_page(
    request: Request, state: SessionState, account: Account, status: int = 200,
    token: str | None = None, token_days: int | None = None, notice: str | None = None,
) -> Response:  # fmt: skip
    tokens = [t for t in request.app.state.tokens.list() if t.account_id == str(account.id)]
    now = request.app.state.tokens.clock()
    return _page(
        request, "account.html", status, principal=state.principal, account=account,
        role_ja=ROLE_JA, jst=jst, tokens=tokens, now=now, token=token, token_days=token_days,
        days=TOKEN_DAYS, csrf=_csrf(request), once=new_key(), notice=notice,
        totp_required=_store(request).totp_required(account),
    )  # fmt: skip


def _setup_page(restriction: str) -> str:
    return SETUP_PAGES[restriction]


@router.get("/web/account/password")
def password_form(request: Request) -> Response:
    def render(state: SessionState, account: Account) -> Response:
        return _password_page(request, state, account, {})

    return _own(request, render)


def _password_page(
    request: Request, state: SessionState, account: Account, errors: dict[str, list[str]],
    status: int = 200,
) -> Response:  # fmt: skip
    return _page(
        request, "account_password.html", status, principal=state.principal, account=account,
        first=state.restriction == "password", errors=errors, csrf=_csrf(request),
        min_length=MIN_PASSWORD_LENGTH,
    )  # fmt: skip


@router.post("/web/account/password")
async def set_password(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(state: SessionState, account: Account) -> Response:
        check_form_token(request, form)
        store = _store(request)
        errors: dict[str, list[str]] = {}
        first = state.restriction == "password"
        if (
            not first
            and store.check_password(account.login_id, form.get("current", "")).outcome != "ok"
        ):
            errors["current"] = ["いまのパスワードが違います"]
        new, again = form.get("new", ""), form.get("again", "")
        if new != again:
            errors["again"] = ["確認のため、同じパスワードをもう一度入力してください"]
        if not errors:
            try:
                store.set_password(account.id, new, by=account.display_name)
            except PasswordRefused as exc:
                errors["new"] = exc.problems
        if errors:
            return _password_page(request, state, account, errors, 422)
        if first and store.totp_required(account) and account.totp_secret is None:
            return RedirectResponse("/web/account/totp", status_code=303)
        return RedirectResponse(
            "/web/account?saved=password" if not first else "/web/", status_code=303
        )

    return await run_in_threadpool(_own, request, write)


@router.get("/web/account/totp")
def totp_form(request: Request) -> Response:
    def render(state: SessionState, account: Account) -> Response:
        if state.restriction == "password":
            return RedirectResponse("/web/account/password", status_code=303)
        if account.totp_secret is not None:
            raise Forbidden(_ENROLLED_JA)
        return _totp_page(request, state, account, new_totp_secret(), None)

    return _own(request, render)


def _totp_page(
    request: Request, state: SessionState, account: Account, secret: str, error: str | None,
    status: int = 200,
) -> Response:  # fmt: skip
    uri = totp_uri(account, secret)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title="2段階認証の登録用QRコード")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return _page(
        request, "account_totp.html", status, principal=state.principal, account=account,
        secret=secret, grouped=grouped, qr=qr, error=error, csrf=_csrf(request),
        required=state.restriction == "totp",
    )  # fmt: skip


@router.post("/web/account/totp")
async def enrol_totp(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(state: SessionState, account: Account) -> Response:
        check_form_token(request, form)
        if account.totp_secret is not None:  # replacing it would need no current code
            raise Forbidden(_ENROLLED_JA)
        secret = "".join(form.get("secret", "").split()).upper()
        if len(secret) < 16 or not secret.isalnum():
            secret = new_totp_secret()
        if not _store(request).enrol_totp(account.id, secret, form.get("code", "")):
            message = "確認コードが違います。認証アプリに表示されている6桁を入力してください"
            return _totp_page(request, state, account, secret, message, 422)
        return RedirectResponse("/web/account?saved=totp", status_code=303)

    return await run_in_threadpool(_own, request, write)


@router.post("/web/account/totp/remove")
async def remove_totp(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(state: SessionState, account: Account) -> Response:
        check_form_token(request, form)
        store = _store(request)
        if store.totp_required(account):
            raise Forbidden("この事業所では管理者と監査担当の2段階認証が必須のため、解除できません")
        if store.totp_step(account, form.get("code", "")) is None:
            return _account_page(request, state, account, 422,
                                 notice="確認コードが違うため、解除していません")  # fmt: skip
        store.remove_totp(account.id, by=account.display_name)
        return RedirectResponse("/web/account?saved=totp-removed", status_code=303)

    return await run_in_threadpool(_own, request, write)


@router.post("/web/account/tokens")
async def create_token(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(state: SessionState, account: Account) -> Response:
        check_form_token(request, form)
        if state.restriction:
            raise Forbidden("先にパスワード(と2段階認証)の設定を済ませてください")
        try:
            days = int(form.get("days", ""))
        except ValueError:
            days = 0
        if days not in TOKEN_DAYS:
            return _account_page(request, state, account, 422,
                                 notice="有効期間を選んでください")  # fmt: skip

        def issue() -> dict[str, Any]:
            token = request.app.state.tokens.create(
                account.role, account.display_name, account.office_id,
                timedelta(days=days), account_id=account.id,
            )  # fmt: skip
            return {"secret": token}

        answer, replayed = done_once(request, state.principal, form, "/web/account/tokens", issue)
        if replayed:
            return _account_page(request, state, account, notice=(
                "このフォームはすでに送信され、トークンを発行済みです(トークンは一度だけ表示されます)。"
                "必要ならもう一度発行してください"))  # fmt: skip
        return _account_page(request, state, account, token=answer["secret"], token_days=days)

    return await run_in_threadpool(_own, request, write)


@router.post("/web/account/sign-out-everywhere")
async def sign_out_everywhere(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(state: SessionState, account: Account) -> Response:
        check_form_token(request, form)
        _store(request).end_sessions(account.id, by=account.display_name)
        response = RedirectResponse("/web/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    return await run_in_threadpool(_own, request, write)
