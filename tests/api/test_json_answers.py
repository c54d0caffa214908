"""Answers written once by orjson (api.http.answers, issue 24): the same JSON as FastAPI's
own answer, and the headers a route set on its response kept on every format."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.http.answers import carried, json_answer, json_bytes
from tests.api.conftest import OFFICE
from tests.api.test_claim_http import supported  # noqa: F401 (a fixture)

Auth = Callable[[str], dict[str, str]]


class Tier(enum.Enum):
    HIGH = "90"


class Named(BaseModel):
    name: str
    on: dt.date


@dataclasses.dataclass
class Line:
    units: int
    rate: Decimal


DOCUMENT = {
    "on": dt.date(2024, 6, 30),
    "at": dt.datetime(2024, 6, 30, 3, 0, 5, 120, tzinfo=dt.UTC),
    "case_id": UUID(int=5),
    "yen": Decimal("11.20"),
    "whole": Decimal("3"),
    "ids": {7},
    "pair": (1, "二"),
    "by_version": {3: "訂正", 4: None},
    "tier": Tier.HIGH,
    "person": Named(name="見本 太郎", on=dt.date(2024, 4, 1)),
    "lines": [Line(3, Decimal("0.5"))],
    "share": 0.1 + 0.2,
    "note_ja": "国保連への伝送形式ではありません",
}


def test_an_answer_reads_as_fastapis_own_answer_would() -> None:
    theirs = JSONResponse(jsonable_encoder(DOCUMENT)).body
    assert json.loads(json_bytes(DOCUMENT)) == json.loads(theirs)
    assert "国保連".encode() in json_bytes(DOCUMENT)  # UTF-8, not \\u escapes


def test_an_answer_keeps_the_headers_its_route_set() -> None:
    set_by_route = Response()
    del set_by_route.headers["content-length"]
    set_by_route.headers["X-Views-Behind"] = "3"
    answer = json_answer({"a": 1}, set_by_route)
    assert answer.headers["X-Views-Behind"] == "3"
    assert answer.headers["content-length"] == str(len(b'{"a":1}'))
    assert carried(Response(b"x"), None).headers.get("X-Views-Behind") is None


@pytest.mark.parametrize("path", [
    f"/offices/{OFFICE}/billing?month=2024-10",
    f"/offices/{OFFICE}/billing?month=2024-10&format=csv",
    f"/offices/{OFFICE}/retention?fiscal_year=2024",
    f"/offices/{OFFICE}/retention?fiscal_year=2024&format=csv",
    f"/offices/{OFFICE}/claim?month=2024-10",
    f"/offices/{OFFICE}/claim?month=2024-10&format=xlsx",
    f"/offices/{OFFICE}/record-sheets?month=2024-10&format=json",
    f"/offices/{OFFICE}/record-sheets?month=2024-10&format=csv",
])  # fmt: skip
def test_every_office_answer_says_how_far_the_views_are_behind(
    client: TestClient, auth: Auth, supported: str, path: str  # noqa: F811
) -> None:
    answer = client.get(path, headers=auth("staff"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Views-Behind"] == "0"
    if "format" not in path or "format=json" in path:
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()
