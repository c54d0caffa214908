"""Form posts to the staff pages are accepted from the pages' own origin only (issue 23).

:class:`SameOriginForms` is a plain ASGI middleware: every ``POST`` under ``/web/``
(sign-in, sign-out, recording, opening a case, the support report) must carry an
``Origin`` — or, failing that, a ``Referer`` — naming this server's own scheme, host and
port. Anything else, ``Origin: null`` included, is refused with 403 and a Japanese page
before its body is read. This stops login CSRF (another site signing a browser in with
the attacker's token) and is a second wall, after the per-session form token and the
``SameSite=Strict`` cookie, for every other form.

A post with neither header passes: every browser sends ``Origin`` on a ``POST``
(Chromium and Safari for years, Firefox since 70), so a cross-site form always carries a
foreign or ``null`` origin; a request with neither comes from a program (curl, a test
client), which holds no victim's cookie and cannot place one in a victim's browser, so it
can forge nothing. Behind a reverse proxy the proxy must pass the browser's ``Host``
(nginx: ``proxy_set_header Host $http_host``) and, for https, ``X-Forwarded-Proto`` from a
trusted address (``teichaku serve --forwarded-allow-ips``), or every post is refused.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.web.pages import _page

log = logging.getLogger("teichaku.web")
CROSS_ORIGIN_JA = (
    "別のサイトから送信されたフォームは受け付けません。"
    "teichaku の画面を開き直してから、もう一度操作してください。"
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class SameOriginForms:
    """403 to a ``POST`` (or any unsafe method) under ``/web/`` from another origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _checked(scope) and not _same_origin(scope):
            log.warning("refused a form post from another origin (request %s)",
                        scope.get("state", {}).get("request_id", "-"))  # fmt: skip
            page = _page(Request(scope), "error.html", 403,
                         title="送信元を確認できません", message=CROSS_ORIGIN_JA)  # fmt: skip
            await page(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _checked(scope: Scope) -> bool:
    posted = scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS")
    return posted and str(scope["path"]).startswith("/web/")


def _same_origin(scope: Scope) -> bool:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if "origin" in headers:  # when a browser sends it, it decides (a Referer cannot overrule)
        claimed = _origin_of(headers["origin"])
    elif "referer" in headers:
        claimed = _origin_of(headers["referer"])
    else:
        return True  # not a browser: nothing to forge with (see the module's docstring)
    return claimed is not None and claimed == _own_origin(scope, headers.get("host"))


def _origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL (lower case, default port dropped), else None."""
    if not url or url == "null":
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    return _origin(parts.scheme.lower(), host, str(port) if port else None)


def _own_origin(scope: Scope, host_header: str | None) -> str | None:
    scheme = str(scope.get("scheme", "http"))
    if host_header:
        return _origin_of(f"{scheme}://{host_header}")
    server = scope.get("server")
    return _origin(scheme, str(server[0]), str(server[1])) if server else None


def _origin(scheme: str, host: str, port: str | None) -> str:
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host.lower()}"
    return f"{scheme}://{host.lower()}:{port}"
