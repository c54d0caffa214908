"""Fuzzing the HTTP surface from its own OpenAPI description (schemathesis + hypothesis).

Every operation is called with generated parameters and bodies, each request as each role (staff of
the case's office, staff of another office, auditor, admin, and no token): no answer may
be a 5xx, and every answer must match the schema the OpenAPI document gives for its
status. Path parameters are pointed at a real case and office, so reads reach the
projections rather than stopping at 404. ``make test`` runs a few examples per operation
and role; ``make fuzz`` runs many (``TEICHAKU_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.settings import Settings
from domain.store.application import CaseLog
from tests.api.conftest import MEMORY, OFFICE

EXAMPLES = int(os.environ.get("TEICHAKU_FUZZ_EXAMPLES", "3"))
ROLES = ["staff", "other_staff", "auditor", "admin", None]
CHECKS = [not_a_server_error, response_schema_conformance]


def _openapi() -> dict[str, Any]:
    """The OpenAPI document, from an app on a throwaway store (the tests call their own)."""
    cases = CaseLog(env=MEMORY)
    try:
        return create_app(Settings(database_url="sqlite:///:memory:"), cases=cases).openapi()
    finally:
        cases.close()


# Not schemathesis.pytest.from_fixture: its lazy loader breaks on pytest 9 (a private
# attribute of the test node). Each test passes its own app to the call instead.
schema = schemathesis.openapi.from_dict(_openapi())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_5xx_or_an_answer_off_its_schema(
    case: Any, app: FastAPI, tokens: dict[str, str], case_id: str
) -> None:
    if "case_id" in (case.path_parameters or {}):
        case.path_parameters["case_id"] = case_id
    if "office_id" in (case.path_parameters or {}):
        case.path_parameters["office_id"] = OFFICE
    for role in ROLES:  # the same request as each role, and with no token
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def test_an_integer_beyond_64_bits_is_refused_with_its_field_not_a_5xx(
    case_id: str, post_event: Any, event_count: Any
) -> None:
    """Found by the fuzzer: the request's digest (and the store) encode 64-bit integers only."""
    huge = -(2**63) - 1
    refused = post_event(case_id, "event_corrected", as_="admin", target_version=2,
                         reason="訂正", replacement={"weekly_hours": huge})  # fmt: skip

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "replacement.weekly_hours"
    assert event_count(case_id) == 2
