"""A case read in as few hops to the thread pool as it can, and the caller known first.

FastAPI runs each plain ``def`` dependency and route in its thread pool; each hop costs
about 0.15 ms and two event-loop wake-ups (issue 24). A case read authenticates inside
:func:`api.http.deps.readable_case`: two hops (the case, the route), not three. It still
refuses an unknown caller before it reads anything else of the request.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.http.schemas import (
    AuditPublic,
    CompliancePublic,
    EntitlementPublic,
    EventsPublic,
    TimelinePublic,
)
from tests.api.conftest import OFFICE

Auth = Callable[[str], dict[str, str]]
MODELS: dict[str, type[BaseModel]] = {
    "entitlement": EntitlementPublic, "compliance": CompliancePublic,
    "timeline": TimelinePublic, "events": EventsPublic, "audit": AuditPublic,
}  # fmt: skip
READS = list(MODELS)
#: The other reads of one case: each, too, writes its own answer in its route's hop.
MORE_READS = ["claim?month=2024-10", "support-report?month=2024-10", "record-sheet?month=2024-10"]


@pytest.mark.parametrize("read", READS + MORE_READS)
def test_a_case_read_takes_two_hops_to_the_thread_pool(
    client: TestClient, auth: Auth, case_id: str, hops: list[str], read: str
) -> None:
    """The case (with its caller), then the route; the answer is written by orjson in the
    route's hop, not validated against the response model in a third."""
    assert client.get(f"/cases/{case_id}/{read}", headers=auth("staff")).status_code == 200
    hops.clear()
    assert client.get(f"/cases/{case_id}/{read}", headers=auth("staff")).status_code == 200
    assert len(hops) == 2, hops


@pytest.mark.parametrize("read", READS)
def test_each_case_read_answers_what_its_openapi_model_documents(
    client: TestClient, auth: Auth, case_id: str, read: str
) -> None:
    """FastAPI no longer checks these answers against their models (orjson writes them):
    this test does, so the description and the answer cannot drift apart."""
    answer = client.get(f"/cases/{case_id}/{read}", headers=auth("staff")).json()
    documented = MODELS[read].model_validate(answer).model_dump(mode="json")
    assert {k: documented[k] for k in documented} == {k: answer[k] for k in documented}


@pytest.mark.parametrize("read", READS)
def test_an_unknown_caller_is_refused_before_the_query_is_read(
    client: TestClient, case_id: str, read: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = client.get(f"/cases/{case_id}/{read}?on=2024-13-40", headers=headers)
        assert answer.status_code == 401, (headers, answer.text)


def test_a_case_read_still_declares_its_bearer_and_its_window_in_the_openapi(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/cases/{case_id}/entitlement"]["get"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert {p["name"] for p in operation["parameters"]} >= {"case_id", "on", "as_of"}


@pytest.mark.parametrize(
    "path", ["due", "billing?month=2024-10", "retention?fiscal_year=2024"]
)
def test_an_office_read_takes_one_hop_and_says_how_far_its_views_are_behind(
    client: TestClient, auth: Auth, case_id: str, hops: list[str], path: str
) -> None:
    """The route, which writes its own answer (and carries the header); its caller, read
    in the request before, is taken as remembered without a hop (decision 0060)."""
    url = f"/offices/{OFFICE}/{path}"
    assert client.get(url, headers=auth("staff")).status_code == 200
    hops.clear()
    answer = client.get(url, headers=auth("staff"))
    assert answer.status_code == 200 and answer.headers["X-Views-Behind"] == "0"
    assert len(hops) == 1, hops
