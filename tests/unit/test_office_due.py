"""What an office must do, read from case rows: END-2 and EVID-1 edges (given/then)."""

from __future__ import annotations

from uuid import UUID

from domain.rules.evid_end import end_sharing_starts_by
from projections.views.office import due_items
from projections.views.row import case_row
from tests.factories import CaseBuilder, d

CASE = UUID("00000000-0000-4000-8000-000000000001")


def supported() -> CaseBuilder:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.contract("2024-10-01")
    b.decision("2024-10-01", "2027-09-30")
    return b


def rules_on(b: CaseBuilder, on: str) -> dict[str, str]:
    row = case_row(CASE, b.records, d(on))
    return {i.rule: i.text_ja for i in due_items(row, d(on))}


def test_end_sharing_starts_three_months_before_the_last_day() -> None:
    assert end_sharing_starts_by(d("2027-09-30")) == d("2027-07-01")
    assert end_sharing_starts_by(d("2027-02-28")) == d("2026-12-01")


def test_end_2_is_due_from_three_months_before_the_end_until_a_sharing_is_recorded() -> None:
    b = supported()  # hired 2024-04-01: the last eligible day is 2027-09-30 (ELIG-4)

    assert "END-2" not in rules_on(b, "2027-06-30")
    assert "2027-07-01から" in rules_on(b, "2027-07-01")["END-2"]
    b.contact("2027-07-05", counterpart="employer", party="株式会社サンプル",
              information_shared=["就労状況"])  # fmt: skip
    assert "END-2" not in rules_on(b, "2027-07-06")


def test_end_2_is_still_due_when_the_only_sharing_was_before_the_three_months() -> None:
    b = supported()
    b.contact("2026-05-10", counterpart="employer", party="株式会社サンプル",
              information_shared=["就労状況"])  # fmt: skip

    row = case_row(CASE, b.records, d("2027-07-02"))
    assert row.derived["last_sharing"]["on"] == "2026-05-10"  # the row keeps the latest one
    assert "END-2" in rules_on(b, "2027-07-02")
    b.contact("2027-07-01", counterpart="employer", party="株式会社サンプル",
              information_shared=["就労状況"])  # fmt: skip
    assert "END-2" not in rules_on(b, "2027-07-02")


def test_evidence_of_the_current_support_year_clears_evid_1() -> None:
    b = supported()
    b.event("evidence_received", received_on="2025-06-20", kind="employment_certificate",
            covers_on="2025-06-15")  # fmt: skip

    assert "EVID-1" not in rules_on(b, "2025-09-30")  # year 1: 2024-10-01 .. 2025-09-30
    # year 2 (2025-10-01 .. 2026-09-30) is listed from 60 days before its last day (⚠)
    assert "EVID-1" not in rules_on(b, "2026-07-31")
    assert "支援2年目(2025-10-01〜)" in rules_on(b, "2026-08-01")["EVID-1"]
