"""The access log keeps every read however long it grows, and appending stays bounded."""

from __future__ import annotations

from api.http.access_log import access_entries, record_access
from api.http.auth import Principal
from domain.access import access_log_id
from domain.store.application import CaseLog
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend


def test_forty_five_reads_are_all_listed_in_order_and_the_log_is_snapshotted(
    backend: Backend, store: CaseLog
) -> None:
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当 一郎")
    reader = Principal(name="監査 花子", role="auditor", office_id=None)
    for n in range(45):
        record_access(store, case.id, reader, f"/cases/{{case_id}}/r{n}", as_of=None, on=None)
    entries = access_entries(store, case.id)
    assert [e["endpoint"] for e in entries] == [f"/cases/{{case_id}}/r{n}" for n in range(45)]
    snapshot_versions = [s.originator_version for s in store.snapshots.get(access_log_id(case.id))]
    assert snapshot_versions, "the access log should be snapshotted so appends load few events"
    assert max(snapshot_versions) >= 40
