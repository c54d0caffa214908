"""A caller remembered from an earlier request, checked by the request's first access
entry (decisions 0059 and 0060).

A page of the web (:func:`api.web.pages._guarded`) or a read of the API
(:class:`ReadRoute`) may go on with the principal this process read in an earlier
request, without reading it again: the request's first access entry is then written only
if the aggregates it was read from (token, account, session, settings) have no event
since (:func:`api.http.access_log.record_access`, ``record_listing``), and a request that
wrote no entry reads the caller before it answers. Either way, a change made anywhere
holds on the next request, and nothing is answered before it is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.http.auth import Principal, TokenStore


class ClaimChanged(Exception):
    """A principal remembered from an earlier request (a web session, decision 0059; an
    API token, 0060) no longer holds: its session, token, account or settings have an
    event since. Nothing was written; the request is made again with them read now."""


@dataclass
class ClaimCheck:
    """The request's remembered principal, if it has one, to be checked by its first
    access entry: ``unchanged`` its aggregates (empty: nothing remembered, nothing to
    check); ``checked`` once an entry was written with them unchanged. ``principal`` and
    ``secret``: what was remembered, for a request that wrote no entry to check by
    reading the caller again (decisions 0059, 0060)."""

    unchanged: tuple[tuple[UUID, int], ...] = ()
    checked: bool = True
    principal: Principal | None = None
    secret: str = ""

    def expect(
        self, unchanged: Sequence[tuple[UUID, int]], principal: Principal, secret: str = ""
    ) -> None:
        """The request goes on with ``principal`` as remembered: check ``unchanged``."""
        self.unchanged, self.principal, self.secret = tuple(unchanged), principal, secret
        self.checked = not self.unchanged

    @property
    def remembered(self) -> bool:
        return bool(self.unchanged)


_CHECK: ContextVar[ClaimCheck | None] = ContextVar("teichaku_claim_check", default=None)


@contextmanager
def checking() -> Iterator[ClaimCheck]:
    """Within the block, once :meth:`ClaimCheck.expect` was called, the first access
    entry is written only while its aggregates are unchanged (else :class:`ClaimChanged`);
    the caller reads ``checked`` afterwards: a request that wrote no entry must check
    its principal otherwise before it answers."""
    check = ClaimCheck()
    reset = _CHECK.set(check)
    try:
        yield check
    finally:
        _CHECK.reset(reset)


def current_check() -> ClaimCheck | None:
    """The check of the request being answered (None: outside :func:`checking`)."""
    return _CHECK.get()


def pending() -> ClaimCheck | None:
    """The request's check while no entry has made it yet (None: nothing to check)."""
    check = _CHECK.get()
    return None if check is None or check.checked else check


def settled(check: ClaimCheck | None, noted: bool) -> None:
    """After an entry written with ``check`` pending: checked, or :class:`ClaimChanged`
    when the entry was refused (nothing written)."""
    if check is None:
        return
    if not noted:
        raise ClaimChanged
    check.checked = True


#: GET and HEAD only: a read; every other method may write, and reads its caller now.
READS = ("GET", "HEAD")


class ReadRoute(APIRoute):
    """A route whose reads may go on with the caller's token as this process remembers
    it (decision 0060; :func:`api.http.deps.current_principal` takes it).

    The request is answered only if its first access entry found the token (and its
    account) unchanged; if that entry was refused (:class:`ClaimChanged`), or the request
    failed in any way with the remembered principal, or it wrote no entry and the token
    read now gives another principal, the request is made again with the token read
    from the store: so a revocation is a 401, not a 404 or a 403 of a principal that has
    changed since."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if request.method not in READS:
                return await handler(request)
            with checking() as check:
                try:
                    response: Response | None = await handler(request)
                except ClaimChanged:
                    response = None
                except Exception:
                    if not check.remembered:
                        raise
                    response = None
            if response is not None and (not check.remembered or check.checked
                                         or await _still(request, check)):  # fmt: skip
                return response
            request.state.read_caller_now = True
            return await handler(request)

        return handle


async def _still(request: Request, check: ClaimCheck) -> bool:
    """Does the token, read now, give the principal the request went on with?"""
    tokens: TokenStore = request.app.state.tokens
    now = await run_in_threadpool(tokens.claim, check.secret)
    return now is not None and now.principal == check.principal


def read_caller_now(request: Request) -> bool:
    """Must this request read its caller from the store (see :class:`ReadRoute`)?"""
    return bool(getattr(request.state, "read_caller_now", False))

