"""A maximum request body for every route, JSON API and staff pages alike (issue 23).

:class:`BodyLimit` is plain ASGI middleware in front of everything else. A request whose
``Content-Length`` is over the limit is answered 413 without reading a byte of its body;
any other body (one sent in chunks has no length) is read here as it streams, counting
bytes, and reading stops at the first chunk past the limit. Only a body within the limit
reaches a route, handed on whole, so no oversize body is ever parsed, loaded into a case
or stored. The 413 is ``application/problem+json`` like every other problem
(:mod:`api.http.errors`); under ``/web/`` it is a short Japanese page.
"""

from __future__ import annotations

from enum import Enum

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import Problem, problem_response

TOO_LARGE = Problem(413, "body-too-large", "送信内容が大きすぎます")
#: The connection is not read to its end, so it is not reused for another request.
_CLOSE = {"Connection": "close"}


class BodyLimit:
    """Answer 413 to a request whose body is over ``max_bytes``; pass the others on.

    ``max_bytes`` is :attr:`api.settings.Settings.max_body_bytes`.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            body: bytes | _Cut = _Cut.OVER
        else:
            body = await _read_at_most(receive, self.max_bytes)
        if body is _Cut.OVER:
            await _too_large(scope["path"], self.max_bytes)(scope, receive, send)
        elif isinstance(body, bytes):  # (_Cut.GONE: the client left mid-body, nobody to answer)
            await self.app(scope, _replay(body, receive), send)


class _Cut(Enum):
    """Why no body is handed on."""

    OVER = "over the limit"
    GONE = "the client disconnected"


def _too_large(path: str, max_bytes: int) -> Response:
    """The 413: a problem for the API, a Japanese page for the staff's pages."""
    detail = f"送信できる内容は {max_bytes:,} バイトまでです。分けて記録してください"
    if path.startswith("/web/"):
        return HTMLResponse(_PAGE.format(title=TOO_LARGE.title, detail=detail), 413, _CLOSE)
    return problem_response(TOO_LARGE, detail, headers=_CLOSE)


def _content_length(scope: Scope) -> int | None:
    """The declared length, when there is one that reads as a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_at_most(receive: Receive, max_bytes: int) -> bytes | _Cut:
    """The whole body; ``OVER`` as soon as it is over ``max_bytes`` (the rest is left
    unread), ``GONE`` when the client disconnects before its end."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _Cut.GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return _Cut.OVER
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then the server's own messages (a disconnect, …)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


_PAGE = """<!doctype html>
<html lang="ja">
<head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/web/static/web.css"></head>
<body><main>
<h1>{title}</h1>
<p>{detail}</p>
<p>ブラウザの「戻る」で入力に戻り、内容を減らして送ってください。</p>
<p><a href="/web/">事業所の一覧に戻る</a></p>
</main></body>
</html>
"""
