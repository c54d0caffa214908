"""The dispute report (照会対応報告) for people: Japanese dates, instants in Japan time,
the person's name and 受給者証番号, and a staff page that opens it with the sign-in cookie.

One renderer serves both the API's ``GET /cases/{id}/dispute?format=html``
(:mod:`api.http.routers.trust`) and the page ``/web/cases/{id}/dispute`` linked from the case
page when it is shown as of an instant. The template's only style is inline; the page's
CSP allows exactly that block by its SHA-256, nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from api.http.access_log import record_access
from api.http.auth import Principal, ensure_can_read
from api.http.deps import case_office
from api.web.jinja import PageEnvironment
from api.web.pages import CSP, _guarded, _page, _window
from domain.history import TOKYO
from domain.rules.catalogue import RULES
from domain.store.application import CaseLog
from projections.dispute import STATUS_LABEL_JA, dispute, show_value
from projections.reading import read_case

router = APIRouter(include_in_schema=False)
_DIR = Path(__file__).parent / "templates"
_ENV = PageEnvironment(loader=FileSystemLoader(_DIR), autoescape=select_autoescape(["html"]))
NO_INSTANT_JA = (
    "比べる時点が指定されていません。ケースの画面で「この時点で分かっていた内容で表示」を"
    "選んで表示してから、照会対応報告を開いてください。"
)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def jdate(value: Any) -> str:
    """``2024-04-15`` → ``2024年4月15日`` (anything else as it is; None → なし)."""
    if value is None:
        return "なし"
    day = value if isinstance(value, date) else None
    if isinstance(value, str) and _ISO_DAY.match(value):
        day = date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else str(value)


def jst(value: Any) -> str:
    """An instant (ISO text or datetime, any offset) in Japan time, to the minute."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = at.astimezone(TOKYO)
    return f"{jdate(local.date())} {local:%H:%M}(日本時間)"


def shown(value: Any) -> str:
    """:func:`projections.dispute.show_value` for a page: each item of a list shown the
    same way, and ISO dates inside text written as Japanese dates."""
    if isinstance(value, list):
        return "、".join(shown(v) for v in value) or "なし"
    if isinstance(value, str) and value not in STATUS_LABEL_JA:
        return re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: jdate(m.group(0)), value)
    return show_value(value)


_JA_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?: \d{2}:\d{2}(?:(日本時間))?)?")


def nowrap_dates(text: Any) -> Markup:
    """``text`` escaped, each Japanese date (and time) in it kept on one line."""
    escaped = str(escape(str(text)))
    return Markup(_JA_DATE.sub(lambda m: f'<span class="d">{m.group(0)}</span>', escaped))


def can_bill(side: Any) -> str:
    """請求できるか for one month's side: できる, できない, or 今月まだ with what is missing."""
    verdict = side.get("verdict") if isinstance(side, dict) else None
    if verdict == "billable":
        return "できる"
    if verdict == "in_progress":
        return str(side.get("text_ja"))
    return "できない"


_ENV.filters.update(jdate=jdate, jst=jst, shown=shown, nowrap_dates=nowrap_dates)
_ENV.globals.update(can_bill=can_bill)


def _style_hash() -> str:
    source = (_DIR / "dispute.html").read_text(encoding="utf-8")
    style = re.search(r"<style>(.*?)</style>", source, re.S)
    assert style, "dispute.html carries its print style inline"
    digest = hashlib.sha256(style.group(1).encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


#: The staff pages' CSP, plus the dispute template's own style block (by hash).
DISPUTE_CSP = CSP.replace("style-src 'self'", f"style-src 'self' {_style_hash()}")


def render_dispute(
    data: dict[str, Any], case_id: UUID, person: dict[str, str] | None, back: str = ""
) -> str:
    """The report's HTML; ``person`` as :func:`person_of` gives it."""
    return _ENV.get_template("dispute.html").render(
        r=data, case_id=str(case_id), rules=RULES, status_ja=STATUS_LABEL_JA, person=person,
        back=back,
    )  # fmt: skip


def person_of(reading: Any) -> dict[str, str] | None:
    """The name and 受給者証番号 the report is about (from the case's opening)."""
    opened = reading.history.opened()
    if opened is None:
        return None
    payload = opened.payload
    return {"name": payload.person.name, "recipient_number": payload.recipient_number}


def dispute_html(data: dict[str, Any], case_id: UUID, reading: Any) -> HTMLResponse:
    """The API's ``dispute?format=html`` (``create_app`` hands it to the HTTP door), with
    the same CSP as the staff's page of it."""
    page = render_dispute(data, case_id, person_of(reading))
    return HTMLResponse(page, headers={"Content-Security-Policy": DISPUTE_CSP})


@router.get("/web/cases/{case_id}/dispute")
def dispute_page(request: Request, case_id: UUID) -> Response:
    def render(principal: Principal) -> Response:
        cases: CaseLog = request.app.state.cases
        case = cases.get_case(case_id)
        ensure_can_read(principal, case_office(case))
        as_of, on, _, problem = _window(request, cases)
        if as_of is None or problem is not None:  # a report for another day than asked: none
            message = problem or NO_INSTANT_JA
            return _page(request, "error.html", 422, title="照会対応報告を開けません",
                         message=message, principal=principal)  # fmt: skip
        record_access(cases, case_id, principal, "web:dispute", as_of=as_of, on=on)
        reading = read_case(case, on, as_of)
        page = render_dispute(
            dispute(reading).as_json(), case_id, person_of(reading), f"/web/cases/{case_id}"
        )
        headers = {"Content-Security-Policy": DISPUTE_CSP, "Referrer-Policy": "same-origin"}
        return HTMLResponse(page, headers=headers)

    return _guarded(request, render)
