"""Given a case recorded through ``CaseLog``, when it is read back (by a fresh
application instance, as after a restart), then every event is exactly as recorded."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from domain.chain import GENESIS, event_hash
from domain.payloads import validate_payload
from domain.sealing import is_sealed, reveal
from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import EVENTS, OPENED, PERSON_NAME, STAFF, record_every_type


def _stored_form(event_type: str, sent: dict[str, Any]) -> dict[str, Any]:
    """What the case stores for a sent payload (validated; a correction's replacement too)."""
    stored = validate_payload(event_type, sent).model_dump(mode="json", exclude_none=True)
    if event_type == "event_corrected":
        target_type = _TYPE_OF_VERSION[sent["target_version"]]
        stored["replacement"] = _stored_form(target_type, sent["replacement"])
    return stored


_TYPE_OF_VERSION = {v: t for v, (t, _) in enumerate([("case_opened", OPENED), *EVENTS], 1)}


def test_every_event_type_round_trips_with_japanese_text_unchanged(
    backend: Backend, store: CaseLog
) -> None:
    case_id = record_every_type(store)
    written = store.records(case_id)

    reloaded = backend.open().records(case_id)

    assert reloaded == written
    sent = [("case_opened", OPENED), *EVENTS]
    assert [(r.version, r.type) for r in reloaded] == [(v, t) for v, (t, _) in enumerate(sent, 1)]
    for record, (event_type, payload) in zip(reloaded, sent, strict=True):
        assert record.payload == _stored_form(event_type, payload)
        assert record.recorded_by == STAFF
    assert reloaded[0].payload["person"]["name"] == PERSON_NAME
    assert reloaded[-1].payload["reason"] == "別の方の記録を誤って登録したため"


def test_stored_state_is_plain_json_readable_by_a_raw_select(
    backend: Backend, store: CaseLog
) -> None:
    case_id = record_every_type(store)

    rows = backend.select(
        f"SELECT originator_version, topic, state, originator_id FROM {backend.events_table} "
        "ORDER BY originator_version"
    )

    assert [row[0] for row in rows] == list(range(1, len(EVENTS) + 2))
    first = backend.state_bytes(rows[0][2])
    print(f"\n[{backend.name}] {rows[0][1]}: {first.decode()}")
    assert rows[0][1] == "domain.case:Case.Opened"
    # Plain UTF-8 JSON, read with the standard library; Japanese text is not escaped...
    document = json.loads(first)
    assert document["payload"]["office_id"] == OPENED["office_id"]
    assert document["recorded_by"] == STAFF
    assert UUID(str(rows[0][3])) == case_id
    # ...but personal values are sealed with the person's key: no name, no 受給者証番号,
    # no free text anywhere in the stored rows (crypto-shredding, domain/sealing.py).
    assert is_sealed(document["payload"]["person"]["name"])
    assert is_sealed(document["payload"]["recipient_number"])
    everything = b"".join(backend.state_bytes(row[2]) for row in rows)
    assert PERSON_NAME.encode() not in everything
    assert OPENED["recipient_number"].encode() not in everything
    for text in ("上司が田中さんから佐藤さんに交代", "体調不良による自己都合退職", "睡眠リズム"):
        assert text.encode() not in everything
    # Opened with the key, each payload is exactly what was recorded.
    key = store.keys.key(case_id)
    states = [json.loads(backend.state_bytes(row[2])) for row in rows]
    opened = [reveal(s["payload"], key).payload for s in states[1:]]
    assert opened == [_stored_form(t, p) for t, p in EVENTS]


def test_case_ids_lists_every_case_in_the_order_opened(backend: Backend, store: CaseLog) -> None:
    opened = [store.open_case({**OPENED, "recipient_number": f"100000000{i}"}, recorded_by=STAFF)
              for i in range(3)]  # fmt: skip
    store.record(opened[1].id, *EVENTS[0], recorded_by=STAFF)

    listed = backend.open().case_ids()

    assert listed == [case.id for case in opened]


def test_hash_chain_recomputes_after_reload(backend: Backend, store: CaseLog) -> None:
    """The chain covers the stored form: personal values sealed (domain/sealing.py)."""
    case_id = record_every_type(store)

    records = backend.open().records(case_id)

    previous = GENESIS
    for record in records:
        assert record.previous_hash == previous
        recomputed = event_hash(
            case_id=record.case_id, version=record.version, type=record.type,
            payload=record.hashed_payload, recorded_at=record.recorded_at,
            recorded_by=record.recorded_by, previous_hash=record.previous_hash,
        )  # fmt: skip
        assert recomputed == record.hash
        previous = record.hash
