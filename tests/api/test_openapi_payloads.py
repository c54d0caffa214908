"""The POST bodies in OpenAPI: one schema per event type, a discriminated union on ``type``,
generated from the same models that validate them, so what the schema allows is what the
API accepts, while a refused body keeps the domain's Japanese ``errors``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from domain.payloads import PAYLOADS, SYSTEM_TYPES
from tests.integration.sample import EVENTS, OPENED

REF = "#/components/schemas/"


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def _valid(spec: dict[str, Any], name: str, body: Any) -> bool:
    document = {"components": spec["components"], "$ref": REF + name}
    return bool(jsonschema_rs.validator_for(document).is_valid(body))


def _body_ref(spec: dict[str, Any], path: str) -> str:
    body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return str(body["$ref"])


def test_the_post_bodies_name_their_schemas(spec: dict[str, Any]) -> None:
    assert _body_ref(spec, "/cases") == REF + "CaseOpenedCreate"
    assert _body_ref(spec, "/cases/{case_id}/events") == REF + "EventCreate"


def test_every_event_type_but_opening_has_its_own_schema_chosen_by_type(
    spec: dict[str, Any],
) -> None:
    union = spec["components"]["schemas"]["EventCreate"]
    mapping = union["discriminator"]["mapping"]

    assert union["discriminator"]["propertyName"] == "type"
    assert set(mapping) == set(PAYLOADS) - {"case_opened"} - SYSTEM_TYPES
    for event_type, ref in mapping.items():
        member = spec["components"]["schemas"][ref.removeprefix(REF)]
        assert member["properties"]["type"]["const"] == event_type
        assert "type" in member["required"]


def test_every_sample_payload_fits_its_schema_and_a_wrong_one_does_not(
    spec: dict[str, Any],
) -> None:
    assert _valid(spec, "CaseOpenedCreate", OPENED)
    assert _valid(spec, "CaseOpenedCreate", {**OPENED, "type": "case_opened"})
    for event_type, payload in EVENTS:
        assert _valid(spec, "EventCreate", {"type": event_type, **payload}), event_type

    contact = dict(EVENTS)["contact_recorded"]
    assert not _valid(spec, "EventCreate", {"type": "hired", **contact})  # another type's body
    assert not _valid(spec, "EventCreate", {"type": "contact_recorded", **contact, "x": 1})
    assert not _valid(spec, "CaseOpenedCreate", {**OPENED, "recipient_number": "123"})


def test_a_body_off_the_schema_is_still_refused_by_the_domain_in_japanese(
    case_id: str, post_event: Callable[..., httpx.Response]
) -> None:
    refused = post_event(case_id, "hired", employer={"name": "株式会社サンプル"})

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["hired_on"]
