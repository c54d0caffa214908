"""PLAN-1, the first support plan (issue 20): due when support can start, never before
the person is eligible (ELIG-3), and named as the first plan, not as a review."""

from __future__ import annotations

from domain.rules.plan import plan_required_from
from projections.compliance import compliance
from projections.timeline import timeline
from tests.factories import CaseBuilder, d


def _hired_in_may_with_a_contract_from_june() -> tuple[CaseBuilder, int, int]:
    """Hired 2025-05-01 (eligible from 2025-11-01); a contract recorded to start support
    on 2025-06-02, five months before support can start."""
    b = CaseBuilder(opened_on="2025-04-20", now="2025-12-01T10:00:00+09:00")
    hire = b.hired("2025-05-01")
    contract = b.contract("2025-06-02", support_from="2025-06-02")
    return b, hire, contract


def test_the_first_plan_is_due_when_support_starts_or_when_the_person_is_eligible_if_later() -> (
    None
):
    assert plan_required_from(d("2025-06-02"), d("2025-11-01")) == d("2025-11-01")
    assert plan_required_from(d("2025-12-01"), d("2025-11-01")) == d("2025-12-01")
    assert plan_required_from(d("2025-06-02")) == d("2025-06-02")  # eligibility not known


def test_a_contract_recorded_before_eligibility_makes_the_first_plan_due_on_the_elig_3_day() -> (
    None
):
    b, hire, contract = _hired_in_may_with_a_contract_from_june()

    in_june = compliance(b.records, d("2025-06-03")).plan
    on_the_day = compliance(b.records, d("2025-11-01")).plan
    day_after = compliance(b.records, d("2025-11-02")).plan

    assert in_june.explanation.rule == "PLAN-1"
    assert in_june.review_due_by == d("2025-11-01")
    assert in_june.overdue is False  # was overdue from 2025-06-03 before
    assert set(in_june.explanation.events) == {hire, contract}
    assert "ELIG-3" in in_june.explanation.text_ja
    assert on_the_day.overdue is False and day_after.overdue is True


def test_the_timeline_names_the_first_plans_due_day_as_such() -> None:
    b, _, _ = _hired_in_may_with_a_contract_from_june()
    entries = timeline(b.records, d("2025-06-03")).entries
    due = [e for e in entries if e["kind"] == "milestone:plan_review_due"]
    assert [(e["date"], e["label_ja"], e["rule"]) for e in due] == [
        ("2025-11-01", "最初の支援計画の期限", "PLAN-1")
    ]
    b.plan("2025-11-01")  # once there is a plan, the next due day is its review (PLAN-2)
    entries = timeline(b.records, d("2025-11-02")).entries
    due = [e for e in entries if e["kind"] == "milestone:plan_review_due"]
    assert [(e["label_ja"], e["rule"]) for e in due] == [("支援計画の見直し期限", "PLAN-2")]
