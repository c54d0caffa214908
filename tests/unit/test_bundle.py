"""The case bundle: exported once, verified offline; any edited byte is caught and located."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from projections.bundle import FORMAT, build_bundle, verify_bundle_bytes
from tests.factories import CaseBuilder, d


def _bundle_bytes() -> bytes:
    b = CaseBuilder(now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-02T10:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-15T10:00:00+09:00").decision("2024-10-01", "2025-09-30")
    b.contract("2024-10-01")
    b.contact("2024-10-10")
    bundle = build_bundle(
        b.case.id,
        b.records,
        exported_at=datetime(2024, 12, 1, tzinfo=UTC),
        exported_by="監査員 試験",
        on=d("2024-12-01"),
    )
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode()


def _change_byte(raw: bytes, after: bytes, new: bytes) -> bytes:
    """Replace the one byte that follows the first occurrence of ``after``."""
    i = raw.index(after) + len(after)
    changed = raw[:i] + new + raw[i + 1 :]
    assert len(changed) == len(raw) and changed != raw
    return changed


def test_exported_bundle_verifies_offline() -> None:
    raw = _bundle_bytes()
    report = verify_bundle_bytes(raw)
    assert report.ok, report.problems
    data = json.loads(raw)
    assert data["format"] == FORMAT
    assert data["head"] == data["events"][-1]["hash"]
    assert set(data["projections"]) == {"entitlement", "compliance", "timeline"}


def test_one_byte_changed_in_an_event_is_rejected_at_that_version() -> None:
    # Given the hire date's last digit changed in the file
    bad = _change_byte(_bundle_bytes(), b'"hired_on": "2024-04-0', b"2")
    # When verified
    report = verify_bundle_bytes(bad)
    locations = {p["location"]: p["problem"] for p in report.problems}
    # Then the bundle is rejected, the altered event is named, and the stale projection too
    assert not report.ok
    assert locations["events[version=2]"] == "altered"
    assert locations["projections.entitlement.base_date"] == "projection_mismatch"


def test_one_byte_changed_outside_the_events_is_located_by_section() -> None:
    # Given the exporter's name edited by one byte ("試" is 3 bytes: change its last)
    raw = _bundle_bytes()
    i = raw.index('"exported_by": "監査員 '.encode()) + len('"exported_by": "監査員 '.encode())
    bad = raw[: i + 2] + bytes([raw[i + 2] ^ 0x01]) + raw[i + 3 :]
    report = verify_bundle_bytes(bad)
    locations = [p["location"] for p in report.problems]
    assert not report.ok
    assert "exported_by" in locations
    assert "bundle_hash" in locations


def test_a_byte_that_breaks_the_json_is_reported_with_its_position() -> None:
    raw = _bundle_bytes()
    bad = _change_byte(raw, b'"format"', b";")
    line = raw[: raw.index(b'"format"')].count(b"\n") + 1
    report = verify_bundle_bytes(bad)
    assert not report.ok
    assert report.problems[0]["problem"] == "unreadable"
    assert report.problems[0]["location"].startswith(f"line {line} ")


def test_a_projection_edited_with_its_hashes_recomputed_is_still_caught() -> None:
    # Given a forger who changes eligible_from and recomputes every hash in the file
    from projections.bundle import _section_hashes, sha256_of

    data = json.loads(_bundle_bytes())
    data["projections"]["entitlement"]["eligible_from"] = "2024-09-01"
    data["section_hashes"] = _section_hashes(data)
    data["bundle_hash"] = sha256_of({k: v for k, v in data.items() if k != "bundle_hash"})
    report = verify_bundle_bytes(json.dumps(data).encode())
    # Then re-deriving from the events exposes the field
    assert [p["location"] for p in report.problems] == ["projections.entitlement.eligible_from"]
