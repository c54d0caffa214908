"""Headers on every answer (api.http.headers) and same-origin form posts (api.web.origin).

- ``X-Content-Type-Options: nosniff`` and ``X-Request-ID`` on everything;
- ``Cache-Control: no-store`` on whatever may carry personal data (JSON, pages, CSV, PDF),
  never on the pages' own stylesheet and script or the API description's files;
- a CSP on every HTML answer, the API's printable dispute report and ``/docs`` included;
- a form post under ``/web/`` from another origin is refused (403, Japanese).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from api.web.dispute import DISPUTE_CSP
from api.web.pages import CSP
from tests.api.conftest import OFFICE

OWN = "http://testserver"  # the TestClient's origin
ELSEWHERE = "https://attacker.example"


def _sign_in(client: TestClient, token: str) -> httpx.Response:
    response = client.post("/web/login", data={"token": token}, headers={"Origin": OWN},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    return response


def _answers(
    client: TestClient, auth: Callable[[str], dict[str, str]], case_id: str
) -> dict[str, httpx.Response]:
    """One answer of every kind: JSON, a problem, HTML pages, CSV, PDF, a redirect."""
    staff = auth("staff")
    return {
        "json": client.get(f"/cases/{case_id}/entitlement", headers=staff),
        "problem": client.get(f"/cases/{case_id}/entitlement?on=x", headers=staff),
        "csv": client.get(f"/offices/{OFFICE}/billing?month=2024-10&format=csv", headers=staff),
        "pdf": client.get(f"/cases/{case_id}/support-report.pdf?month=2024-10", headers=staff),
        "dispute_html": client.get(
            f"/cases/{case_id}/dispute?as_of=2025-06-02T10:00:00Z&format=html", headers=staff
        ),
        "case_page": client.get(f"/web/cases/{case_id}"),
        "web_pdf": client.get(f"/web/cases/{case_id}/report.pdf?month=2024-10"),
        "web_404": client.get("/web/nowhere"),
        "redirect": client.get("/", follow_redirects=False),
        "openapi": client.get("/openapi.json"),
    }


def test_every_answer_carries_nosniff_and_its_own_request_id(
    client: TestClient, auth: Callable[[str], dict[str, str]], tokens: dict[str, str],
    case_id: str,
) -> None:  # fmt: skip
    _sign_in(client, tokens["staff"])
    answers = _answers(client, auth, case_id)
    answers["css"] = client.get("/web/static/web.css")
    answers["docs"] = client.get("/docs")
    for kind, answer in answers.items():
        assert answer.status_code < 500, kind
        assert answer.headers["x-content-type-options"] == "nosniff", kind
    ids = [a.headers["x-request-id"] for a in answers.values()]
    assert len(set(ids)) == len(ids) and all(re.fullmatch("[0-9a-f]{16}", i) for i in ids)


def test_no_answer_that_may_carry_personal_data_is_stored_by_a_cache(
    client: TestClient, auth: Callable[[str], dict[str, str]], tokens: dict[str, str],
    case_id: str,
) -> None:  # fmt: skip
    _sign_in(client, tokens["staff"])
    for kind, answer in _answers(client, auth, case_id).items():
        assert answer.status_code < 400 or kind in ("problem", "web_404"), kind
        assert answer.headers["cache-control"] == "no-store", kind
    assert _answers(client, auth, case_id)["pdf"].headers["content-type"] == "application/pdf"


def test_the_pages_own_files_and_the_api_description_may_be_cached(client: TestClient) -> None:
    assert client.get("/web/static/web.css").headers["cache-control"] == "no-cache"  # revalidate
    for path in ("/docs", "/docs-assets/swagger-ui.css", "/docs-assets/swagger-ui-bundle.js"):
        answer = client.get(path)
        assert answer.status_code == 200 and "no-store" not in answer.headers.get(
            "cache-control", ""
        ), path


def test_every_html_answer_carries_a_content_security_policy(
    client: TestClient, auth: Callable[[str], dict[str, str]], tokens: dict[str, str],
    case_id: str,
) -> None:  # fmt: skip
    _sign_in(client, tokens["staff"])
    answers = _answers(client, auth, case_id)
    html = {
        k: a
        for k, a in answers.items()
        if a.headers.get("content-type", "").startswith("text/html")
    }
    assert {"dispute_html", "case_page", "web_404"} <= set(html)
    for kind, answer in html.items():
        assert "default-src 'none'" in answer.headers["content-security-policy"], kind
    assert answers["case_page"].headers["content-security-policy"] == CSP
    # The API's printable report has the staff page's policy: its one inline style, by hash.
    assert answers["dispute_html"].headers["content-security-policy"] == DISPUTE_CSP
    assert "<style>" in answers["dispute_html"].text


def test_the_api_description_allows_exactly_its_own_start_up_script(client: TestClient) -> None:
    page = client.get("/docs")
    policy = page.headers["content-security-policy"]
    [script] = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "'unsafe-inline'" not in policy and "default-src 'none'" in policy
    assert "connect-src 'self'" in policy  # Swagger UI fetches /openapi.json


# -- Same-origin form posts -------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ELSEWHERE},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": "http://testserver.attacker.example"},
        {"Origin": "https://testserver"},  # another scheme is another origin
        {"Referer": f"{ELSEWHERE}/login-csrf.html"},
    ],
)
def test_a_sign_in_posted_from_another_origin_is_refused_in_japanese(
    client: TestClient, tokens: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.post("/web/login", data={"token": tokens["staff"]}, headers=headers,
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 403
    assert "別のサイトから送信されたフォームは受け付けません" in response.text
    assert "teichaku_token" not in response.headers.get("set-cookie", "")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": OWN},
        {"Origin": "http://TESTSERVER:80"},
        {"Referer": f"{OWN}/web/login"},
        {},  # no browser sends a POST without Origin: a program's post, nothing to forge
    ],
)
def test_a_sign_in_from_the_pages_own_origin_is_accepted(
    client: TestClient, tokens: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.post("/web/login", data={"token": tokens["staff"]}, headers=headers,
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert "teichaku_token" in response.headers["set-cookie"]


def test_a_record_form_posted_from_another_origin_stores_nothing(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "type": "contact_recorded", "contact_on": "2024-10-15",
            "counterpart": "person", "mode": "face_to_face"}  # fmt: skip
    before = event_count(case_id)
    refused = client.post(f"/web/cases/{case_id}/events", data=form,
                          headers={"Origin": ELSEWHERE}, follow_redirects=False)  # fmt: skip
    assert refused.status_code == 403 and event_count(case_id) == before
    accepted = client.post(f"/web/cases/{case_id}/events", data=form,
                           headers={"Origin": OWN}, follow_redirects=False)  # fmt: skip
    assert accepted.status_code == 303 and event_count(case_id) == before + 1


def test_a_sign_out_posted_from_another_origin_leaves_the_session_alive(
    client: TestClient, tokens: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    refused = client.post("/web/logout", headers={"Origin": ELSEWHERE}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/web/", follow_redirects=False).status_code == 200
