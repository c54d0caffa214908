"""Reading through the API: events, timeline, entitlement, compliance, audit, lists, rules."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from tests.api.conftest import OFFICE, Clock
from tests.factories import OTHER_OFFICE

Post = Callable[..., httpx.Response]
Auth = Callable[[str], dict[str, str]]
CONTACT = {"contact_on": "2024-10-10", "counterpart": "person", "mode": "face_to_face"}


def supported_case(open_case: Callable[..., str], post_event: Post) -> str:
    """Opened 2024-03-01, hired 2024-04-01, decision and contract from 2024-10-01."""
    case_id = open_case("2024-03-01")
    post_event(case_id, "hired", hired_on="2024-04-01", employer={"name": "株式会社サンプル"})
    post_event(case_id, "decision_granted", decided_on="2024-09-20",
               valid_from="2024-10-01", valid_to="2025-09-30")  # fmt: skip
    post_event(case_id, "contract_signed", signed_on="2024-10-01", support_from="2024-10-01")
    post_event(case_id, "contact_recorded", **CONTACT)
    return case_id


def test_events_are_listed_in_recorded_order_with_the_fixed_keys(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    events = client.get(f"/cases/{case_id}/events", headers=auth("staff")).json()["events"]

    assert [(e["version"], e["type"]) for e in events] == [(1, "case_opened"), (2, "hired")]
    assert set(events[0]) == {"version", "type", "recorded_at", "recorded_by", "payload"}
    assert events[0]["payload"]["person"]["name"] == "試験 花子"  # Japanese round-trips


def test_as_of_answers_as_the_system_knew_it_then(
    client: TestClient, auth: Auth, open_case: Callable[..., str], post_event: Post, clock: Clock
) -> None:
    clock.set("2025-06-02T10:00:00+09:00")
    case_id = open_case("2024-03-01")
    clock.set("2025-06-03T10:00:00+09:00")
    post_event(case_id, "hired", hired_on="2024-04-01", employer={"name": "株式会社サンプル"})

    url = f"/cases/{case_id}/entitlement?on=2025-06-02&as_of=2025-06-02T23:59:59%2B09:00"
    before = client.get(url, headers=auth("auditor")).json()
    after = client.get(f"/cases/{case_id}/entitlement?on=2025-06-02", headers=auth("auditor"))
    events = client.get(f"/cases/{case_id}/events?as_of=2025-06-02T23:59:59Z",
                        headers=auth("auditor")).json()["events"]  # fmt: skip

    assert before["status"] == "not_employed" and before["base_date"] is None
    assert after.json()["base_date"] == "2024-04-01"
    assert [e["version"] for e in events] == [1]


def test_an_unencoded_plus_in_as_of_is_read_as_the_offset(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    response = client.get(f"/cases/{case_id}/events?as_of=2030-01-01T00:00:00+09:00",
                          headers=auth("staff"))  # fmt: skip

    assert response.status_code == 200 and len(response.json()["events"]) == 2


def test_entitlement_has_the_api_shape_with_rules_and_sources(
    client: TestClient, auth: Auth, open_case: Callable[..., str], post_event: Post
) -> None:
    case_id = supported_case(open_case, post_event)

    body = client.get(f"/cases/{case_id}/entitlement?on=2025-01-15", headers=auth("staff")).json()

    assert body["base_date"] == "2024-04-01" and body["eligible_from"] == "2024-10-01"
    assert body["status"] == "in_support"
    assert body["decisions"][0]["valid_from"] == "2024-10-01"
    assert {"rule", "text_ja", "events"} <= set(body["explanation"][0])
    assert any(e["rule"] == "ELIG-3" for e in body["explanation"])


def test_on_defaults_to_today_in_tokyo_from_the_injected_clock(
    client: TestClient, auth: Auth, open_case: Callable[..., str], post_event: Post
) -> None:
    case_id = supported_case(open_case, post_event)

    body = client.get(f"/cases/{case_id}/entitlement", headers=auth("staff")).json()

    assert body["on"] == "2025-06-02"


def test_compliance_answers_the_requested_months(
    client: TestClient, auth: Auth, open_case: Callable[..., str], post_event: Post
) -> None:
    case_id = supported_case(open_case, post_event)

    url = f"/cases/{case_id}/compliance?from=2024-10&to=2024-11&on=2025-01-15"
    body = client.get(url, headers=auth("staff")).json()

    assert [m["month"] for m in body["months"]] == ["2024-10", "2024-11"]
    assert body["months"][0]["face_to_face"] == 1 and body["months"][1]["face_to_face"] == 0
    assert body["months"][1]["billable"] is False
    assert {"last_revised_on", "review_due_by", "overdue"} <= set(body["plan"])
    assert body["consent_violations"] == []


def test_timeline_lists_events_and_derived_milestones(
    client: TestClient, auth: Auth, open_case: Callable[..., str], post_event: Post
) -> None:
    case_id = supported_case(open_case, post_event)

    entries = client.get(f"/cases/{case_id}/timeline?on=2025-01-15",
                         headers=auth("staff")).json()["entries"]  # fmt: skip

    assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)
    assert any(e.get("version") == 2 for e in entries)
    assert any("version" not in e or e.get("version") is None for e in entries)
    assert all(e["label_ja"] for e in entries)


def test_audit_shows_the_hash_chain_and_verifies_it(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    body = client.get(f"/cases/{case_id}/audit", headers=auth("auditor")).json()

    first, second = body["events"]
    assert first["previous_hash"] == "0" * 64 and second["previous_hash"] == first["hash"]
    assert body["verified"] is True and body["head"] == second["hash"]


def test_case_list_shows_summaries_without_personal_data(
    client: TestClient, auth: Auth, case_id: str
) -> None:
    response = client.get("/cases", headers=auth("staff"))

    (summary,) = response.json()["cases"]
    assert summary["case_id"] == case_id and summary["office_id"] == OFFICE
    assert summary["opened_on"] == "2024-03-01" and summary["status"] == "eligible_no_decision"
    assert "1234567890" not in response.text and "試験 花子" not in response.text


def test_staff_list_their_office_only_while_auditors_list_every_office(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    mine = open_case()
    theirs = open_case(as_="other_staff", office_id=OTHER_OFFICE)

    def listed(who: str, query: str = "") -> list[str]:
        cases = client.get(f"/cases{query}", headers=auth(who)).json()["cases"]
        return [c["case_id"] for c in cases]

    assert listed("staff") == [mine]
    assert listed("auditor") == [mine, theirs]
    assert listed("admin", f"?office_id={OTHER_OFFICE}") == [theirs]


def test_case_list_filters_by_status(
    client: TestClient, auth: Auth, open_case: Callable[..., str], post_event: Post
) -> None:
    employed = supported_case(open_case, post_event)
    open_case()

    def listed(status: str) -> list[str]:
        response = client.get(f"/cases?status={status}&on=2025-01-15", headers=auth("staff"))
        return [c["case_id"] for c in response.json()["cases"]]

    assert listed("in_support") == [employed]
    assert len(listed("not_employed")) == 1
    assert client.get("/cases?status=happy", headers=auth("staff")).status_code == 422


def test_rules_catalogue_lists_every_rule_with_its_source(client: TestClient, auth: Auth) -> None:
    rules = client.get("/rules", headers=auth("staff")).json()["rules"]

    by_id = {r["id"]: r for r in rules}
    assert by_id["ELIG-3"]["source"] and by_id["ELIG-3"]["title_ja"]
    assert by_id["JOB-2"]["interpretive"] is True and by_id["CAL-1"]["interpretive"] is False


def test_openapi_describes_the_endpoints_in_japanese(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    post = spec["paths"]["/cases/{case_id}/events"]["post"]
    assert "記録" in post["description"] and post["tags"] == ["ケース"]
    assert {"/cases", "/cases/{case_id}/entitlement", "/rules"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
