"""No 500 from input: every date, month and instant has a range (domain.days), ``If-Match``
is a short number, and a failure nobody foresaw is logged as one line with a request id.

The inputs are the ones a probe of the product answered with 500 and a traceback in the
log (issue 23): they are refused with 422 naming the field (a Japanese page under
``/web/``), and the log holds no traceback and none of the values sent.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.deps import if_match
from api.http.input_errors import InvalidInput
from api.http.routers import cases as cases_router
from tests.api.conftest import OFFICE

NAME, RECIPIENT = "秘密 太郎", "9081726354"  # what a failure's message might quote


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sign_in(client: TestClient, token: str) -> None:
    response = client.post("/web/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303


def _server_side(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the app and the server logged (the test's own HTTP client logs its URLs)."""
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


def _assert_quiet(caplog: pytest.LogCaptureFixture, *values: str) -> None:
    """No traceback, no error and none of ``values`` in what the app logged."""
    for record in _server_side(caplog):
        text = record.getMessage()
        assert record.exc_info is None and "Traceback" not in text
        assert record.levelno < logging.ERROR, text
        assert not [v for v in values if v in text]


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


# -- The JSON API: 422 naming the field ------------------------------------------------

REFUSED = [
    # (path after /cases/{id}, the field named, the value that must not reach the log)
    ("/compliance?to=9999-12", "to", "9999-12"),
    ("/compliance?from=0001-01", "from", "0001-01"),
    ("/dispute?on=9999-12-31&as_of=2025-01-01T00:00:00Z", "on", "9999-12-31"),
    ("/entitlement?on=0001-01-01", "on", "0001-01-01"),
    ("/entitlement?as_of=0001-01-01T00:00:00%2B09:00", "as_of", "0001-01-01"),
    ("/timeline?as_of=9999-12-31T23:59:00-09:00", "as_of", "9999-12-31"),
    ("/support-report?month=0001-01", "month", "0001-01"),
    ("/support-report?month=2024-05&shared_on=9999-12-31", "shared_on", "9999-12-31"),
    ("/support-report.pdf?month=9999-12&on=9999-12-31", "on", "9999-12-31"),
]


@pytest.mark.parametrize(("path", "field", "value"), REFUSED)
def test_a_date_outside_the_calendar_range_is_refused_naming_its_field(
    client: TestClient, auth: Callable[[str], dict[str, str]], case_id: str,
    quiet: pytest.LogCaptureFixture, path: str, field: str, value: str,
) -> None:  # fmt: skip
    response = client.get(f"/cases/{case_id}{path}", headers=auth("auditor"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [problem] = response.json()["errors"]
    assert problem["field"] == field
    assert "1900" in problem["message"] and not problem["message"].isascii()
    _assert_quiet(quiet, value)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/cases?on=9999-12-31", "on"),
        (f"/offices/{OFFICE}/due?on=0001-01-01", "on"),
        (f"/offices/{OFFICE}/billing?month=9999-12", "month"),
    ],
)
def test_lists_and_office_work_refuse_a_day_or_month_outside_the_range(
    client: TestClient, auth: Callable[[str], dict[str, str]], url: str, field: str
) -> None:
    response = client.get(url, headers=auth("staff"))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("version", ["9" * 4301, '"' + "1" * 10 + '"'])
def test_an_if_match_that_is_no_short_number_is_refused_naming_if_match(
    post_event: Callable[..., httpx.Response], case_id: str,
    event_count: Callable[[str], int], quiet: pytest.LogCaptureFixture, version: str,
) -> None:  # fmt: skip
    before = event_count(case_id)
    response = post_event(case_id, "contact_recorded", headers={"If-Match": version},
                          contact_on="2024-10-01", counterpart="person", mode="phone")  # fmt: skip
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["If-Match"]
    assert event_count(case_id) == before
    _assert_quiet(quiet, version[:20])


@pytest.mark.parametrize("version", ["²", 'W/"¹²"'])
def test_an_if_match_of_digits_that_are_no_decimal_digits_is_refused_not_converted(
    version: str,
) -> None:
    # The byte 0xb2 reads as "²" (headers are latin-1): isdigit() says yes, int() raises.
    # (Called directly: the test client re-encodes such a header as UTF-8.)
    with pytest.raises(InvalidInput) as refused:
        asyncio.run(if_match(version))
    assert [p.field for p in refused.value.problems] == ["If-Match"]


def test_a_recorded_date_outside_the_range_is_refused_and_nothing_is_stored(
    post_event: Callable[..., httpx.Response], case_id: str, event_count: Callable[[str], int]
) -> None:
    # A 支給決定 "until 9999-12-31" once broke the case page (its chart reached year 10000).
    before = event_count(case_id)
    response = post_event(case_id, "decision_granted", decided_on="2024-04-01",
                          valid_from="2024-04-01", valid_to="9999-12-31")  # fmt: skip
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["valid_to"]
    assert event_count(case_id) == before


def test_the_first_and_last_days_of_the_range_are_recorded_and_read_everywhere(
    client: TestClient, auth: Callable[[str], dict[str, str]], tokens: dict[str, str],
    case_id: str, post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    decision = post_event(case_id, "decision_granted", decided_on="2024-04-01",
                          valid_from="2024-04-01", valid_to="2200-12-31")  # fmt: skip
    assert decision.status_code == 201, decision.text
    late, early = "2200-12-31T23:59:59-14:00", "1900-01-01T00:00:00%2B14:00"
    for query in [f"on=2200-12-31&as_of={late}", f"on=1900-01-01&as_of={early}"]:
        for read in ["entitlement", "compliance", "timeline", "audit", "events", "dispute"]:
            answer = client.get(f"/cases/{case_id}/{read}?{query}", headers=auth("auditor"))
            assert answer.status_code == 200, (read, query)
    assert client.get(f"/cases/{case_id}/compliance?from=1900-01&to=1909-12",
                      headers=auth("auditor")).status_code == 200  # fmt: skip
    _sign_in(client, tokens["staff"])
    assert client.get(f"/web/cases/{case_id}?on=2200-12-31").status_code == 200


# -- The staff pages: a Japanese error -------------------------------------------------


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("on=9999-12-31", "判定する日が 1900-01-01 から 2200-12-31 までの範囲外"),
        ("as_of=0001-01-01T00:00", "日時が 1900-01-01 から 2200-12-31 までの範囲外"),
        ("as_of=9999-12-31T23:59", "日時が 1900-01-01 から 2200-12-31 までの範囲外"),
    ],
)
def test_the_case_page_says_a_day_or_instant_is_out_of_range_and_shows_today(
    client: TestClient, tokens: dict[str, str], case_id: str,
    quiet: pytest.LogCaptureFixture, query: str, said: str,
) -> None:  # fmt: skip
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}?{query}")
    assert page.status_code == 200
    assert said in page.text
    _assert_quiet(quiet, query.split("=")[1])


@pytest.mark.parametrize(
    "url",
    [
        "/web/cases/{id}/dispute?as_of=0001-01-01T00:00",
        "/web/cases/{id}/dispute?as_of=2025-01-01T00:00&on=9999-12-31",
        "/web/cases/{id}/report?month=0001-01",
        "/web/cases/{id}/report?month=2024-05&shared_on=9999-12-31",
        f"/web/offices/{OFFICE}/billing?month=0001-01",
        f"/web/offices/{OFFICE}/retention?fiscal_year=1",
    ],
)
def test_a_staff_page_refuses_a_day_month_or_year_out_of_range_in_japanese(
    client: TestClient, tokens: dict[str, str], case_id: str,
    quiet: pytest.LogCaptureFixture, url: str,
) -> None:  # fmt: skip
    _sign_in(client, tokens["staff"])
    page = client.get(url.replace("{id}", case_id))
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "から" in page.text and "まで" in page.text
    _assert_quiet(quiet)


def test_a_version_of_thousands_of_digits_in_a_correction_form_is_refused_beside_the_field(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Callable[[str], int]
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}?retract=2").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    before = event_count(case_id)
    form = {"csrf": csrf, "type": "event_retracted", "target_type": "hired",
            "target_version": "9" * 4301, "reason": "誤り"}  # fmt: skip
    response = client.post(f"/web/cases/{case_id}/events", data=form)
    assert response.status_code == 422
    assert event_count(case_id) == before


# -- A failure nobody foresaw ----------------------------------------------------------


def _failing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entitlement fails with a message quoting personal data (as a real bug might)."""

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError(f"{NAME} {RECIPIENT}")

    monkeypatch.setattr(cases_router, "entitlement", broken)


def test_an_unexpected_failure_is_logged_as_one_line_with_a_request_id_and_no_traceback(
    app: FastAPI, auth: Callable[[str], dict[str, str]], case_id: str,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    _failing(monkeypatch)
    caplog.set_level(logging.DEBUG)
    # raise_server_exceptions: anything escaping the app would be raised here, as the
    # server would log it with its traceback.
    with TestClient(app, raise_server_exceptions=True) as client:
        response = client.get(f"/cases/{case_id}/entitlement?on=2025-01-01",
                              headers=auth("staff"))  # fmt: skip
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    request_id = response.headers["X-Request-ID"]
    assert response.json()["request_id"] == request_id and request_id in response.json()["detail"]
    [line] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert line.getMessage() == (
        f"unexpected RuntimeError on GET /cases/{{case_id}}/entitlement (request {request_id})"
    )
    assert line.exc_info is None
    logged = "\n".join(r.getMessage() for r in _server_side(caplog))
    assert NAME not in logged and RECIPIENT not in logged and "2025-01-01" not in logged


def test_a_running_server_logs_no_traceback_of_an_unexpected_failure(
    app: FastAPI, auth: Callable[[str], dict[str, str]], case_id: str,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    _failing(monkeypatch)
    caplog.set_level(logging.DEBUG)
    # uvicorn's loggers may not reach the root logger (its own logging config says so).
    watched = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    for logger in watched:
        logger.addHandler(caplog.handler)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        answer = httpx.get(f"http://127.0.0.1:{port}/cases/{case_id}/entitlement",
                           headers=auth("staff"))  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for logger in watched:
            logger.removeHandler(caplog.handler)
    assert answer.status_code == 500
    for record in _server_side(caplog):
        assert record.exc_info is None, record.getMessage()
        assert "Exception in ASGI application" not in record.getMessage()
        assert NAME not in record.getMessage() and RECIPIENT not in record.getMessage()
