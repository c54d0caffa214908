"""A fact's payload is typed when it is first read (issue 24): a fold that reads only some
types — the entitlement of a list ``as_of`` — never validates the others' payloads, and
reads the same answers as a fold over payloads typed beforehand."""

from __future__ import annotations

from datetime import date
from typing import Any
from unittest.mock import patch

import domain.history as history_module
from domain.history import Recorded, read_history
from projections.entitlement import entitlement
from tests.factories import CaseBuilder
from tests.unit.test_projection_properties import _restored_from_snapshot


def _case() -> CaseBuilder:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-01T09:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-01T09:00:00+09:00").contract("2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    for day in ("2024-10-15", "2024-11-15", "2024-12-13"):
        b.at(f"{day}T18:00:00+09:00").contact(day)
    late = b.at("2024-12-20T09:00:00+09:00").contact("2024-12-16")
    b.correct(late, contact_on="2024-12-18", counterpart="person", mode="face_to_face")
    # (a corrected day orders the fact without typing it)
    return b


def _typed_types(read: Any) -> list[str]:
    seen: list[str] = []
    parse = history_module.parse_payload

    def counted(event_type: str, payload: Any) -> Any:
        seen.append(event_type)
        return parse(event_type, payload)

    with patch.object(history_module, "parse_payload", counted):
        read()
    return seen


def test_an_entitlement_of_records_read_from_json_types_no_contact() -> None:
    b = _case()
    from_json = [Recorded.from_json(r.as_json()) for r in b.records]
    on = date(2024, 12, 31)
    typed = _typed_types(lambda: entitlement(from_json, on).status)
    assert "contact_recorded" not in typed
    assert {"case_opened", "hired", "contract_signed", "decision_granted"} <= set(typed)
    assert entitlement(from_json, on).as_json() == entitlement(b.records, on).as_json()


def test_a_case_restored_from_its_snapshot_types_a_fact_only_when_it_is_read() -> None:
    b = _case()
    restored = _restored_from_snapshot(b.case)
    typed = _typed_types(lambda: restored.history())
    assert typed == []  # the order of facts comes from the stored days
    contacts = restored.history().of_type("contact_recorded")
    assert [f.effective_on for f in contacts] == [
        date(2024, 10, 15), date(2024, 11, 15), date(2024, 12, 13), date(2024, 12, 18),
    ]  # fmt: skip
    assert _typed_types(lambda: contacts[-1].payload) == ["contact_recorded"]
    assert _typed_types(lambda: contacts[-1].payload) == []  # kept once typed
    expected = read_history(b.records)
    assert [f.payload for f in restored.history().facts] == [f.payload for f in expected.facts]


def test_a_payload_typed_once_is_not_typed_again_by_another_history_of_its_records() -> None:
    """The next fold of a cached case reads the same record objects: each payload,
    corrected ones included, is validated once, and reads as it did."""
    b = _case()
    from_json = [Recorded.from_json(r.as_json()) for r in b.records]
    first = _typed_types(lambda: [f.payload for f in read_history(from_json).facts])
    assert first.count("contact_recorded") == 4  # three contacts and the corrected one
    again = _typed_types(lambda: [f.payload for f in read_history(from_json).facts])
    assert again == []
    assert [f.payload for f in read_history(from_json).facts] == [
        f.payload for f in read_history(b.records).facts
    ]
    (corrected,) = [f for f in read_history(from_json).facts if f.corrections]
    assert corrected.payload.contact_on == date(2024, 12, 18)  # the replacement, typed
    assert corrected.original.contact_on == date(2024, 12, 16)  # the record's own
