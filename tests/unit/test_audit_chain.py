"""The hash chain check: an intact history verifies; tampering is caught and located."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.history import Recorded
from projections.audit import audit_trail, recomputed_hash, verify_chain
from tests.factories import CaseBuilder


def recorded_case() -> list[Recorded]:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-01T10:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-02T10:00:00+09:00").decision("2024-10-01", "2025-09-30")
    b.contact("2024-10-02")
    b.report("2024-10", "2024-10-02")
    b.at("2024-11-01T10:00:00+09:00").plan("2024-11-01")
    return b.records


def problems(records: list[Recorded]) -> list[tuple[int, str]]:
    return [(b["version"], b["problem"]) for b in verify_chain(records).breaks]


def test_intact_chain_verifies_and_its_head_is_the_last_hash() -> None:
    records = recorded_case()
    report = verify_chain(records)
    assert report.verified and report.breaks == []
    assert report.head == records[-1].hash
    trail = audit_trail(records).as_json()
    assert trail["verified"] and trail["head"] == records[-1].hash
    assert [e["version"] for e in trail["events"]] == [1, 2, 3, 4, 5, 6]
    assert all(e["valid"] for e in trail["events"])


def test_altered_payload_is_located_at_its_version() -> None:
    # given the decision's end moved after recording, its stored hash left as it was
    records = recorded_case()
    forged = {**records[2].payload, "valid_to": "2026-03-31"}
    records[2] = replace(records[2], payload=forged)
    # then the check fails at that version only, with a sentence for a person
    report = verify_chain(records)
    assert not report.verified
    assert problems(records) == [(3, "altered")]
    assert "第3版" in report.breaks[0]["text_ja"]
    validity = {e["version"]: e["valid"] for e in audit_trail(records).as_json()["events"]}
    assert validity == {1: True, 2: True, 3: False, 4: True, 5: True, 6: True}


def test_altered_row_with_its_hash_recomputed_breaks_the_next_link() -> None:
    records = recorded_case()
    forged = replace(records[2], payload={**records[2].payload, "valid_to": "2026-03-31"})
    records[2] = replace(forged, hash=recomputed_hash(forged))
    assert problems(records) == [(4, "broken_link")]


def test_removed_record_is_located_as_missing() -> None:
    records = recorded_case()
    del records[3]
    assert problems(records) == [(4, "missing")]
    validity = {e["version"]: e["valid"] for e in audit_trail(records).as_json()["events"]}
    assert validity[5] is False and validity[3] is True


def test_removed_first_record_is_located_as_missing() -> None:
    records = recorded_case()[1:]
    assert problems(records) == [(1, "missing")]


def test_swapped_records_are_located_as_reordered() -> None:
    records = recorded_case()
    records[2], records[3] = records[3], records[2]
    assert problems(records) == [(3, "reordered"), (4, "reordered")]
    assert not verify_chain(records).verified


def test_audit_as_of_shows_events_known_then_but_checks_the_whole_chain() -> None:
    # given a chain tampered after an instant of interest
    records = recorded_case()
    cutoff: datetime = records[2].recorded_at
    records[5] = replace(records[5], recorded_by="別人")
    trail = audit_trail(records, as_of=cutoff).as_json()
    # then only events known at the cutoff are listed, yet the tampering is reported
    assert [e["version"] for e in trail["events"]] == [1, 2, 3]
    assert trail["head"] == records[2].hash
    assert not trail["verified"]
    assert [(b["version"], b["problem"]) for b in trail["breaks"]] == [(6, "altered")]
