"""Snapshots at geometric versions, and the aggregate cache's copies (issue 10).

A case's snapshot holds all its records, so snapshots are taken at versions 50, 100,
200, … (their total size stays linear in the case); the library's aggregate cache hands
each request its own copy, fast-forwarded by what other writers stored since.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.store.application import CaseLog, VersionConflict
from domain.store.persistence import geometric_snapshot
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED, STAFF


def _contact(i: int) -> dict[str, Any]:
    day = date(2024, 3, 4) + timedelta(days=i)
    return {"contact_on": day.isoformat(), "counterpart": "person", "mode": "face_to_face",
            "summary": f"第{i + 1}回 面談"}  # fmt: skip


def _record_contacts(store: CaseLog, case_id: UUID, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        store.record(case_id, "contact_recorded", _contact(i), recorded_by=STAFF)


def test_snapshots_are_due_at_fifty_and_at_every_doubling() -> None:
    due = [v for v in range(1, 1700) if geometric_snapshot(v, 50)]
    assert due == [50, 100, 200, 400, 800, 1600]


def test_a_case_of_210_events_is_snapshotted_at_50_100_and_200_without_derived_state(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    _record_contacts(store, case_id, 209)

    rows = backend.select(f"SELECT originator_version, state FROM {backend.snapshots_table}")

    assert sorted(row[0] for row in rows) == [50, 100, 200]
    for version, state in rows:
        snapshot = json.loads(backend.state_bytes(state))["state"]
        assert len(snapshot["_records"]) == version
        assert "_derived_ledger" not in snapshot
    reread = backend.open().get_case(case_id)
    assert reread.version == 210
    assert reread.records == store.get_case(case_id).records


def test_a_cached_case_is_fast_forwarded_by_another_writers_events(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    reader = backend.open()
    assert reader.get_case(case_id).version == 1  # now cached in the reader's process

    _record_contacts(store, case_id, 3)

    latest = reader.get_case(case_id)
    assert latest.version == 4
    assert [r.payload.get("summary") for r in latest.records[1:]] == [
        "第1回 面談", "第2回 面談", "第3回 面談",
    ]  # fmt: skip


def test_a_refused_write_on_a_copy_leaves_the_cached_case_as_stored(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    copy = store.get_case(case_id)
    backend.open().record(case_id, "contact_recorded", _contact(0), recorded_by="甲")

    with pytest.raises(VersionConflict):
        store.record(case_id, "contact_recorded", _contact(1), recorded_by="乙", case=copy)

    after = store.get_case(case_id)
    assert after.version == 2
    assert [r.recorded_by for r in after.records] == [STAFF, "甲"]
    assert [f.payload.summary for f in after.history().of_type("contact_recorded")] == [
        "第1回 面談"
    ]
