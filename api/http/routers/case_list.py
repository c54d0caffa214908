"""The case list and the freshness of the views it reads (``GET /cases``, ``GET /health``).

The list reads the stored case view (:mod:`projections.views.follower`), filtered by office in SQL
and paged by a cursor; the status on ``on`` is read from the row's status segments, so no
case is replayed. A read ``as_of`` a past instant is answered from each case's known rows
and clock pages (decision 0062), and by a fold of the case where the views have none for
it (a row stored before them) or are still behind the log. Each request is noted once in
the access log (:class:`domain.listing_access.ListingRead`).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.http.access_log import record_listing
from api.http.auth import Principal, ensure_can_read
from api.http.claim_check import ReadRoute
from api.http.deps import CasesDep, PrincipalDep, ReadWindow, ReadWindowDep
from api.http.input_errors import invalid
from api.http.schemas import CaseList, CaseSummary, HealthPublic, ProblemPublic
from domain.store.application import CaseLog
from projections.entitlement import STATUSES, entitlement
from projections.reading import read_case
from projections.views.follower import CaseViews
from projections.views.row import CaseRow, status_on
from projections.views.store import FOLD, Cursor, KnownAt, utc_text

_PROBLEM = {"model": ProblemPublic, "content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {**_PROBLEM, "description": "トークンがない・無効"},
    403: {**_PROBLEM, "description": "他の事業所の一覧"},
    422: {**_PROBLEM, "description": "status・on・cursor などの指定が不正"},
}
#: A list read first folds what the views have not seen yet, up to this many events;
#: past that it answers from the view as it is and says how far behind it is.
CATCH_UP_LIMIT = 5_000

router = APIRouter(tags=["ケース"], route_class=ReadRoute)


def views_of(request: Request) -> CaseViews:
    views: CaseViews = request.app.state.views
    return views


def fresh_views(request: Request, response: Response) -> tuple[CaseViews, int]:
    """The views caught up with the log (read-your-writes) and their live generation; how
    far they are still behind goes in a header."""
    views = views_of(request)
    gen, behind = views.fresh(CATCH_UP_LIMIT)
    response.headers["X-Views-Behind"] = str(behind)
    return views, gen


@router.get("/cases", response_model=CaseList, responses=_ERRORS)
def list_cases(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    cases: CasesDep,
    window: ReadWindowDep,
    office_id: Annotated[str | None, Query(description="事業所番号で絞り込む")] = None,
    status: Annotated[str | None, Query(description="受給状態で絞り込む")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="1ページの件数")] = 100,
    cursor: Annotated[str | None, Query(description="前のページの next_cursor")] = None,
) -> CaseList:
    """ケースの一覧を返します(職員は自事業所のみ)。氏名・受給者証番号は含みません。"""
    office = _listed_office(principal, office_id)
    if status is not None and status not in STATUSES:
        raise invalid("status", "状態は " + " / ".join(STATUSES) + " のいずれかです")
    after = _cursor(cursor)
    if window.as_of is not None:
        views = views_of(request)
        gen, behind = views.fresh(CATCH_UP_LIMIT)
        response.headers["X-Views-Behind"] = str(behind)
        known = _Known(cases, views, gen, window, trusted=behind == 0)
        found, following = _known_then(known, office, status, after, limit)
    else:
        views, gen = fresh_views(request, response)
        rows, nxt = views.page(
            office, after, limit, months=None, gen=gen,
            keep=lambda r: status is None or r.status_on(window.on) == status,
        )  # fmt: skip
        found, following = [_from_row(r, window) for r in rows], nxt
    record_listing(cases, principal, "/cases", on=window.on,
                   case_ids=[UUID(s.case_id) for s in found])  # fmt: skip
    return CaseList(cases=found, next_cursor=following.token() if following else None)


@router.get("/health", response_model=HealthPublic, tags=["運用"])
def health(request: Request) -> dict[str, Any]:
    """ビューがイベントログにどこまで追いついているか(認証不要・個人情報なし)。"""
    lag = views_of(request).lag()
    return {"status": "ok", "views": lag.as_json()}


def _listed_office(principal: Principal, office_id: str | None) -> str | None:
    """Staff list their own office (asking for another is refused); others list any."""
    if principal.role == "staff":
        ensure_can_read(principal, office_id or principal.office_id)
        return principal.office_id
    return office_id


def _cursor(token: str | None) -> Cursor | None:
    if token is None:
        return None
    try:
        return Cursor.parse(token)
    except ValueError:
        raise invalid("cursor", "前のページの next_cursor をそのまま指定してください") from None


def _from_row(row: CaseRow, window: ReadWindow) -> CaseSummary:
    return CaseSummary(
        case_id=str(row.case_id), office_id=row.office_id, opened_on=row.opened_on,
        status=row.status_on(window.on), version=row.version,
    )  # fmt: skip


class _Known:
    """Cases as known at ``window.as_of``: from the views' known rows (decision 0062),
    folded where a case has none or where the views are not ``trusted`` (behind the log:
    they may not hold everything recorded before ``as_of``)."""

    def __init__(
        self, cases: CaseLog, views: CaseViews, gen: int, window: ReadWindow, *, trusted: bool
    ) -> None:
        self.cases, self.views, self.gen, self.window = cases, views, gen, window
        self.trusted = trusted

    def summaries(self, case_ids: list[UUID]) -> dict[UUID, CaseSummary | None]:
        assert self.window.as_of is not None
        found: dict[UUID, KnownAt] = dict.fromkeys(case_ids, FOLD)
        if self.trusted:
            found.update(self.views.known_at(case_ids, self.window.as_of, self.gen))
        return {case_id: self._summary(case_id, found[case_id]) for case_id in case_ids}

    def _summary(self, case_id: UUID, known: KnownAt) -> CaseSummary | None:
        if known == FOLD:
            return _as_of(self.cases, case_id, self.window)
        if known is None or isinstance(known, str):
            return None
        office_id, opened_on, segments, version = known
        return CaseSummary(
            case_id=str(case_id), office_id=office_id, opened_on=opened_on,
            status=status_on(segments, self.window.on), version=version,
        )  # fmt: skip


def _known_then(
    known: _Known, office: str | None, status: str | None, after: Cursor | None, limit: int,
) -> tuple[list[CaseSummary], Cursor | None]:  # fmt: skip
    """``as_of``: the cases that ever belonged to ``office`` (from the views' index, in
    opening order), each as known then; only those, and only until the page is full (one
    more tells whether there is a next page)."""
    as_of = known.window.as_of
    assert as_of is not None
    out: list[tuple[Cursor, CaseSummary]] = []
    size = max(limit, 50)
    while len(out) <= limit:
        batch = known.views.office_case_ids(office, after, size, known.gen)
        then = [case_id for case_id, opened_at in batch if opened_at <= as_of]  # else unknown
        summaries = known.summaries(then)
        for case_id, opened_at in batch:
            after = Cursor(utc_text(opened_at), str(case_id))
            summary = summaries.get(case_id)
            if summary is None or (office is not None and summary.office_id != office):
                continue
            if status is None or summary.status == status:
                out.append((after, summary))
                if len(out) > limit:
                    break
        if len(batch) < size:
            break
    page = out[:limit]
    return [s for _, s in page], (page[-1][0] if len(out) > limit else None)


def _as_of(cases: CaseLog, case_id: UUID, window: ReadWindow) -> CaseSummary | None:
    """One case as known at ``window.as_of`` (None: not opened yet then): one fold of
    what was known then, read by the summary and the entitlement alike."""
    reading = read_case(cases.get_case(case_id), window.on, window.as_of)
    history = reading.history
    opened = history.opened()
    if opened is None:
        return None
    return CaseSummary(
        case_id=str(case_id), office_id=getattr(opened.payload, "office_id", None),
        opened_on=opened.effective_on, status=entitlement(reading).status,
        version=history.recorded[-1].version,
    )  # fmt: skip
