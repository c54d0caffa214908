"""No request can poison a case (issue 23): a body over the limit, a list or a text over its
maximum, an oversize correction or web form is refused before any work; the case keeps
exactly its events and the server answers the next request as usual."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import DEFAULT_MAX_BODY_BYTES, Settings
from domain import payloads as p
from domain.store.application import CaseLog
from tests.api.test_web import _csrf, _sign_in
from tests.integration.sample import EVENTS

Post = Callable[..., httpx.Response]
Count = Callable[[str], int]
Auth = Callable[[str], dict[str, str]]

LIMIT = DEFAULT_MAX_BODY_BYTES
CHUNK = 65_536
CONTACT = {"contact_on": "2024-05-01", "counterpart": "person", "mode": "face_to_face"}


def _poison() -> bytes:
    """A contact sharing ~1.5 MB of short distinct items: before issue 23 it was stored."""
    items = [f"i{n}" for n in range(LIMIT // 4)]
    body = orjson.dumps({"type": "contact_recorded", **CONTACT, "information_shared": items})
    assert len(body) > LIMIT
    return body


def _headers(auth: Auth, **extra: str) -> dict[str, str]:
    return {**auth("staff"), "Content-Type": "application/json", **extra}


def _answers_the_next_request(case_id: str, post_event: Post, event_count: Count) -> None:
    before = event_count(case_id)
    assert post_event(case_id, "contact_recorded", **CONTACT).status_code == 201
    assert event_count(case_id) == before + 1


def _is_too_large_problem(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/body-too-large"
    assert (problem["title"], problem["status"]) == ("送信内容が大きすぎます", 413)
    assert f"{LIMIT:,} バイトまで" in problem["detail"]


# -- the body --------------------------------------------------------------------------


def test_a_body_over_the_limit_with_its_length_is_refused_413_and_the_case_keeps_its_events(
    client: TestClient, auth: Auth, case_id: str, post_event: Post, event_count: Count
) -> None:
    before = event_count(case_id)
    body = _poison()

    refused = client.post(f"/cases/{case_id}/events", content=body, headers=_headers(auth))

    assert refused.request.headers["content-length"] == str(len(body))
    _is_too_large_problem(refused)
    assert event_count(case_id) == before
    _answers_the_next_request(case_id, post_event, event_count)


def test_a_chunked_body_over_the_limit_without_a_length_is_refused_413_too(
    client: TestClient, auth: Auth, case_id: str, post_event: Post, event_count: Count
) -> None:
    before = event_count(case_id)
    body = _poison()

    def chunks() -> Iterator[bytes]:
        yield from (body[i : i + CHUNK] for i in range(0, len(body), CHUNK))

    refused = client.post(f"/cases/{case_id}/events", content=chunks(), headers=_headers(auth))

    assert "content-length" not in refused.request.headers
    assert refused.request.headers["transfer-encoding"] == "chunked"
    _is_too_large_problem(refused)
    assert event_count(case_id) == before
    _answers_the_next_request(case_id, post_event, event_count)


def test_a_streamed_body_is_read_only_up_to_the_first_chunk_past_the_limit(
    app: FastAPI, tokens: dict[str, str], case_id: str, post_event: Post, event_count: Count
) -> None:
    # Given a server that hands over a chunked body 64 KiB at a time (no Content-Length)
    body = _poison()
    pieces = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    read: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        read.append(len(read))
        more = len(read) < len(pieces)
        return {"type": "http.request", "body": pieces[len(read) - 1], "more_body": more}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"authorization", f"Bearer {tokens['staff']}".encode()),
        (b"content-type", b"application/json"),
        (b"transfer-encoding", b"chunked"),
    ]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": f"/cases/{case_id}/events",
             "raw_path": f"/cases/{case_id}/events".encode(), "root_path": "",
             "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80)}  # fmt: skip
    before = event_count(case_id)

    # When the app is called with it
    anyio.run(app, scope, receive, send)

    # Then it stopped reading at the first chunk past the limit and answered 413
    assert len(read) == LIMIT // CHUNK + 1 < len(pieces)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert event_count(case_id) == before
    _answers_the_next_request(case_id, post_event, event_count)


def test_the_limit_is_the_setting_teichaku_max_body_bytes(
    monkeypatch: pytest.MonkeyPatch, cases: CaseLog, auth: Auth, case_id: str,
    event_count: Count,
) -> None:  # fmt: skip
    monkeypatch.setenv("TEICHAKU_MAX_BODY_BYTES", "4096")
    small = TestClient(create_app(Settings(database_url="sqlite:///:memory:"), cases=cases))
    note = {"type": "contact_recorded", **CONTACT, "summary": "面談" * 1000}  # ~6 KB
    before = event_count(case_id)

    refused = small.post(f"/cases/{case_id}/events", json=note, headers=auth("staff"))

    assert refused.status_code == 413
    assert "4,096 バイトまで" in refused.json()["detail"]
    assert event_count(case_id) == before
    fits = small.post(f"/cases/{case_id}/events", json={"type": "contact_recorded", **CONTACT},
                      headers=auth("staff"))  # fmt: skip
    assert fits.status_code == 201


# -- lists, texts and corrections ------------------------------------------------------

SAMPLE = dict(EVENTS)
#: (event type, list field, its maximum): every list of every payload.
LISTS = [
    ("consent_given", "parties", p.PARTIES_MAX),
    ("consent_given", "information", p.INFORMATION_MAX),
    ("contact_recorded", "information_shared", p.INFORMATION_MAX),
    ("case_meeting_held", "parties", p.PARTIES_MAX),
    ("case_meeting_held", "information_shared", p.INFORMATION_MAX),
    ("plan_revised", "goals", p.GOALS_MAX),
    ("support_report_shared", "shared_with", p.RECIPIENTS_MAX),
]


@pytest.mark.parametrize(("event_type", "field", "maximum"), LISTS)
def test_a_list_over_its_maximum_is_refused_by_its_length_alone(
    event_type: str, field: str, maximum: int,
    case_id: str, post_event: Post, event_count: Count,
) -> None:  # fmt: skip
    before = event_count(case_id)
    # 100,000 empty items: read one by one they would be 100,000 errors, not one
    payload = {**SAMPLE[event_type], field: [""] * 100_000}

    refused = post_event(case_id, event_type, **payload)

    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": field, "message": f"多すぎます({maximum}件まで)"}]
    assert event_count(case_id) == before
    _answers_the_next_request(case_id, post_event, event_count)


def test_a_list_at_its_maximum_is_recorded_and_one_item_more_is_refused(
    case_id: str, post_event: Post, event_count: Count
) -> None:
    items = [f"情報{n}" for n in range(p.INFORMATION_MAX + 1)]

    assert post_event(case_id, "contact_recorded", **CONTACT,
                      information_shared=items[:-1]).status_code == 201  # fmt: skip
    before = event_count(case_id)
    refused = post_event(case_id, "contact_recorded", **CONTACT, information_shared=items)

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "information_shared"
    assert event_count(case_id) == before


@pytest.mark.parametrize(
    ("field", "maximum"), [("summary", p.NOTE_MAX), ("place", p.NAME_MAX), ("party", p.NAME_MAX)]
)
def test_a_text_at_its_maximum_is_recorded_and_one_character_more_is_refused_beside_it(
    field: str, maximum: int, case_id: str, post_event: Post, event_count: Count
) -> None:
    assert post_event(case_id, "contact_recorded", **CONTACT,
                      **{field: "あ" * maximum}).status_code == 201  # fmt: skip
    before = event_count(case_id)

    refused = post_event(case_id, "contact_recorded", **CONTACT, **{field: "あ" * (maximum + 1)})

    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": field, "message": f"長すぎます({maximum:,}文字まで)"}
    ]
    assert event_count(case_id) == before
    _answers_the_next_request(case_id, post_event, event_count)


def test_thousands_of_unknown_fields_are_answered_with_the_first_problems_and_a_count(
    case_id: str, post_event: Post, event_count: Count
) -> None:
    before = event_count(case_id)
    unknown = {f"x{n}": 0 for n in range(10_000)}

    refused = post_event(case_id, "contact_recorded", **CONTACT, **unknown)

    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert len(errors) == p.MAX_PROBLEMS + 1
    assert errors[0] == {"field": "x0", "message": "この項目は受け付けていません"}
    assert errors[-1] == {"field": "(payload)", "message": "ほかに 9,950 件の誤りがあります"}
    assert event_count(case_id) == before
    _answers_the_next_request(case_id, post_event, event_count)


MEETING = {"held_on": "2024-05-10", "parties": ["本人", "人事課 鈴木"], "information_shared": []}


def _meeting_at_every_maximum() -> dict[str, Any]:
    """The largest payload a correction can replace: a case meeting with everything full."""
    line = "あ" * (p.NAME_MAX - 4)
    return {**MEETING, "person_attended": True,
            "parties": [f"{n:04d}{line}" for n in range(p.PARTIES_MAX)],
            "information_shared": [f"{n:04d}{line}" for n in range(p.INFORMATION_MAX)],
            "summary": "い" * p.NOTE_MAX}  # fmt: skip


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ({**MEETING, "information_shared": ["ab"] * 20_000},
         f"大きすぎます(文字数と値の数の合計で{p.REPLACEMENT_SIZE_MAX:,}まで)"),
        ({**MEETING, **{f"x{n}": n for n in range(p.REPLACEMENT_KEYS_MAX)}},
         f"項目が多すぎます({p.REPLACEMENT_KEYS_MAX}項目まで)"),
    ],
    ids=["size", "keys"],
)  # fmt: skip
def test_an_oversize_correction_is_refused_whole_while_the_largest_real_one_is_recorded(
    replacement: dict[str, Any], message: str,
    case_id: str, post_event: Post, event_count: Count,
) -> None:  # fmt: skip
    meeting = post_event(case_id, "case_meeting_held", **MEETING)
    assert meeting.status_code == 201, meeting.text
    target = meeting.json()["version"]
    before = event_count(case_id)

    refused = post_event(case_id, "event_corrected", target_version=target, reason="誤記",
                         replacement=replacement)  # fmt: skip

    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "replacement", "message": message}]
    assert event_count(case_id) == before
    largest = post_event(case_id, "event_corrected", target_version=target, reason="誤記",
                         replacement=_meeting_at_every_maximum())  # fmt: skip
    assert largest.status_code == 201, largest.text


# -- the web forms and the OpenAPI document ---------------------------------------------


def test_an_oversize_web_form_is_refused_with_a_japanese_page_and_stores_nothing(
    client: TestClient, tokens: dict[str, str], case_id: str, event_count: Count
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    lines = "\n".join(f"項目{n}" for n in range(LIMIT // 8))  # distinct lines, > 1 MB
    form = {"csrf": _csrf(page), "type": "contact_recorded", **CONTACT, "information_shared": lines}
    before = event_count(case_id)

    refused = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)

    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "送信内容が大きすぎます" in refused.text and f"{LIMIT:,} バイトまで" in refused.text
    assert event_count(case_id) == before
    assert client.get(f"/web/cases/{case_id}").status_code == 200


def _request_schemas(schemas: dict[str, Any]) -> set[str]:
    """The two POST bodies and every schema they refer to."""
    found: set[str] = set()
    pending: list[Any] = [{"$ref": "/CaseOpenedCreate"}, {"$ref": "/EventCreate"}]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending += item
        elif isinstance(item, dict):
            name = str(item.get("$ref", "")).rsplit("/", 1)[-1]
            if name and name not in found:
                found.add(name)
                pending.append(schemas[name])
            pending += list(item.values())
    return found


def _unbounded(kind: dict[str, Any]) -> bool:
    bounded_text = {"maxLength", "pattern", "format", "const", "enum"} & set(kind)
    return (
        (kind.get("type") == "array" and "maxItems" not in kind)
        or (kind.get("type") == "object" and not {"maxProperties", "properties"} & set(kind))
        or (kind.get("type") == "string" and not bounded_text)
    )


def test_every_list_text_and_replacement_of_the_post_bodies_has_a_maximum_in_openapi(
    client: TestClient,
) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    bodies = _request_schemas(schemas)
    unbounded = [
        f"{name}.{field}"
        for name in sorted(bodies)
        for field, prop in schemas[name].get("properties", {}).items()
        for kind in prop.get("anyOf", [prop])
        if _unbounded(kind)
    ]
    assert {"ContactRecordedCreate", "Employer", "Person"} <= bodies
    assert unbounded == []
    contact = schemas["ContactRecordedCreate"]["properties"]
    assert contact["information_shared"]["maxItems"] == p.INFORMATION_MAX
    assert contact["summary"]["anyOf"][0]["maxLength"] == p.NOTE_MAX
