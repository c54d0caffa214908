"""EVID-1 when it is due (issue 20, decision 0033): a support year's proof of retention is
due by the year's last day, listed from 60 days before it (⚠) and overdue after it; a
document covering a day from 3 months before the year counts for it (⚠). The stored view
answers as the rule applied to the fold."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.history import Recorded
from domain.payloads import EvidenceReceived
from domain.rules import evid_end
from projections.entitlement import entitlement
from projections.reading import read_records
from projections.views.office import DueItem, due_items
from projections.views.row import case_row
from tests.factories import CaseBuilder, d

CASE = UUID("00000000-0000-4000-8000-000000000001")


def supported() -> CaseBuilder:
    """Hired 2024-04-01; support from 2024-10-01 (year 1 ends 2025-09-30, year 2 2026-09-30)."""
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.contract("2024-09-17", "2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    b.decision("2025-10-01", "2026-09-30")
    return b


def evidence(b: CaseBuilder, covers_on: str, kind: str = "employment_certificate") -> int:
    return b.event("evidence_received", received_on=covers_on, kind=kind, covers_on=covers_on)


def evid_1(b: CaseBuilder, on: str) -> list[DueItem]:
    row = case_row(CASE, b.records, d(on))
    return [i for i in due_items(row, d(on)) if i.rule == "EVID-1"]


def test_no_evid_1_for_a_certificate_received_twelve_days_before_support_started() -> None:
    b = supported()
    evidence(b, "2024-09-19")  # 12 days before 2024-10-01, within the 3 months before (⚠)

    for on in ("2024-10-01", "2025-08-01", "2025-09-30"):
        assert evid_1(b, on) == [], on


def test_evid_1_is_listed_from_sixty_days_before_the_years_last_day() -> None:
    b = supported()

    assert evid_1(b, "2024-10-01") == []  # the first day of the year: nothing yet
    assert evid_1(b, "2025-07-31") == []  # 61 days before 2025-09-30
    (item,) = evid_1(b, "2025-08-01")
    assert (item.due_on, item.overdue) == (d("2025-09-30"), False)
    assert item.text_ja.startswith("支援1年目(2024-10-01〜)の在職の証明")
    assert "2025-09-30までに必要です(あと60日)" in item.text_ja
    assert item.events  # the contract behind the year's first day


def test_evid_1_is_overdue_after_the_years_last_day() -> None:
    b = supported()

    (item,) = evid_1(b, "2025-10-01")

    assert (item.due_on, item.overdue) == (d("2025-09-30"), True)
    assert "期限の2025-09-30を過ぎてもまだありません" in item.text_ja
    assert item.as_json()["interpretive"] is True


def test_a_certificate_from_before_the_three_months_does_not_count_for_the_year() -> None:
    early = supported()
    evidence(early, "2024-06-30")  # the day before 2024-07-01
    in_time = supported()
    evidence(in_time, "2024-07-01")  # 3 months before 2024-10-01

    assert [i.overdue for i in evid_1(early, "2025-08-01")] == [False]
    assert evid_1(in_time, "2025-08-01") == []


def test_a_certificate_late_in_one_year_counts_for_the_next_one_too() -> None:
    b = supported()
    evidence(b, "2025-08-20", kind="payslip")  # a payslip where no certificate can be had

    assert evid_1(b, "2025-09-30") == []
    assert evid_1(b, "2026-09-30") == []  # 2025-08-20 is within 3 months before 2025-10-01
    assert [i.due_on for i in evid_1(b, "2026-10-01")] == []  # support ended with the decision


def test_support_years_end_with_the_entitlement() -> None:
    years = evid_end.support_years(d("2025-01-01"), d("2027-09-30"), d("2027-09-30"))

    assert [(y.number, y.first_day, y.last_day) for y in years] == [
        (1, d("2025-01-01"), d("2025-12-31")),
        (2, d("2026-01-01"), d("2026-12-31")),
        (3, d("2027-01-01"), d("2027-09-30")),
    ]


def test_each_unproved_year_is_listed_the_past_one_overdue() -> None:
    due = evid_end.evidence_due(d("2024-10-01"), d("2027-09-30"), [], d("2026-08-15"))

    assert [(e.year.number, e.overdue) for e in due] == [(1, True), (2, False)]


# -- the stored view answers as the rule applied to the fold ----------------------------


@st.composite
def with_evidence(draw: Any) -> list[Recorded]:
    """A supported case with random documents, some corrected or retracted."""
    b = supported()
    start = date(2024, 5, 1)
    for _ in range(draw(st.integers(0, 4))):
        day = start + timedelta(days=draw(st.integers(0, 900)))
        kind = draw(st.sampled_from(evid_end.ACCEPTED_EVIDENCE))
        version = evidence(b, day.isoformat(), kind)
        action = draw(st.sampled_from(["keep", "keep", "correct", "retract"]))
        if action == "retract":
            b.retract(version)
        elif action == "correct":
            back = day - timedelta(days=draw(st.integers(1, 200)))
            moved = max(back, date(2024, 3, 1)).isoformat()  # never before the opening
            b.correct(version, received_on=moved, kind=kind, covers_on=moved)
    if draw(st.booleans()):
        b.event("support_ended", ended_on="2026-03-31", reason="person_request")
    return b.records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=with_evidence(), on=st.dates(date(2024, 9, 1), date(2027, 1, 31)))
def test_the_due_lists_evid_1_is_the_rule_applied_to_the_fold(
    records: list[Recorded], on: date
) -> None:
    ent = entitlement(records, on)
    facts = read_records(records, on).history.facts
    proofs = [
        (f.payload.covers_on, f.payload.kind)
        for f in facts
        if isinstance(f.payload, EvidenceReceived) and f.effective_on <= on
    ]
    start = ent.support_from or ent.eligible_from
    expected: list[tuple[date, bool]] = []
    if ent.status == "in_support" and start is not None and on >= start.date:
        end = ent.support_end.date if ent.support_end else None
        due = evid_end.evidence_due(start.date, end, proofs, on)
        expected = [(e.year.last_day, e.overdue) for e in due]

    row = case_row(CASE, records, on)
    found = [(i.due_on, i.overdue) for i in due_items(row, on) if i.rule == "EVID-1"]

    assert found == expected
