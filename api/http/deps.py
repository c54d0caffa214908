"""Dependencies of the routers, as ``Annotated`` aliases: store, caller, read window, case.

Reading a case always goes through :func:`readable_case`: it loads the case once (404),
checks the caller may read it (403), notes the read in the case's access log — the one
call site of ``api.http.access_log.record_access`` for the JSON API — and hands the router
one :class:`~projections.reading.Reading` of the case for the request's window, which
every projection the router shows shares.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.http.auth import Forbidden, NotAuthenticated, Principal, TokenStore, ensure_can_read
from api.http.claim_check import current_check, read_caller_now
from api.http.input_errors import invalid
from domain.case import Case
from domain.days import (
    DAY_RANGE_JA,
    INSTANT_RANGE_JA,
    MONTH_RANGE_JA,
    day_in_range,
    instant_in_range,
    month_in_range,
)
from domain.history import Recorded, read_history, tokyo_date
from domain.store.application import CaseLog
from domain.store.recorders import CallerChanged, Unchanged
from domain.transfer import current_office
from projections.reading import Reading, read_case, read_records

T = TypeVar("T")
_bearer = HTTPBearer(
    auto_error=False,
    description="`teichaku token create` で発行したアクセストークン",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
#: A version is at most 9 ASCII digits: no case comes near a billion events, and a longer
#: string is never converted (int() of 4,301 digits raises, and costs time before that).
_VERSION = re.compile(r"^[0-9]{1,9}$")


# Dependencies that only read the request or app state are ``async``: FastAPI runs a
# plain ``def`` dependency in its thread pool, one thread hop each, for no I/O at all.


async def get_cases(request: Request) -> CaseLog:
    cases: CaseLog = request.app.state.cases
    return cases


async def get_tokens(request: Request) -> TokenStore:
    tokens: TokenStore = request.app.state.tokens
    return tokens


async def bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token's secret (401 at once when there is none: before anything else of
    the request is read)."""
    if credentials is None:
        raise NotAuthenticated()
    return credentials.credentials


BearerDep = Annotated[str, Depends(bearer)]
TokensDep = Annotated[TokenStore, Depends(get_tokens)]


async def current_principal(request: Request, secret: BearerDep, tokens: TokensDep) -> Principal:
    """The principal of a live token, else 401.

    Under a :class:`api.http.claim_check.ReadRoute` (a read), the token as this process
    remembers it, with no read of the store and no hop to the thread pool: the request's
    first access entry checks it (decision 0060). Otherwise it is read now (one query),
    and remembered for the reads that come."""
    check = current_check()
    if check is not None and not read_caller_now(request):
        known = tokens.remembered(secret)
        if known is not None:
            check.expect(known.unchanged, known.principal, secret)
            return known.principal
    return await run_in_threadpool(Caller(secret, tokens).principal)


CasesDep = Annotated[CaseLog, Depends(get_cases)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True, slots=True)
class Caller:
    """A write's caller, resolved in the write's own thread hop (:meth:`write`).

    :func:`current_principal` reads a write's token in a hop of its own, and the route
    then runs in another: each hop to the thread pool costs about 0.25 ms on a busy
    server, a tenth of an append (issue 24). A write route is ``async`` instead and does
    all its work in one hop. There the caller is taken as this process remembers it,
    and the write's own transaction checks that its token and account are unchanged
    (:mod:`domain.store.recorders`), as a read's access entry does (decision 0058): a
    revocation still takes effect on the next write, in every process."""

    secret: str
    tokens: TokenStore

    def principal(self) -> Principal:
        """The principal of the live token, read now (one query); else 401."""
        claim = self.tokens.claim(self.secret)
        if claim is None:
            raise NotAuthenticated()
        return claim.principal

    def write(self, attempt: Callable[[Principal, Unchanged], T], *, keyed: bool) -> T:
        """``attempt(principal, unchanged)``: first with the caller as remembered, its
        write saved only if ``unchanged`` still holds; again with the caller read now when
        it was not remembered, has changed (:class:`CallerChanged`, nothing written) or
        was refused (403: the principal read now may be allowed). A write with an
        Idempotency-Key reads its caller now: its replay writes nothing to check it."""
        cases = self.tokens.cases
        known = None if keyed or not cases.checks_writers else self.tokens.remembered(self.secret)
        if known is not None:
            try:
                return attempt(known.principal, known.unchanged)
            except (CallerChanged, Forbidden):
                pass
        return attempt(self.principal(), ())


async def write_caller(secret: BearerDep, tokens: TokensDep) -> Caller:
    """The caller of a write, read by the route in its one hop (:class:`Caller`)."""
    return Caller(secret, tokens)


CallerDep = Annotated[Caller, Depends(write_caller)]


@dataclass(frozen=True, slots=True)
class ReadWindow:
    """``on``: the day a state is evaluated for; ``as_of``: the instant of knowledge."""

    on: date
    as_of: datetime | None


def parse_day(text: str, field: str) -> date:
    if not _DATE.match(text):
        raise invalid(field, "日付は YYYY-MM-DD の形式で指定してください")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise invalid(field, "存在しない日付です") from None
    if not day_in_range(day):  # domain.days says why this range
        raise invalid(field, DAY_RANGE_JA)
    return day


def parse_month(text: str, field: str) -> date:
    """``YYYY-MM`` → the month's first day, within domain.days' range (else 422 on ``field``)."""
    if not _MONTH.match(text):
        raise invalid(field, "月は YYYY-MM の形式で指定してください")
    year, month = int(text[:4]), int(text[5:])
    if not month_in_range(year, month):
        raise invalid(field, MONTH_RANGE_JA)
    return date(year, month, 1)


def parse_instant(text: str, field: str) -> datetime:
    # An unencoded "+09:00" in a query string arrives as " 09:00": read it as meant.
    text = re.sub(r" (\d{2}:\d{2})$", r"+\1", text.strip())
    if not _INSTANT.match(text):
        example = "2025-04-01T09:00:00+09:00"
        raise invalid(field, f"日時は時差付きの ISO 8601 で指定してください(例 {example})")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(field, "存在しない日時です") from None
    if not instant_in_range(instant):  # 0001-01-01T00:00+09:00 has no UTC day at all
        raise invalid(field, INSTANT_RANGE_JA)
    return instant


OnQuery = Annotated[
    str | None, Query(description="評価する日 YYYY-MM-DD(既定: 日本時間の今日)")
]
AsOfQuery = Annotated[
    str | None, Query(description="この時点で記録済みの内容だけで答える(時差付き ISO 8601)")
]


async def read_window(cases: CasesDep, on: OnQuery = None, as_of: AsOfQuery = None) -> ReadWindow:
    day = parse_day(on, "on") if on is not None else tokyo_date(cases.clock())
    instant = parse_instant(as_of, "as_of") if as_of is not None else None
    return ReadWindow(day, instant)


ReadWindowDep = Annotated[ReadWindow, Depends(read_window)]


def office_of(records: list[Recorded]) -> str | None:
    """The case's office as known now (a corrected office id counts)."""
    return current_office(read_history(records))


def case_office(case: Case) -> str | None:
    """The office of a loaded case as known now (its history is the aggregate's own)."""
    return current_office(case.history())


@dataclass(frozen=True, slots=True)
class CaseRead:
    """A case the caller may read: its records, the window the read asks for, and the one
    reading of the case in that window that the request's projections share."""

    case_id: UUID
    records: list[Recorded]
    window: ReadWindow
    principal: Principal
    reading: Reading


def readable_case(
    request: Request,
    principal: PrincipalDep,
    cases: CasesDep,
    window: ReadWindowDep,
    case_id: UUID,
) -> CaseRead:
    """The case (loaded once: cached, or latest snapshot + later events), once the caller
    may read it.

    The caller comes first (401 before anything else of the request is read), from
    :func:`current_principal`: under the routers' :class:`~api.http.claim_check.ReadRoute`
    a token this process read before is taken without a read and without a hop to the
    thread pool, and the access entry below checks it (decisions 0058, 0060). A case
    read takes two hops (this, and its route)."""
    case = cases.get_case(case_id)
    ensure_can_read(principal, case_office(case))
    reading = read_case(case, window.on, window.as_of)
    return _authorized_read(request, principal, cases, window, case_id, case.records, reading)


def stored_case(
    request: Request,
    principal: PrincipalDep,
    cases: CasesDep,
    window: ReadWindowDep,
    case_id: UUID,
) -> CaseRead:
    """The case's rows exactly as stored, never through a snapshot (for chain checks and
    exports: a deleted or altered row must show, not break the load). The caller as for
    :func:`readable_case`."""
    records = cases.stored_records(case_id)
    ensure_can_read(principal, office_of(records))
    reading = read_records(records, window.on, window.as_of)
    return _authorized_read(request, principal, cases, window, case_id, records, reading)


def _authorized_read(
    request: Request, principal: Principal, cases: CaseLog, window: ReadWindow,
    case_id: UUID, records: list[Recorded], reading: Reading,
) -> CaseRead:  # fmt: skip
    """Note the read (the caller's right to read was checked just before); a remembered
    caller is checked by this entry (:class:`~api.http.claim_check.ClaimChanged` when it
    changed: the route makes the request again with the token read now)."""
    route = request.scope.get("route")
    endpoint = getattr(route, "path", request.url.path)
    _note_access(cases, case_id, principal, endpoint, window)
    return CaseRead(case_id, records, window, principal, reading)


def _note_access(
    cases: CaseLog, case_id: UUID, principal: Principal, endpoint: str, window: ReadWindow
) -> None:
    """THE call site of the access log for reads of a case (``api.http.access_log``)."""
    # Imported here, not at module top: tests may stand in their own access log module.
    from api.http.access_log import record_access

    record_access(cases, case_id, principal, endpoint, as_of=window.as_of, on=window.on)


ReadableCase = Annotated[CaseRead, Depends(readable_case)]
StoredCase = Annotated[CaseRead, Depends(stored_case)]


async def if_match(
    value: Annotated[
        str | None, Header(alias="If-Match", description="この版のままなら記録する(例 3)")
    ] = None,
) -> int | None:
    """``If-Match: 3`` (or the ETag form ``"3"``): the version the writer last saw."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not _VERSION.match(text) or int(text) < 1:
        raise invalid("If-Match", "版番号(1以上の整数、9桁まで)を指定してください")
    return int(text)


async def idempotency_key(
    value: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="再送しても二重に記録しないためのキー"),
    ] = None,
) -> str | None:
    if value is None:
        return None
    if not _KEY.match(value):
        raise invalid("Idempotency-Key", "英数字・記号 200 文字以内で指定してください")
    return value


IfMatchDep = Annotated[int | None, Depends(if_match)]
IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]
