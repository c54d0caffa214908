"""projections.views.as_of: an office's rows as known at an instant (issue 21)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.payloads import ERASED
from projections.views.as_of import office_rows_as_of
from projections.views.office import billing_lines
from tests.factories import OFFICE, OTHER_OFFICE, CaseBuilder, case_opened_payload, d


def _case(n: int, opened_at: str, **overrides: str) -> CaseBuilder:
    b = CaseBuilder(now=opened_at, case_id=UUID(int=n), **overrides)
    b.hired("2024-04-01")
    b.decision("2024-10-01", "2025-09-30", "2024-08-30")
    b.contract("2024-08-30", "2024-10-01")
    if b.now < datetime.fromisoformat("2024-11-12T15:00:00+09:00"):
        b.at("2024-11-12T15:00:00+09:00")
    b.contact("2024-11-12")
    return b


def test_only_cases_of_the_office_as_known_then_are_rows() -> None:
    early = _case(1, "2024-09-01T09:00:00+09:00")
    late = _case(2, "2024-12-01T09:00:00+09:00")  # opened after the instant
    moved = _case(3, "2024-09-01T09:00:00+09:00")  # moved to another office later
    opened = case_opened_payload()
    moved.at("2025-01-10T09:00:00+09:00").correct(1, reason="移管", **{
        **opened, "office_id": OTHER_OFFICE})  # fmt: skip
    cases = [(b.case.id, b.records) for b in (early, late, moved)]
    instant = datetime.fromisoformat("2024-11-20T00:00:00+09:00")
    then = office_rows_as_of(cases, OFFICE, instant, d("2024-11-20"))
    now = office_rows_as_of(cases, OFFICE, None, d("2025-02-01"))
    assert [r.case_id for r in then] == [UUID(int=1), UUID(int=3)]
    assert [r.case_id for r in now] == [UUID(int=1), UUID(int=2)]
    assert {r.computed_on for r in then} == {d("2024-11-20")}


def test_rows_carry_the_persons_values_as_read_and_billing_reads_them() -> None:
    b = _case(1, "2024-09-01T09:00:00+09:00")
    b.at("2024-12-02T09:00:00+09:00").report("2024-11", "2024-12-02", ["本人"])
    rows = office_rows_as_of([(b.case.id, b.records)], OFFICE, None, d("2024-12-05"))
    line = billing_lines(rows, "2024-11", d("2024-12-05"))[0]
    assert (line["name"], line["recipient_number"]) == ("試験 花子", "1234567890")
    assert line["verdict"] == "billable"
    before = datetime.fromisoformat("2024-12-01T00:00:00+09:00")
    rows = office_rows_as_of([(b.case.id, b.records)], OFFICE, before, d("2024-12-05"))
    assert billing_lines(rows, "2024-11", d("2024-12-05"))[0]["verdict"] == "unbillable"
    assert ERASED not in str(rows[0].person)
