"""The API's description page (``/docs``) with Swagger UI served by this server.

FastAPI's default page loads Swagger UI from a CDN, so it is blank offline or behind a
proxy that blocks it. The files come from the PyPI package ``swagger-ui-py`` (its
``static/`` folder is Swagger UI 5's dist build, Apache-2.0; ``swagger-ui-bundle`` ships
4.x, which cannot read FastAPI's OpenAPI 3.1), served under ``/docs-assets/``. The page keeps
Swagger UI's own inline start-up script, so it has no CSP of the staff pages' strictness;
those pages (``/web/...``) keep theirs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"


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
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API の説明",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
