"""A case's person key is kept only for a case that is stored: an opening refused for its
payload makes no key, and one refused in its transaction removes the key it made."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.payloads import InvalidPayload
from domain.store.application import CaseLog
from domain.store.recorders import CallerChanged
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED, PERSON_NAME


def _key_rows(backend: Backend) -> list[str]:
    schema = backend.events_table.split(".")[0] + "." if backend.name == "postgresql" else ""
    return sorted(str(r[0]) for r in backend.select(
        f"SELECT case_id FROM {schema}teichaku_person_keys"))  # fmt: skip


def test_a_stored_opening_keeps_its_key_and_reads_its_name(
    backend: Backend, store: CaseLog
) -> None:
    case = store.open_case(OPENED, recorded_by="担当")
    assert _key_rows(backend) == [str(case.id)]
    assert backend.open().get_case(case.id).history().opened().payload.person.name == PERSON_NAME  # type: ignore[union-attr]


def test_an_opening_refused_for_its_payload_makes_no_key(
    backend: Backend, store: CaseLog
) -> None:
    with pytest.raises(InvalidPayload):
        store.open_case({**OPENED, "opened_on": "2024-13-40"}, recorded_by="担当")
    assert _key_rows(backend) == []
    assert store.case_ids() == []


def test_an_opening_refused_in_its_transaction_removes_the_key_it_made(
    backend: Backend, store: CaseLog
) -> None:
    kept = store.open_case(OPENED, recorded_by="担当")  # version 1: "unchanged" at 0 fails
    with pytest.raises(CallerChanged):
        store.open_case(OPENED, recorded_by="担当", unchanged=[(kept.id, 0)])
    assert _key_rows(backend) == [str(kept.id)]
    assert store.case_ids() == [UUID(str(kept.id))]
