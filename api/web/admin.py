"""The administrator's pages (``/web/admin/...``, issue 21): accounts and tokens.

Only the admin role opens them; anyone else gets a 403 page in Japanese. Accounts:
the list (role, office, status, last sign-in in JST), add (the one-time set-up code is
shown once), disable / enable, reset (a new set-up code), change role and office, lift
a sign-in lock, end the account's sessions, and the account's own access history (its
events: sign-ins, sign-outs, changes; and the cases it read, from the cases' access
logs). The office setting "require TOTP for administrators and auditors". Tokens: the
list with JST times and status, revoke with a reason.

Every POST passes the same-origin check (:mod:`api.web.origin`) and the session's form
token; adding an account and resetting one carry a one-time key, so a form sent again
shows no second code (:func:`api.web.account.done_once`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.http.accounts import SETUP_CODE_LIFETIME, AccountExists, AccountStore
from api.http.auth import AlreadyRevoked, Forbidden, Principal, UnknownToken
from api.web.account import check_form_token, done_once, jst
from api.web.audit import endpoint_ja
from api.web.once import new_key
from api.web.pages import _csrf, _guarded, _page
from domain.accounts import ROLE_JA, ROLES, Account, AccountProblem
from domain.store.application import CaseLog

router = APIRouter(include_in_schema=False)
#: Reads shown on an account's history page (the newest).
READS_SHOWN = 200
EVENT_JA = {
    "Created": "作成",
    "PasswordSet": "パスワード設定",
    "SetupCodeIssued": "設定コード発行",
    "SetupCodeUsed": "設定コード使用",
    "RoleChanged": "役割・事業所の変更",
    "TotpEnrolled": "2段階認証の設定",
    "TotpRemoved": "2段階認証の解除",
    "Disabled": "停止",
    "Enabled": "停止の解除",
    "LockLifted": "ログイン制限の解除",
    "SignedIn": "ログイン",
    "SignedOut": "ログアウト",
    "SessionsEnded": "すべての端末からログアウト",
}
ACTIONS = ("role", "disable", "enable", "reset", "unlock", "end-sessions")


def _admin(request: Request, render: Callable[[Principal], Response]) -> Response:
    def checked(principal: Principal) -> Response:
        if principal.role != "admin":
            raise Forbidden("この画面は管理者だけが開けます")
        return render(principal)

    return _guarded(request, checked)


def _store(request: Request) -> AccountStore:
    store: AccountStore = request.app.state.accounts
    return store


@router.get("/web/admin/accounts")
def accounts_page(request: Request) -> Response:
    return _admin(request, lambda p: _accounts(request, p))


def _accounts(
    request: Request, principal: Principal, status: int = 200, *, code: str | None = None,
    created: Account | None = None, form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, notice: str | None = None,
) -> Response:  # fmt: skip
    store = _store(request)
    return _page(
        request, "admin_accounts.html", status, principal=principal, accounts=store.list(),
        role_ja=ROLE_JA, roles=ROLES, jst=jst, csrf=_csrf(request), once=new_key(),
        code=code, created=created, form=form or {}, errors=errors or {}, notice=notice,
        totp_required=store.settings().totp_required_for_admin_and_auditor,
        code_hours=int(SETUP_CODE_LIFETIME.total_seconds() // 3600),
    )  # fmt: skip


@router.post("/web/admin/accounts")
async def add_account(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        check_form_token(request, form)
        store = _store(request)
        shown = {k: form.get(k, "") for k in ("login_id", "display_name", "role", "office_id")}

        def create() -> dict[str, Any]:
            account, code = store.create(
                shown["login_id"], shown["display_name"], shown["role"],
                shown["office_id"].strip() or None, principal.name,
            )  # fmt: skip
            return {"account_id": str(account.id), "secret": code}

        try:
            answer, replayed = done_once(request, principal, form, "/web/admin/accounts", create)
        except AccountProblem as exc:
            return _accounts(request, principal, 422, form=shown, errors={exc.field: exc.message})
        except AccountExists as exc:
            return _accounts(request, principal, 422, form=shown, errors={"login_id": str(exc)})
        created = store.get(UUID(answer["account_id"]))
        if replayed:
            notice = (
                "このフォームはすでに送信され、アカウントは作成済みです。設定コードは一度だけ"
                "表示されます。控えていない場合は、そのアカウントの「再設定」で発行し直してください"
            )
            return _accounts(request, principal, notice=notice, created=created)
        return _accounts(request, principal, code=answer["secret"], created=created)

    return await run_in_threadpool(_admin, request, write)


@router.post("/web/admin/settings/totp")
async def totp_setting(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        check_form_token(request, form)
        _store(request).set_totp_requirement(form.get("required") == "on", principal.name)
        return RedirectResponse("/web/admin/accounts?saved=totp#settings-h", status_code=303)

    return await run_in_threadpool(_admin, request, write)


@router.get("/web/admin/accounts/{account_id}")
def account_page(request: Request, account_id: UUID) -> Response:
    return _admin(request, lambda p: _account(request, p, account_id))


def _account(
    request: Request, principal: Principal, account_id: UUID, status: int = 200, *,
    code: str | None = None, error: str | None = None, notice: str | None = None,
) -> Response:  # fmt: skip
    store = _store(request)
    account = store.get(account_id)
    if account is None:
        return _page(request, "error.html", 404, title="アカウントが見つかりません", message="",
                     principal=principal)  # fmt: skip
    history = [_entry(e) for e in store.history(account_id)]
    reads = reads_by(request.app.state.cases, account.display_name)
    return _page(
        request, "admin_account.html", status, principal=principal, account=account,
        role_ja=ROLE_JA, roles=ROLES, jst=jst, csrf=_csrf(request), once=new_key(),
        history=list(reversed(history)), reads=reads, code=code, error=error, notice=notice,
        code_hours=int(SETUP_CODE_LIFETIME.total_seconds() // 3600),
    )  # fmt: skip


def _entry(event: Any) -> dict[str, Any]:
    """One line of an account's history: when, what, by whom, details (no secret)."""
    kind = type(event).__name__
    details = ""
    if kind in ("RoleChanged", "Created"):
        details = f"{ROLE_JA.get(event.role, event.role)} / {event.office_id or '全事業所'}"
    elif kind == "SignedIn":
        details = {"password": "パスワード", "password+totp": "パスワード+確認コード",
                   "setup-code": "設定コード"}.get(event.method, event.method)  # fmt: skip
    elif kind == "Disabled":
        details = event.reason
    by = getattr(event, "by", None) or getattr(event, "created_by", None) or ""
    if not by and kind == "SignedIn":
        by = "本人"  # a sign-in is the account holder's own act
    return {"at": event.timestamp, "what": EVENT_JA.get(kind, kind), "by": by, "details": details}


def reads_by(cases: CaseLog, name: str) -> list[dict[str, Any]]:
    """The newest case reads noted under ``name``, newest first (lists and dashboards are
    not included): one indexed query of the access table (decision 0052)."""
    return [
        {
            **entry,
            "case_id": UUID(entry["case_id"]),
            "at_dt": datetime.fromisoformat(entry["at"]),
            "endpoint_ja": endpoint_ja(str(entry.get("endpoint", ""))),
        }
        for entry in cases.access.reads_by(name, READS_SHOWN)
    ]


@router.post("/web/admin/accounts/{account_id}/{action}")
async def account_action(request: Request, account_id: UUID, action: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        check_form_token(request, form)
        store = _store(request)
        if action not in ACTIONS or store.get(account_id) is None:
            return _page(request, "error.html", 404, title="ページが見つかりません", message="",
                         principal=principal)  # fmt: skip
        by = principal.name
        if action == "reset":

            def reset() -> dict[str, Any]:
                return {"secret": store.reset(account_id, by)}

            target = f"/web/admin/accounts/{account_id}/reset"
            answer, replayed = done_once(request, principal, form, target, reset)
            if replayed:
                return _account(request, principal, account_id, notice=(
                    "このフォームはすでに送信され、設定コードを発行済みです(一度だけ表示されます)。"
                    "控えていない場合は、もう一度「再設定」を押してください"))  # fmt: skip
            return _account(request, principal, account_id, code=answer["secret"])
        try:
            if action == "role":
                store.change_role(account_id, form.get("role", ""),
                                  form.get("office_id", "").strip() or None, by)  # fmt: skip
            elif action == "disable":
                store.disable(account_id, by, form.get("reason", "").strip()[:500])
            elif action == "enable":
                store.enable(account_id, by)
            elif action == "unlock":
                store.lift_lock(account_id, by)
            else:
                store.end_sessions(account_id, by)
        except AccountProblem as exc:
            return _account(request, principal, account_id, 422, error=exc.message)
        return RedirectResponse(f"/web/admin/accounts/{account_id}?saved={action}",
                                status_code=303)  # fmt: skip

    return await run_in_threadpool(_admin, request, write)


@router.get("/web/admin/tokens")
def tokens_page(request: Request) -> Response:
    return _admin(request, lambda p: _tokens(request, p))


def _tokens(
    request: Request, principal: Principal, status: int = 200, notice: str | None = None
) -> Response:
    tokens = request.app.state.tokens
    return _page(
        request, "admin_tokens.html", status, principal=principal,
        tokens=list(reversed(tokens.list())), now=tokens.clock(), jst=jst, role_ja=ROLE_JA,
        csrf=_csrf(request), notice=notice,
    )  # fmt: skip


@router.post("/web/admin/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: UUID) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        check_form_token(request, form)
        reason = form.get("reason", "").strip()[:500]
        if not reason:
            return _tokens(request, principal, 422, notice="取り消す理由を入力してください")
        try:
            request.app.state.tokens.revoke(token_id, f"{reason}({principal.name})")
        except UnknownToken:
            return _tokens(request, principal, 404, notice="そのトークンは見つかりません")
        except AlreadyRevoked:
            return _tokens(request, principal, notice="このトークンはすでに取り消されています")
        return RedirectResponse("/web/admin/tokens?saved=revoked", status_code=303)

    return await run_in_threadpool(_admin, request, write)
