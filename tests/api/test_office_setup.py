"""The office's 体制 as events (issue 22): admins record, readers read as of any instant,
the chain covers the office's events, and the notified tier is checked against RATE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OFFICE, OTHER_OFFICE, Clock

Auth = Callable[[str], dict[str, str]]
REGISTER = {"type": "office_registered", "name": "テスト定着支援", "designated_on": "2019-04-01"}


def post(client: TestClient, auth: Auth, body: dict[str, Any], as_: str = "admin",
         office: str = OFFICE) -> Any:  # fmt: skip
    return client.post(f"/offices/{office}/events", json=body, headers=auth(as_))


def test_only_admins_record_the_office_and_staff_read_only_their_own(
    client: TestClient, auth: Auth
) -> None:
    assert post(client, auth, REGISTER, "staff").status_code == 403
    assert post(client, auth, REGISTER, "auditor").status_code == 403
    assert post(client, auth, REGISTER).status_code == 201
    assert client.get(f"/offices/{OFFICE}/setup", headers=auth("staff")).status_code == 200
    assert client.get(f"/offices/{OFFICE}/setup", headers=auth("auditor")).status_code == 200
    assert client.get(f"/offices/{OFFICE}/setup", headers=auth("other_staff")).status_code == 403
    assert client.get(f"/offices/{OFFICE}/events", headers=auth("other_staff")).status_code == 403


def test_bad_input_is_422_with_field_names_and_nothing_stored(
    client: TestClient, auth: Auth
) -> None:
    first = post(client, auth, {"type": "tier_notified", "fiscal_year": 2024,
                                "tier_percent": 90, "notified_on": "2024-04-01"})  # fmt: skip
    assert first.status_code == 422 and first.json()["errors"][0]["field"] == "type"
    assert post(client, auth, REGISTER).status_code == 201
    bad = post(client, auth, {"type": "tier_notified", "fiscal_year": 2024, "tier_percent": 91,
                              "notified_on": "2024-04-01"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "tier_percent"
    treat = post(client, auth, {"type": "addon_notified", "addon": "treatment",
                                "from_month": "2024-06", "notified_on": "2024-05-01"})  # fmt: skip
    assert treat.status_code == 422
    future = post(client, auth, {"type": "tier_notified", "fiscal_year": 2024, "tier_percent": 90,
                                 "notified_on": "2030-04-01"})  # fmt: skip
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "notified_on"
    assert client.get("/offices/12/setup", headers=auth("admin")).status_code == 422
    assert client.get(f"/offices/{OFFICE}/setup?as_of=yesterday",
                      headers=auth("admin")).status_code == 422  # fmt: skip
    events = client.get(f"/offices/{OFFICE}/events", headers=auth("admin")).json()["events"]
    assert len(events) == 1


def test_a_correction_changes_the_facts_and_as_of_reads_the_first_version(
    client: TestClient, auth: Auth, clock: Clock
) -> None:
    post(client, auth, REGISTER)
    tier = post(client, auth, {"type": "tier_notified", "fiscal_year": 2024, "tier_percent": 90,
                               "notified_on": "2024-04-01"}).json()  # fmt: skip
    before = tier["recorded_at"]
    fixed = post(client, auth, {"type": "event_corrected", "target_version": tier["version"],
                                "reason": "届出の写し違い",
                                "replacement": {"fiscal_year": 2024, "tier_percent": 80,
                                                "notified_on": "2024-04-01"}})  # fmt: skip
    assert fixed.status_code == 201
    now = client.get(f"/offices/{OFFICE}/setup", headers=auth("auditor")).json()
    then = client.get(f"/offices/{OFFICE}/setup", params={"as_of": before},
                      headers=auth("auditor")).json()  # fmt: skip
    tier_now = next(f for f in now["facts"] if f["type"] == "tier_notified")
    tier_then = next(f for f in then["facts"] if f["type"] == "tier_notified")
    assert tier_now["payload"]["tier_percent"] == 80 and tier_now["events"] == [2, 3]
    assert tier_then["payload"]["tier_percent"] == 90 and tier_then["events"] == [2]
    retracted = post(client, auth, {"type": "event_retracted", "target_version": 2,
                                    "reason": "重複"})  # fmt: skip
    assert retracted.status_code == 201
    after = client.get(f"/offices/{OFFICE}/setup", headers=auth("admin")).json()
    assert not [f for f in after["facts"] if f["type"] == "tier_notified"]
    assert after["retracted"] == [{"version": 2, "reason": "重複"}]


def test_office_events_are_hash_chained_like_a_case(client: TestClient, auth: Auth) -> None:
    post(client, auth, REGISTER)
    post(client, auth, {"type": "unit_price_set", "yen_per_unit": "10.70", "from_month": "2024-04"})
    body = client.get(f"/offices/{OFFICE}/events", headers=auth("auditor")).json()
    first, second = body["events"]
    assert first["previous_hash"] == "0" * 64 and second["previous_hash"] == first["hash"]
    assert body["chain_ok"] is True


def test_the_notified_tier_is_shown_beside_the_computed_one_with_a_warning(
    client: TestClient, auth: Auth, open_case: Callable[..., str]
) -> None:
    from tests.api.test_offices import _supported_case  # one supported, employed person

    _supported_case(client, auth, open_case)
    post(client, auth, REGISTER)
    post(client, auth, {"type": "tier_notified", "fiscal_year": 2025, "tier_percent": 50,
                        "notified_on": "2025-04-01"})  # fmt: skip
    body = client.get(f"/offices/{OFFICE}/setup", headers=auth("staff")).json()
    check = next(c for c in body["tier_checks"] if c["fiscal_year"] == 2025)
    assert check["rule"] == "RATE" and check["notified_tier_percent"] == 50
    assert check["computed_tier_percent"] == 95  # 1 of 1 retained
    assert check["warning"] is True and "違います" in check["warning_ja"]


@pytest.mark.parametrize("office", [OTHER_OFFICE])
def test_an_office_without_events_reads_as_not_registered(
    client: TestClient, auth: Auth, office: str
) -> None:
    body = client.get(f"/offices/{office}/setup", headers=auth("auditor")).json()
    assert body["registered"] is False and body["facts"] == []


def test_the_demo_office_setup_records_once_and_reads_back(
    client: TestClient, auth: Auth, cases: Any
) -> None:
    from datetime import date

    from api.demo.office_setup import record_office_setup

    assert record_office_setup(cases, date(2025, 6, 1)) == 5
    assert record_office_setup(cases, date(2025, 6, 1)) == 0
    body = client.get(f"/offices/{OFFICE}/setup", headers=auth("auditor")).json()
    tiers = {f["payload"]["fiscal_year"]: f["payload"]["tier_percent"]
             for f in body["facts"] if f["type"] == "tier_notified"}  # fmt: skip
    assert body["registered"] and tiers == {2024: 80, 2025: 70}


def test_a_correction_into_the_future_or_of_the_office_number_is_refused(
    client: TestClient, auth: Auth
) -> None:
    post(client, auth, REGISTER)
    future = post(client, auth, {"type": "event_corrected", "target_version": 1, "reason": "誤り",
                                 "replacement": {"office_id": OFFICE, "name": "新",
                                                 "designated_on": "2030-01-01"}})  # fmt: skip
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "replacement.designated_on"
    moved = post(client, auth, {"type": "event_corrected", "target_version": 1, "reason": "誤り",
                                "replacement": {"office_id": OTHER_OFFICE, "name": "新",
                                                "designated_on": "2019-04-01"}})  # fmt: skip
    assert moved.status_code == 422
    assert post(client, auth, {"type": "event_retracted", "target_version": 1,
                               "reason": "誤り"}).status_code == 422  # fmt: skip
    renamed = post(client, auth, {"type": "event_corrected", "target_version": 1, "reason": "改称",
                                  "replacement": {"office_id": OFFICE, "name": "新しい名前",
                                                  "designated_on": "2019-04-01"}})  # fmt: skip
    assert renamed.status_code == 201
    body = client.get(f"/offices/{OFFICE}/setup", headers=auth("staff")).json()
    assert body["name"] == "新しい名前"
