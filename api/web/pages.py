"""The staff's web pages (Japanese, server-rendered): sign-in, office dashboard, case page.

Same principals and rules as the API: the bearer token is kept in an HttpOnly,
SameSite=Strict cookie; staff see and write their own office only, auditors read only.
Pages compute with the projections in-process and write through ``CaseLog.record``, so
a form is validated by exactly the domain's rules. Every case shown is access-logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.http.access_log import record_access
from api.http.auth import (
    Forbidden,
    Principal,
    ensure_can_read,
    ensure_can_record,
    ensure_can_write,
)
from api.http.claim_check import ClaimChanged, checking
from api.http.deps import case_office
from api.web.amend import amend_payload, is_amend_form, split_amend
from api.web.chart import build_chart
from api.web.dashboard import Choices, dashboard, days_left
from api.web.entry_content import entry_content, staff_label
from api.web.forms import (
    changed_fields,
    consent_options,
    form_fields,
    parse_form,
    picked,
    place_problems,
)
from api.web.jinja import page_environment
from api.web.month_words import billing_words, month_words
from api.web.notice import next_step, notice
from api.web.once import key_of, write_once
from api.web.roles import may_write
from api.web.session import (
    SESSION_LIFETIME,
    TOO_MANY_JA,
    SessionClaim,
    SessionState,
    WebSignIn,
)
from api.web.sign_in import TOKEN_REFUSED_JA, password_sign_in
from domain.case import Case, CaseRuleViolation
from domain.days import FIRST_DAY, LAST_DAY, day_in_range, instant_in_range
from domain.history import tokyo_date
from domain.payloads import PAYLOADS, SYSTEM_TYPES, TYPE_LABEL_JA, FieldProblem, InvalidPayload
from domain.rules.cal import month_of
from domain.rules.catalogue import RULES
from domain.store.application import CaseLog, CaseNotFound
from projections.compliance import compliance
from projections.dispute import STATUS_LABEL_JA
from projections.entitlement import entitlement
from projections.reading import read_case
from projections.timeline import timeline
from projections.views.store import Cursor

COOKIE = "teichaku_token"
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(env=page_environment(str(Path(__file__).parent / "templates")))
templates.env.globals.update(RULES=RULES, STATUS=STATUS_LABEL_JA, TYPES=TYPE_LABEL_JA)
templates.env.globals.update(month_words=month_words, billing_words=billing_words)
templates.env.globals.update(may_write=may_write)  # write links for writing roles only
templates.env.globals.update(TZ_TOKYO=ZoneInfo("Asia/Tokyo"))  # instants shown in Japan time
templates.env.filters["changes"] = changed_fields
templates.env.filters.update(consent_options=consent_options, picked=picked)
templates.env.filters.update(content=entry_content, staff_label=staff_label)  # the 経過 list
WRITABLE_TYPES = [t for t in PAYLOADS if t != "case_opened" and t not in SYSTEM_TYPES]
#: Time zones the "as of" picker offers; a datetime-local value is read in the chosen one.
TIMEZONES = {"Asia/Tokyo": "日本時間(Asia/Tokyo)", "UTC": "協定世界時(UTC)"}
STATIC = Path(__file__).parent / "static"
ASSETS = {"web.css": "text/css; charset=utf-8", "web.js": "text/javascript; charset=utf-8"}
#: Pages load only their own stylesheet and script: an injected inline script cannot run.
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""


class SetUpFirst(Exception):
    """The account must choose a password or enrol TOTP before any other page (issue 21)."""

    def __init__(self, restriction: str) -> None:
        super().__init__(restriction)
        self.where = SETUP_PAGES[restriction]


#: Where an account that must finish setting up is sent (api.web.account).
SETUP_PAGES = {"password": "/web/account/password", "totp": "/web/account/totp"}


def _principal(request: Request) -> Principal:
    state = session_state(request)
    if state.restriction:
        raise SetUpFirst(state.restriction)
    return state.principal


def session_state(request: Request) -> SessionState:
    """The request's live session (any restriction included), else :class:`SignInRequired`."""
    session = request.cookies.get(COOKIE, "")  # a session secret (api.web.session)
    found = request.app.state.web_sign_in.state(session) if session else None
    if found is None:
        raise SignInRequired
    return found  # type: ignore[no-any-return]


def _csrf(request: Request) -> str:
    """A per-session token for forms: HMAC of the session cookie with the app's secret.

    With several server processes (``teichaku serve --workers N``) a form may be posted
    to another process than the one that rendered it: they share ``$TEICHAKU_WEB_SECRET``.
    """
    shared = os.environ.get("TEICHAKU_WEB_SECRET")
    secret: bytes = bytes.fromhex(shared) if shared else request.app.state.web_secret
    cookie = request.cookies.get(COOKIE, "").encode()
    return hmac.new(secret, cookie, hashlib.sha256).hexdigest()


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _guarded(request: Request, render: Any, *, reads: bool = False) -> Response:
    """``render(principal)`` for the request's session, or the page that says why not.

    A page that only reads (GET, or a form that only reads: ``reads``, the dashboard's
    posted search) takes the principal this process remembers of the session (decision
    0059): its first access entry is written only while the session, its token or
    account are unchanged (:func:`api.http.claim_check.checking`); a page that wrote no
    entry reads the session before it answers. If either finds a change, the session is
    read now and the page made again. A form that writes reads it now."""
    if not reads and request.method not in ("GET", "HEAD"):
        return _answered(request, render, None)
    sign_in: WebSignIn = request.app.state.web_sign_in
    secret = request.cookies.get(COOKIE, "")
    claim = sign_in.claim(secret)
    if claim is not None and claim.remembered:
        answered = _checked(request, render, sign_in, secret, claim)
        if answered is not None:
            return answered
        claim = sign_in.claim(secret, fresh=True)
    return _answered(request, render, None if claim is None else claim.principal)


def _checked(
    request: Request, render: Any, sign_in: WebSignIn, secret: str, claim: SessionClaim
) -> Response | None:
    """The page made with a remembered principal, if it still holds (else None)."""
    with checking() as check:
        check.expect(claim.unchanged, claim.principal)
        try:
            response = _answered(request, render, claim.principal)
        except ClaimChanged:
            return None
    if check.checked:
        return response
    now = sign_in.claim(secret, fresh=True)
    return response if now is not None and now.principal == claim.principal else None


def _answered(request: Request, render: Any, principal: Principal | None) -> Response:
    """``render`` for ``principal`` (None: the session read now), refusals as pages."""
    try:
        return render(principal or _principal(request))  # type: ignore[no-any-return]
    except SignInRequired:
        return RedirectResponse("/web/login", status_code=303)
    except SetUpFirst as exc:
        return RedirectResponse(exc.where, status_code=303)
    except Forbidden as exc:
        return _page(request, "error.html", 403, title="権限がありません", message=str(exc))
    except CaseNotFound:
        return _page(request, "error.html", 404, title="ケースが見つかりません", message="")


def not_found_page(request: Request) -> HTMLResponse:
    """An unknown /web address (api.http.errors sends it here): Japanese, with the way back."""
    message = "このアドレスのページはありません。リンクや入力したアドレスを確かめてください。"
    return _page(request, "error.html", 404, title="ページが見つかりません", message=message)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/web/", status_code=303)


@router.get("/web/static/{name}")
def asset(name: str) -> Response:
    """The pages' own stylesheet and script (a fixed list: no path is read from the URL)."""
    if name not in ASSETS:
        return Response(status_code=404)
    return FileResponse(
        STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"}
    )


@router.get("/web/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _page(request, "login.html", error=None, login_id="")


@router.get("/web/sign-in")
def sign_in_page() -> RedirectResponse:
    """The sign-in page under its other name (the issue calls it so)."""
    return RedirectResponse("/web/login", status_code=303)


@router.post("/web/login")
async def login(request: Request) -> Response:
    """Sign in with login id + password (+ TOTP code), or with a bearer token (scripts,
    tests). A session of 8 hours; failures slow down per (account, source) and per
    source, never per account alone (api.web.session, docs/accounts.md)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    # The password's argon2 check (~120 ms) and the store's reads, off the event loop:
    # they held every other request of the process while they ran.
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: dict[str, str]) -> Response:
    token = form.get("token", "").strip()
    sign_in: WebSignIn = request.app.state.web_sign_in
    source = request.client.host if request.client else ""
    if token:
        return _token_login(request, sign_in, token, source)
    login_id, password = form.get("login_id", ""), form.get("password", "")
    code = form.get("code", "")
    if not login_id.strip() or not password:
        return _login_page(request, 422, "ログインIDとパスワードを入力してください", login_id)
    if sign_in.source_locked(source):
        return _login_page(request, 429, TOO_MANY_JA, login_id)
    outcome = password_sign_in(sign_in, login_id, password, code, source)
    if outcome.secret is None:
        return _login_page(request, outcome.status, outcome.message, login_id)
    return _signed_in(request, outcome.secret, outcome.next_page)


def _token_login(request: Request, sign_in: WebSignIn, token: str, source: str) -> Response:
    if sign_in.blocked(token, source):
        return _page(request, "login.html", 429, error=TOO_MANY_JA, login_id="")
    session = sign_in.sign_in(token, source)
    if session is None:
        status = sign_in.tokens.status(token)
        return _page(request, "login.html", 401, error=TOKEN_REFUSED_JA[status], login_id="")
    return _signed_in(request, session, "/web/")


def _login_page(request: Request, status: int, message: str, login_id: str) -> HTMLResponse:
    # The login id typed is shown again; the password and the code never are.
    return _page(request, "login.html", status, error=message, login_id=login_id[:200])


def _signed_in(request: Request, session: str, location: str) -> Response:
    response = RedirectResponse(location, status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, session, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="strict", secure=secure)  # fmt: skip
    return response


@router.post("/web/logout")
def logout(request: Request) -> RedirectResponse:
    """Sign out: the session ends in the store (its cookie no longer works anywhere)."""
    request.app.state.web_sign_in.sign_out(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/web/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/web/", response_class=HTMLResponse)
def dashboard_page(
    request: Request, office_id: str | None = None, cursor: str | None = None
) -> Response:
    searched = {k: v for k, v in request.query_params.items() if k != "q"}  # posted only
    return _dashboard(request, searched)


@router.post("/web/", response_class=HTMLResponse)
async def dashboard_search(request: Request) -> Response:
    """A search is posted: a name or a 受給者証番号 never goes into an address (logs)."""
    posted = {k: str(v) for k, v in (await request.form()).items()}
    return await run_in_threadpool(_dashboard, request, {**dict(request.query_params), **posted})


def _dashboard(request: Request, params: dict[str, str]) -> Response:
    office_id, cursor = params.get("office_id") or None, params.get("cursor") or None

    def render(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        office = principal.office_id if principal.role == "staff" else (office_id or None)
        today = tokyo_date(cases.clock())
        after = _page_cursor(cursor)
        choices = Choices.parse(params)  # search, filters, order (issue 20)
        board = dashboard(cases, request.app.state.views, principal, office, today, after, choices)
        return _page(request, "dashboard.html", principal=principal, rows=board.rows,
                     offices=board.offices, today=today, office=office,
                     next_cursor=board.next_cursor, behind=board.behind, board=board)  # fmt: skip

    return _guarded(request, render, reads=True)  # a search is posted, and only reads


def _page_cursor(token: str | None) -> Cursor | None:
    """The dashboard's "next page" link; a mangled one starts again from the first page."""
    try:
        return Cursor.parse(token) if token else None
    except ValueError:
        return None


@router.get("/web/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: UUID, type: str = "contact_recorded") -> Response:
    def render(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        return _case_view(request, principal, cases.get_case(case_id), type, None, {})

    return _guarded(request, render)


@router.post("/web/cases/{case_id}/events")
async def record_event(request: Request, case_id: UUID) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def write(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        event_type = form.get("type", "")
        case = cases.get_case(case_id)  # loaded once: checked, recorded on, or shown again
        ensure_can_write(principal, case_office(case), event_type)
        if not hmac.compare_digest(form.get("csrf", ""), _csrf(request)):
            raise Forbidden("フォームの有効期限が切れました。ページを開き直してください")
        if event_type not in WRITABLE_TYPES:
            problems = [FieldProblem(field="type", message="記録の種類を選んでください")]
            return _case_view(request, principal, case, "contact_recorded", problems, form)
        if is_amend_form(event_type, form):  # 訂正/取消 beside a timeline entry
            payload, problems = amend_payload(form)
        else:
            payload, problems = parse_form(event_type, form)
        if not problems:
            ensure_can_record(principal, case, event_type, payload)  # moving office: admins only
            try:  # once per form: sent again (Back, 記録する) it stores nothing (api.web.once)
                written = write_once(cases, principal, form, f"/web/cases/{case_id}/events",
                    lambda companion: cases.record(
                        case_id, event_type, payload, recorded_by=principal.name, case=case,
                        check=lambda c: ensure_can_record(principal, c, event_type, payload),
                        companion=companion,
                    ),
                )  # fmt: skip
                # The fragment lands on the notice (the form's own #record-h would be inherited).
                return RedirectResponse(written.location(), status_code=303)
            except (InvalidPayload, CaseRuleViolation) as exc:
                problems = exc.problems  # refused before anything was applied to ``case``
        return _case_view(request, principal, case, event_type, problems, form)

    return await run_in_threadpool(_guarded, request, write)


def _case_view(
    request: Request, principal: Principal, case: Case, event_type: str,
    problems: list[FieldProblem] | None, form: dict[str, str],
) -> HTMLResponse:  # fmt: skip
    """The case page: one reading of the case, shared by every panel of the page."""
    cases: CaseLog = request.app.state.cases
    posted = form  # its one-time key goes on the forms shown again (api.web.once)
    case_id = case.id
    ensure_can_read(principal, case_office(case))
    as_of, on, zone, window_problem = _window(request, cases)
    record_access(cases, case_id, principal, "web:case", as_of=as_of, on=on)
    reading = read_case(case, on, as_of)
    history = reading.history
    ent = entitlement(reading).as_json()
    comp = compliance(reading).as_json()
    entries = list(reversed(timeline(reading).as_json()["entries"]))
    status = 422 if problems else 200
    amend, event_type, form, problems = split_amend(
        entries, request.query_params, event_type, form, problems
    )
    event_type = event_type if event_type in WRITABLE_TYPES else "contact_recorded"
    errors, unplaced = place_problems(problems or [], form_fields(event_type))
    plan, start = comp["plan"], str(ent.get("eligible_from") or "")
    kinds = {f.type for f in history.facts}
    return _page(
        request, "case.html", status, amend=amend,
        principal=principal, case_id=case_id, on=on, as_of=as_of, opened=history.opened(),
        entitlement=ent, compliance=comp,
        timeline=entries,
        chart=build_chart(history, ent, on), event_type=event_type, tz=zone, zones=TIMEZONES,
        this_month=month_of(on), days_left=days_left(month_of(on), on),
        as_of_local=as_of.astimezone(ZoneInfo(zone)) if as_of else None,
        types=WRITABLE_TYPES, forms={t: form_fields(t) for t in WRITABLE_TYPES}, form=form,
        errors=errors,
        other_errors=unplaced,
        can_write=may_write(principal) and as_of is None, csrf=_csrf(request),
        once=key_of(posted), notice=notice(entries, request.query_params),
        next_step=next_step(kinds, ent, plan, on), window_problem=window_problem,
        support_can_start=bool(start) and on.isoformat() >= start,  # PLAN-1 from ELIG-3
    )  # fmt: skip


def _window(request: Request, cases: CaseLog) -> tuple[datetime | None, date, str, str | None]:
    """``as_of`` (a datetime-local read in the chosen zone, or an ISO instant), ``on``, zone,
    and what could not be read (the page then says so rather than quietly showing now)."""
    zone = request.query_params.get("tz") or "Asia/Tokyo"
    zone = zone if zone in TIMEZONES else "Asia/Tokyo"
    raw = request.query_params.get("as_of") or ""
    as_of, problem = None, None
    if raw:
        try:
            parsed = datetime.fromisoformat(raw.replace(" ", "+"))
            as_of = parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))
        except ValueError:
            problem = "日時を読み取れなかったため、現在の記録で表示しています"
        if as_of is not None and not instant_in_range(as_of):  # domain.days: why this range
            as_of, problem = None, f"日時が{_OUT_OF_RANGE_JA}のため、現在の記録で表示しています"
    on_raw = request.query_params.get("on") or ""
    try:
        on = date.fromisoformat(on_raw) if on_raw else tokyo_date(as_of or cases.clock())
    except ValueError:
        on, problem = (
            tokyo_date(cases.clock()),
            "判定する日を読み取れなかったため、今日で判定しています",
        )
    if not day_in_range(on):
        on, problem = (
            tokyo_date(cases.clock()),
            f"判定する日が{_OUT_OF_RANGE_JA}のため、今日で判定しています",
        )
    return as_of, on, zone, problem


_OUT_OF_RANGE_JA = f" {FIRST_DAY} から {LAST_DAY} までの範囲外"
