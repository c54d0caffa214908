"""Signing in with a login id and a password (and a TOTP code where it is on), issue 21.

The order of the checks is what keeps a stranger from learning or breaking anything:

1. **Wait?** (:class:`api.web.session.SignInThrottle`): this (account, source) pair or
   this source failed too often → 「しばらく待ってから」 with the seconds left, before any
   password is checked. The pair is keyed by the id the login id *names*, whether or
   not an account has it, so the answer is the same for an unknown id. A locked pair is
   let in only by the right password *and* the right TOTP code (a correct second factor
   lifts the lock); anything else while locked is the same wait answer, not counted.
2. **Password** (:meth:`api.http.accounts.AccountStore.check_password`): an unknown id is
   checked against a dummy hash, so it costs the same time and gets the same
   「ログインIDかパスワードが違います」 as a wrong password. 停止中 and 期限切れ are said
   only to someone who typed the right password or set-up code.
3. **TOTP**, when the account has it: a code works once (its time step is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from api.web.session import WebSignIn, wait_ja
from domain.accounts import Account, account_id

WRONG_JA = "ログインIDかパスワードが違います。"
DISABLED_JA = "このアカウントは停止中です。管理者に連絡してください。"
EXPIRED_JA = (
    "設定コードの有効期限が切れています(期限切れ)。管理者に新しい設定コードを依頼してください。"
)
CODE_NEEDED_JA = "2段階認証の確認コード(6桁)も入力してください。"
CODE_WRONG_JA = (
    "確認コードが違うか、すでに使われています。認証アプリの新しいコードを入力してください。"
)
#: Why a bearer token did not sign in (api.http.auth.TokenStore.status).
TOKEN_REFUSED_JA = {
    "unknown": "トークンが正しくありません。",
    "expired": "このトークンは有効期限が切れています(期限切れ)。新しいトークンを発行してください。",
    "revoked": "このトークンは取り消されています。新しいトークンを発行してください。",
    "disabled": "このトークンのアカウントは停止中です。管理者に連絡してください。",
    "valid": "ログインできませんでした。もう一度お試しください。",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A session secret and the page to go to, or the status and message to show."""

    secret: str | None
    status: int = 303
    message: str = ""
    next_page: str = "/web/"


def password_sign_in(
    sign_in: WebSignIn, login_id: str, password: str, code: str, source: str
) -> Outcome:
    """Check in the order of the module's docstring; start a session when all pass."""
    accounts, throttle = sign_in.accounts, sign_in.throttle
    key = account_id(login_id)  # an id even when no account has it: the same answers
    existing = accounts.get(key)
    wait = throttle.wait(key, source, existing.lock_lifted_at if existing else None)
    if wait is not None and not (wait.locked and code.strip()):
        return Outcome(None, 429, wait_ja(wait.seconds))
    checked = accounts.check_password(login_id, password)
    account = checked.account
    if wait is not None:  # locked: only the right password with the right code gets in
        step = accounts.totp_step(account, code) if account and checked.outcome == "ok" else None
        if step is None:
            return Outcome(None, 429, wait_ja(wait.seconds))
        assert account is not None
        return _start(sign_in, account, "password+totp", step, source)
    if checked.outcome == "wrong" or account is None:
        sign_in.note_failure(key, source)
        return Outcome(None, 401, WRONG_JA)
    if checked.outcome == "disabled":
        return Outcome(None, 403, DISABLED_JA)
    if checked.outcome == "expired":
        return Outcome(None, 401, EXPIRED_JA)
    if checked.outcome == "setup":
        accounts.use_setup_code(account)
        throttle.succeeded(account.id, source)
        return Outcome(sign_in.start_account_session(account), next_page="/web/account/password")
    if account.totp_secret is not None:
        if not code.strip():
            return Outcome(None, 401, CODE_NEEDED_JA)
        step = accounts.totp_step(account, code)
        if step is None:
            sign_in.note_failure(key, source)
            return Outcome(None, 401, CODE_WRONG_JA)
        return _start(sign_in, account, "password+totp", step, source)
    return _start(sign_in, account, "password", None, source)


def _start(
    sign_in: WebSignIn, account: Account, method: str, step: int | None, source: str
) -> Outcome:
    sign_in.accounts.record_sign_in(account, method, step)
    sign_in.throttle.succeeded(account.id, source)
    secret = sign_in.start_account_session(account)
    needs_totp = account.totp_secret is None and sign_in.accounts.totp_required(account)
    return Outcome(secret, next_page="/web/account/totp" if needs_totp else "/web/")
