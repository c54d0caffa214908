"""Snapshots: a long case is stored with a snapshot every 50 versions, and loading it
from the snapshot gives exactly the events that a full replay of the stored events gives."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.case import Case
from domain.history import Recorded
from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED, STAFF


def _record_contacts(store: CaseLog, case_id: UUID, count: int) -> None:
    first = date(2024, 3, 4)
    for i in range(count):
        payload = {
            "contact_on": (first + timedelta(days=7 * i)).isoformat(),
            "counterpart": "person",
            "mode": "face_to_face",
            "summary": f"第{i + 1}回 面談。職場の人間関係について相談。",
        }
        store.record(case_id, "contact_recorded", payload, recorded_by=STAFF)


def _full_replay(store: CaseLog, case_id: UUID, upto: int | None = None) -> list[Recorded]:
    """The case rebuilt from every stored event (no snapshot), up to version ``upto``."""
    aggregate: Any = None
    for event in store.events.get(case_id, lte=upto):
        aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
    assert isinstance(aggregate, Case)
    return aggregate.records


def test_long_case_is_snapshotted_at_version_fifty(backend: Backend, store: CaseLog) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    _record_contacts(store, case_id, 59)

    rows = backend.select(f"SELECT originator_version, state FROM {backend.snapshots_table}")

    assert [row[0] for row in rows] == [50]
    snapshot = json.loads(backend.state_bytes(rows[0][1]))
    assert len(snapshot["state"]["_records"]) == 50
    assert snapshot["state"]["_records"][-1]["version"] == 50


def test_case_loaded_from_snapshot_equals_full_replay(backend: Backend, store: CaseLog) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    _record_contacts(store, case_id, 59)
    reader = backend.open()

    latest = reader.get_case(case_id)

    assert latest.version == 60
    assert latest.records == _full_replay(reader, case_id)
    assert latest.records[-1].payload["summary"] == "第59回 面談。職場の人間関係について相談。"


def test_earlier_versions_from_snapshot_equal_full_replay(backend: Backend, store: CaseLog) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    _record_contacts(store, case_id, 59)
    reader = backend.open()

    for version in (30, 50, 55):
        loaded = reader.get_case(case_id, version=version)
        assert loaded.version == version
        assert loaded.records == _full_replay(reader, case_id, upto=version)


def test_a_case_loads_without_the_librarys_per_event_protocol_check(
    backend: Backend, store: CaseLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a case read from its snapshot (version 50) and the ten events after it
    import eventsourcing.application as library

    checked: list[object] = []

    class Counting(type):
        def __instancecheck__(cls, instance: object) -> bool:
            checked.append(instance)
            return True

    monkeypatch.setattr(library, "CanMutateProtocol", Counting("CanMutate", (), {}))
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    _record_contacts(store, case_id, 59)
    checked.clear()
    # when another process loads it cold, then again from its cache
    reader = backend.open()
    assert reader.get_case(case_id).version == 60
    store.record(case_id, "contact_recorded", {"contact_on": "2025-06-02", "counterpart":
                 "person", "mode": "phone"}, recorded_by=STAFF)  # fmt: skip
    assert reader.get_case(case_id).version == 61  # fast-forwarded from the cache
    # then no event went through the library's isinstance against a Protocol (~50 µs each)
    assert checked == []
