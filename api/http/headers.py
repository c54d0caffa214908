"""Headers on every answer, a request id, and no exception past the app (issue 23).

:class:`AnswerHeaders` is a plain ASGI middleware that ``create_app`` installs last, so it
wraps every route, page, static file and the other middleware:

- ``X-Request-ID``: a random id of this request, on every answer. An unexpected failure
  is logged with it and its answer says it, so an operator finds the one log line.
- ``X-Content-Type-Options: nosniff`` on everything: a browser never reads a CSV or a JSON
  answer as a page or a script.
- ``Cache-Control: no-store`` on every answer except :data:`CACHEABLE` (the pages' own
  stylesheet and script, the API description and its assets): JSON, pages, CSV and PDF
  may carry personal data, and no browser cache or shared proxy should keep them.
- A ``Content-Security-Policy`` on every HTML answer that has none: the staff pages'
  policy (``create_app`` passes it in). Pages that need more (the dispute report's
  inline style, ``/docs``' start-up script) set their own, naming exactly that by hash.
- An exception no handler turned into an answer is answered here: 500
  ``application/problem+json`` with the request id (:func:`api.http.errors.unexpected`
  logs its class, the route and the request id, never its message or traceback). It is
  not raised further: Starlette's outer error middleware re-raises everything it sees,
  and uvicorn then logs the whole traceback ("Exception in ASGI application"), which may
  quote personal data.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import unexpected

#: Paths whose answers carry no personal data and may be cached.
CACHEABLE = ("/web/static/", "/docs-assets/")
CACHEABLE_PAGES = frozenset({"/docs", "/docs/oauth2-redirect"})


class AnswerHeaders:
    """Stamps every answer (see the module's docstring); ``csp`` for HTML without one."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        cacheable = scope["path"].startswith(CACHEABLE) or scope["path"] in CACHEABLE_PAGES
        started = False

        async def stamped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                _stamp(MutableHeaders(scope=message), request_id, cacheable, self.csp)
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        except Exception as exc:  # answered and logged here, never raised further
            answer = unexpected(scope, exc)
            if not started:  # else the client sees a cut answer; the log line says why
                await answer(scope, receive, stamped)


def _stamp(headers: MutableHeaders, request_id: str, cacheable: bool, csp: str) -> None:
    headers["X-Request-ID"] = request_id
    headers["X-Content-Type-Options"] = "nosniff"
    if not cacheable:
        headers["Cache-Control"] = "no-store"
    html = headers.get("content-type", "").startswith("text/html")
    if html and "content-security-policy" not in headers:
        headers["Content-Security-Policy"] = csp
