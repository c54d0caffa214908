"""The API's description page (``/docs``) with Swagger UI served by this server.

FastAPI's default page loads Swagger UI from a CDN, so it is blank offline or behind a
proxy that blocks it. The files come from the PyPI package ``swagger-ui-py`` (its
``static/`` folder is Swagger UI 5's dist build, Apache-2.0; ``swagger-ui-bundle`` ships
4.x, which cannot read FastAPI's OpenAPI 3.1), served under ``/docs-assets/``. The page keeps
Swagger UI's own inline start-up script; its CSP allows exactly that script, by its SHA-256,
besides this server's own files (:func:`with_csp`).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
#: Swagger UI draws with its own script and stylesheet and fetches /openapi.json; the
#: styles its script sets are not a CSP matter. It needs nothing from elsewhere (checked
#: in Chromium: tests/browser/test_api_docs.py).
CSP = (
    "default-src 'none'; script-src 'self' {scripts}; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _static() -> Path:
    """The package's static folder, found without importing it (it imports web frameworks)."""
    spec = importlib.util.find_spec("swagger_ui")
    assert spec is not None and spec.submodule_search_locations, "swagger-ui-py is a dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets locally (create the app with ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=_static()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return with_csp(get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API の説明",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
        ))  # fmt: skip

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return with_csp(get_swagger_ui_oauth2_redirect_html())


def with_csp(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a CSP allowing its inline scripts by their SHA-256, and nothing else
    inline (an injected script would have another hash)."""
    scripts = _INLINE_SCRIPT.findall(bytes(page.body).decode("utf-8"))
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    )
    page.headers["Content-Security-Policy"] = CSP.format(scripts=hashes)
    return page
