"""Erasure by crypto-shredding (issue 12), on SQLite and on the real PostgreSQL.

After ``erase_person`` the person's key is gone from the database, every read shows the
personal values as 〔消去済み〕 (in this process, in another one, from a snapshot), and the
dates, the rule results and the hash chain are exactly what they were.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.case import Case, CaseRuleViolation
from domain.history import Recorded
from domain.payloads import ERASED
from domain.store.application import AlreadyErased, CaseLog, NotErasable
from projections.audit import verify_chain
from projections.bundle import build_bundle, verify_bundle
from projections.compliance import compliance
from projections.entitlement import entitlement
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED, PERSON_NAME, STAFF, record_every_type
from tests.integration.test_tamper import _id_param

ON = date(2025, 3, 1)
FREE_TEXTS = {  # (type, field) → what was recorded
    ("contact_recorded", "summary"): "睡眠リズムが整ってきた。「疲れやすい」との訴えあり。",
    ("resigned", "reason"): "体調不良による自己都合退職",
    ("plan_revised", "goals"): ["生活リズムの安定", "報連相の定着"],
    ("event_corrected", "reason"): "聞き取り内容の誤記を訂正",
}


@pytest.fixture
def store(backend: Backend) -> CaseLog:
    return backend.open()


def _first(records: list[Recorded], kind: str) -> dict[str, Any]:
    return dict(next(r for r in records if r.type == kind).payload)


def _keys_of(backend: Backend, case_id: UUID) -> int:
    table = "teichaku_person_keys"
    if backend.name == "postgresql":
        table = f'"{backend.env()["POSTGRES_SCHEMA"]}".{table}'
    rows = backend.select(f"SELECT count(*) FROM {table} WHERE case_id = %s", (str(case_id),))
    return int(rows[0][0])


def test_erasure_hides_the_person_and_keeps_dates_rules_and_chain(
    backend: Backend, store: CaseLog
) -> None:
    case_id = record_every_type(store)
    other = backend.open()  # another process, its cache warm before the erasure
    assert other.get_case(case_id).history().opened().payload.person.name == PERSON_NAME
    before = store.records(case_id)
    for (kind, field), text in FREE_TEXTS.items():
        assert _first(before, kind)[field] == text
    assert _keys_of(backend, case_id) == 1

    done = store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")

    assert done.key_destroyed and done.recorded is not None
    assert _keys_of(backend, case_id) == 0
    for app in (store, other, backend.open()):  # this process, a warm cache, a cold start
        after = app.records(case_id)
        opened = after[0].payload
        assert opened["person"] == {"name": ERASED, "name_kana": ERASED}
        assert opened["recipient_number"] == ERASED
        assert opened["office_id"] == OPENED["office_id"]  # not personal: still there
        for (kind, field), text in FREE_TEXTS.items():
            expected = [ERASED] * 2 if isinstance(text, list) else ERASED
            assert _first(after, kind)[field] == expected
        replacement = _first(after, "event_corrected")["replacement"]
        assert replacement["summary"] == ERASED and replacement["mode"] == "face_to_face"
        assert after[-1].type == "person_erased"
        # Dates and rule results are those of before the erasure.
        assert entitlement(after, ON).as_json() == entitlement(before, ON).as_json()
        assert compliance(after, ON).as_json() == compliance(before, ON).as_json()
        # The chain still verifies, read row by row from the store.
        report = verify_chain(app.stored_records(case_id))
        assert report.verified, report.breaks
        assert report.head == after[-1].hash
        assert all(PERSON_NAME not in str(r.payload) for r in app.stored_records(case_id))


def test_an_erased_case_takes_facts_but_no_personal_text(store: CaseLog) -> None:
    case_id = record_every_type(store)
    store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")

    with pytest.raises(CaseRuleViolation) as refused:
        store.record(case_id, "contact_recorded", {"contact_on": "2025-04-02",
                     "counterpart": "employer", "mode": "phone", "summary": "近況"},
                     recorded_by=STAFF)  # fmt: skip
    assert "消去済み" in str(refused.value)
    no_text = {"contact_on": "2025-04-02", "counterpart": "employer", "mode": "phone"}
    recorded = store.record(case_id, "contact_recorded", no_text, recorded_by=STAFF)
    assert recorded.stored_payload is None and recorded.payload["mode"] == "phone"
    with pytest.raises(AlreadyErased):
        store.erase_person(case_id, reason="二度目", recorded_by="管理者")
    erasure = next(r for r in store.records(case_id) if r.type == "person_erased")
    for kind, data in (("event_retracted", {"target_version": erasure.version, "reason": "誤り"}),
                       ("person_erased", {"erased_on": "2025-04-02", "reason": "x"})):
        with pytest.raises(CaseRuleViolation):
            store.record(case_id, kind, data, recorded_by=STAFF)
    assert verify_chain(store.stored_records(case_id)).verified


def test_a_case_with_personal_values_stored_before_sealing_is_not_claimed_erased(
    store: CaseLog,
) -> None:
    legacy = Case.open(OPENED, recorded_by=STAFF, recorded_at=store.clock())  # no key: clear
    store.save(legacy)
    store.record(legacy.id, "contact_recorded", {"contact_on": "2024-03-05",
                 "counterpart": "person", "mode": "phone", "summary": "近況"},
                 recorded_by=STAFF)  # fmt: skip  (sealed: the case gets a key now)

    with pytest.raises(NotErasable) as refused:
        store.erase_person(legacy.id, reason="本人からの削除請求", recorded_by="管理者")

    assert refused.value.versions == [1]
    assert PERSON_NAME not in str(refused.value)
    assert [r.type for r in store.records(legacy.id)] == ["case_opened", "contact_recorded"]
    assert store.records(legacy.id)[1].payload["summary"] == "近況"  # the key was kept


def test_an_interrupted_erasure_is_completed_by_erasing_again(
    backend: Backend, store: CaseLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = record_every_type(store)

    def crash(case_id: UUID) -> bool:
        raise ConnectionError("the database went away after the event was stored")

    monkeypatch.setattr(store.keys, "destroy", crash)
    with pytest.raises(ConnectionError):
        store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")
    monkeypatch.undo()
    # The event is stored: every reader already sees the fields as erased...
    assert backend.open().records(case_id)[0].payload["recipient_number"] == ERASED
    assert _keys_of(backend, case_id) == 1  # ...but the key is still there
    done = store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")
    assert done.recorded is None and done.key_destroyed
    assert _keys_of(backend, case_id) == 0
    assert [r.type for r in store.records(case_id)].count("person_erased") == 1


def test_a_snapshot_holds_no_opened_value_and_reads_erased_after_the_erasure(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    for day in range(1, 51):  # 51 events: the first snapshot is taken at version 50
        store.record(case_id, "contact_recorded", {"contact_on": f"2024-03-{1 + day % 28:02d}",
                     "counterpart": "person", "mode": "phone", "summary": f"近況{day}"},
                     recorded_by=STAFF)  # fmt: skip
    snapshots = backend.select(f"SELECT state FROM {backend.snapshots_table}")
    assert snapshots, "a snapshot was taken"
    raw = b"".join(backend.state_bytes(s[0]) for s in snapshots)
    assert PERSON_NAME.encode() not in raw and "近況1".encode() not in raw

    fresh = backend.open()
    assert fresh.records(case_id)[0].payload["person"]["name"] == PERSON_NAME  # opened
    store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")
    cold = backend.open()
    records = cold.records(case_id)
    assert records[0].payload["person"]["name"] == ERASED
    assert {r.payload.get("summary") for r in records[1:51]} == {ERASED}
    assert verify_chain(cold.stored_records(case_id)).verified


def test_a_bundle_verifies_offline_before_and_after_the_erasure(store: CaseLog) -> None:
    case_id = record_every_type(store)
    at = store.clock()
    earlier = build_bundle(case_id, store.stored_records(case_id), exported_at=at,
                           exported_by="監査", on=ON)  # fmt: skip
    store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")
    later = build_bundle(case_id, store.stored_records(case_id), exported_at=at,
                         exported_by="監査", on=ON)  # fmt: skip

    assert verify_bundle(earlier).ok  # the names it holds are tied to the chain
    assert verify_bundle(later).ok
    assert PERSON_NAME in str(earlier["events"][0]) and PERSON_NAME not in str(later)
    # A name changed in the earlier export no longer matches its commitment.
    earlier["events"][0]["payload"]["person"]["name"] = "別人 太郎"
    problems = verify_bundle(earlier).problems
    assert any(p["location"] == "events[version=1]" and p["problem"] == "altered"
               for p in problems), problems  # fmt: skip


def test_the_cap_category_is_sealed_and_reads_erased_after_erasure(
    backend: Backend, store: CaseLog
) -> None:
    # A 生活保護 cap category is 要配慮個人情報: stored sealed like the name
    opened = {**OPENED, "claim": {"cap_category": "public_assistance", "cap_managed_here": True}}
    case_id = store.open_case(opened, recorded_by=STAFF).id
    stored = b"".join(
        backend.state_bytes(s) for (s,) in backend.select(
            f"SELECT state FROM {backend.events_table} WHERE originator_id = %s",
            (_id_param(backend, case_id),))
    )  # fmt: skip
    assert b"public_assistance" not in stored and b"cap_managed_here" in stored
    read = backend.open().get_case(case_id).history().opened().payload
    assert read.claim is not None and read.claim.cap_category == "public_assistance"
    # After the erasure it reads as erased, and the claim says why it has no cap
    store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")
    after = backend.open().get_case(case_id).history().opened().payload
    assert after.claim is not None and after.claim.cap_category == ERASED
    assert after.claim.cap_managed_here is True  # not personal: kept
