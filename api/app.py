"""The application factory: ``create_app(settings)`` builds a FastAPI app on one CaseLog.

Nothing is created at import time: each app owns (or is given) its store, so tests
and the command line open as many independent apps as they like.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.http import docs, errors, limits, payload_schema
from api.http.auth import TokenStore
from api.http.headers import AnswerHeaders
from api.http.routers import case_list as case_list_router
from api.http.routers import cases as cases_router
from api.http.routers import claim as claim_router
from api.http.routers import office_setup as office_setup_router
from api.http.routers import offices as offices_router
from api.http.routers import rules as rules_router
from api.http.routers import support_report as support_report_router
from api.http.routers import trust as trust_router
from api.settings import Settings
from api.web import account as web_account
from api.web import admin as web_admin
from api.web import audit as web_audit
from api.web import claim as web_claim
from api.web import dispute as web_dispute
from api.web import downloads as web_downloads
from api.web import new_case as web_new_case
from api.web import office as web_office
from api.web import office_setup as web_office_setup
from api.web import pages as web
from api.web import report as web_report
from api.web.origin import SameOriginForms
from api.web.session import WebSignIn
from domain.store.application import CaseLog
from domain.store.opening import open_case_log
from projections.views.follower import CaseViews, ViewFollower

DESCRIPTION = """\
就労定着支援のケース記録 API。出来事(就職・退職・支援記録・同意など)を追記のみで記録し、
受給状態・期日・請求可否・同意違反を、根拠のルールIDと元の記録の版番号つきで返します。

- 認証: `Authorization: Bearer <token>`(`teichaku token create` で発行)
- `as_of`: その時点で記録済みの内容だけで答える / `on`: 状態を評価する日(既定は日本時間の今日)
- エラー: RFC 9457 `application/problem+json`(入力誤りは `errors` に項目名)
"""

TAGS = [
    {
        "name": "ケース",
        "description": "ケースの開始、出来事の記録、受給状態・遵守状況・経過・監査の参照",
    },
    {"name": "ルールブック", "description": "説明に現れるルールIDの一覧と根拠"},
]


#: Collections of the collector's middle generation between two full collections in a
#: `teichaku serve` process (Python's default: 10). See the lifespan in create_app.
FULL_AFTER = 1_000


def create_app(settings: Settings | None = None, *, cases: CaseLog | None = None) -> FastAPI:
    """A new API app on ``cases`` (else on the store that ``settings`` name)."""
    settings = settings or Settings()
    owned = cases is None
    store = cases if cases is not None else open_cases(settings)

    views = CaseViews(store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        follower = ViewFollower(views) if settings.follow_views else None
        if follower is not None:
            follower.start()
        if settings.follow_views:  # a `teichaku serve` process, its start-up done
            # Move the start-up objects (modules, schemas, templates: ~150k) out of the
            # collector's reach: full collections walked them every ~12 requests and made
            # the p95 of office pages ~85 ms (bench/serve_reads.py, issue 24).
            gc.collect()
            gc.freeze()
            # A full collection walks every object made since (the case cache: ~140k
            # objects, ~100 ms) and ran every ~80 requests once the cache was warm (the
            # 25 % "pending" rule counts every object a request held through a young
            # collection): p99 ~110 ms (bench/gc_pauses.py). Young collections stay as
            # they are; a full one waits for FULL_AFTER collections of the middle one.
            young, middle = gc.get_threshold()[:2]
            gc.set_threshold(young, middle, FULL_AFTER)
        yield
        if follower is not None:
            follower.stop()
        if owned:
            store.close()

    app = FastAPI(
        title="teichaku 就労定着支援ケース記録",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served by api.http.docs from local files: the CDN's page is blank offline
        redoc_url=None,
    )
    docs.install(app)
    app.add_middleware(limits.BodyLimit, max_bytes=settings.max_body_bytes)  # issue 23
    app.state.settings = settings
    app.state.cases = store
    app.state.tokens = TokenStore(store)
    app.state.web_sign_in = WebSignIn(store, app.state.tokens)
    app.state.accounts = app.state.web_sign_in.accounts  # issue 21 (api.http.accounts)
    app.state.views = views
    app.state.fee_schedule = settings.fee_schedule()  # VER-2: a bad file stops start-up
    app.state.dispute_html = web_dispute.dispute_html  # the API's ?format=html
    errors.install(app, web_not_found=web.not_found_page)
    payload_schema.install(app)  # typed POST bodies in OpenAPI (issue 12)
    app.include_router(case_list_router.router)
    app.include_router(offices_router.router)
    app.include_router(office_setup_router.router)  # issue 22: the office's 体制
    app.include_router(claim_router.router)  # issue 22: claim, 実績記録票, compare
    app.include_router(cases_router.router)
    app.include_router(rules_router.router)
    app.include_router(trust_router.router)
    app.include_router(support_report_router.router)
    app.state.web_secret = secrets.token_bytes(32)  # signs the web forms' CSRF tokens
    app.include_router(web_new_case.router)  # before web's /web/cases/{case_id}
    app.include_router(web.router)
    app.include_router(web_office.router)
    app.include_router(web_downloads.router)  # the office lists as .csv / .xlsx
    app.include_router(web_report.router)
    app.include_router(web_dispute.router)
    app.include_router(web_account.router)  # my account (issue 21)
    app.include_router(web_admin.router)  # the administrator's pages (issue 21)
    app.include_router(web_audit.router)  # issue 21: an auditor's pages of a case
    app.include_router(web_office_setup.router)  # issue 22: the office's 体制 page
    app.include_router(web_claim.router)  # issue 22: claim, 実績記録票, compare pages
    app.add_middleware(SameOriginForms)  # /web/ form posts from this origin only (issue 23)
    # Added last, so outermost: stamps every answer and answers every unexpected failure.
    app.add_middleware(AnswerHeaders, csp=web.CSP)
    return app


def open_cases(settings: Settings) -> CaseLog:
    """The CaseLog on the configured store (an SQLite file's folder is created)."""
    return open_case_log(settings.persistence_env())
