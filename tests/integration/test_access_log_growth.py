"""The access log keeps every read however long it grows, and appending stays bounded:
each read is one row of the access table (decision 0052), never an event to load first."""

from __future__ import annotations

from api.http.access_log import access_entries, record_access
from api.http.auth import Principal
from domain.store.application import CaseLog
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend


def test_forty_five_reads_are_all_listed_in_order_and_none_is_an_event(
    backend: Backend, store: CaseLog
) -> None:
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当 一郎")
    head = store.recorder.max_notification_id()
    reader = Principal(name="監査 花子", role="auditor", office_id=None)
    for n in range(45):
        record_access(store, case.id, reader, f"/cases/{{case_id}}/r{n}", as_of=None, on=None)
    entries = access_entries(store, case.id)
    assert [e["endpoint"] for e in entries] == [f"/cases/{{case_id}}/r{n}" for n in range(45)]
    assert store.recorder.max_notification_id() == head  # no event: nothing loaded to append
    assert store.access.verify(str(case.id)) == []  # 45 rows, one chain
