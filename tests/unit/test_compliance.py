"""Compliance: billable months (MON, PER, ELIG, JOB), plan reviews (PLAN), as of an instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.compliance import MonthCompliance, compliance
from tests.factories import CaseBuilder, d


def supported_case(now: str = "2027-12-31T12:00:00+09:00") -> CaseBuilder:
    """Hired 2024-04-01 → eligible from 2024-10-01; contract and a one-year decision from then."""
    b = CaseBuilder(opened_on="2024-03-01", now=now)
    b.hired("2024-04-01")
    b.contract("2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    b.plan("2024-10-01")
    return b


def month_of(b: CaseBuilder, month: str, on: str, as_of: datetime | None = None) -> MonthCompliance:
    result = compliance(b.records, d(on), as_of, from_month=month, to_month=month)
    assert [m.month for m in result.months] == [month]
    return result.months[0]


def rules_of(month: MonthCompliance) -> list[str]:
    return [r.rule for r in month.reasons]


def reason(month: MonthCompliance, rule: str) -> dict[str, Any]:
    return next(r.as_json() for r in month.reasons if r.rule == rule)


def test_month_with_only_phone_contacts_is_unbillable_under_mon_2_naming_the_phone_calls() -> None:
    b = supported_case()
    call1 = b.contact("2024-11-05", mode="phone")
    call2 = b.contact("2024-11-20", mode="phone")
    b.report("2024-11", "2024-12-02")

    month = month_of(b, "2024-11", on="2024-12-10")

    assert month.billable is False
    assert month.face_to_face == 0
    assert rules_of(month) == ["MON-2"]
    mon2 = reason(month, "MON-2")
    assert "電話2件" in mon2["text_ja"]
    assert mon2["events"] == [call1, call2]


def test_month_without_the_support_report_is_unbillable_under_mon_4() -> None:
    b = supported_case()
    b.contact("2024-11-05")

    month = month_of(b, "2024-11", on="2024-12-10")

    assert month.billable is False
    assert month.face_to_face == 1
    assert month.report_shared is False
    assert rules_of(month) == ["MON-4"]


def test_missing_employer_visit_is_a_mon_3_warning_not_a_reason() -> None:
    b = supported_case()
    b.contact("2024-11-05")
    call = b.contact("2024-11-12", mode="phone", counterpart="employer")
    b.report("2024-11", "2024-12-02")

    month = month_of(b, "2024-11", on="2024-12-10")

    assert month.billable is True
    assert month.reasons == ()
    assert month.employer_contacts == 1
    assert [(w.rule, w.events) for w in month.warnings] == [("MON-3", (call,))]


def test_month_with_face_to_face_support_visit_and_report_is_billable() -> None:
    b = supported_case()
    b.contact("2024-11-05")
    b.contact("2024-11-12", counterpart="employer")
    b.report("2024-11", "2024-12-02")

    result = compliance(b.records, d("2024-12-10"), from_month="2024-11", to_month="2024-11")

    assert result.as_json()["months"] == [
        {
            "month": "2024-11",
            "face_to_face": 1,
            "employer_contacts": 1,
            "report_shared": True,
            "billable": True,
            "reasons": [],
            "warnings": [],
        }
    ]


def test_month_after_the_decision_ended_is_unbillable_under_per_1() -> None:
    b = supported_case()
    visit = b.contact("2025-10-10")
    b.report("2025-10", "2025-10-31")

    month = month_of(b, "2025-10", on="2025-11-05")

    assert month.billable is False
    assert rules_of(month) == ["PER-1"]
    assert reason(month, "PER-1")["events"] == [visit]


def test_face_to_face_before_a_mid_month_decision_starts_cannot_be_billed() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.contract("2024-10-01")
    decision = b.decision("2024-10-15", "2025-10-14")
    b.report("2024-10", "2024-10-31")
    early = b.contact("2024-10-07")

    before = month_of(b, "2024-10", on="2024-11-05")
    b.contact("2024-10-20")
    after = month_of(b, "2024-10", on="2024-11-05")

    assert before.billable is False
    assert rules_of(before) == ["PER-1"]
    assert "2024-10-07" in reason(before, "PER-1")["text_ja"]
    assert reason(before, "PER-1")["events"] == [early]
    assert after.billable is True
    assert decision < early


def test_support_before_eligible_from_is_unbillable_under_elig_3() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    hire = b.hired("2024-04-01")
    b.contract("2024-09-15")
    b.decision("2024-09-15", "2025-09-14")
    visit = b.contact("2024-09-20")
    b.report("2024-09", "2024-09-30")

    month = month_of(b, "2024-09", on="2024-10-05")

    assert rules_of(month) == ["ELIG-3"]
    assert reason(month, "ELIG-3")["events"] == [hire, visit]


def test_support_after_leaving_without_a_new_job_lists_job_3_and_per_5() -> None:
    b = supported_case()
    left = b.resigned("2025-01-15")
    visit = b.contact("2025-02-20")
    b.report("2025-02", "2025-02-28")

    month = month_of(b, "2025-02", on="2025-03-01")

    assert month.billable is False
    assert rules_of(month) == ["JOB-3", "PER-5"]
    assert reason(month, "JOB-3")["events"] == [left, visit]


def test_support_without_a_contract_is_unbillable_under_per_1() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.decision("2024-10-01", "2025-09-30")
    b.contact("2024-11-05")
    b.report("2024-11", "2024-12-02")

    month = month_of(b, "2024-11", on="2024-12-10")

    assert rules_of(month) == ["PER-1"]
    assert "利用契約" in reason(month, "PER-1")["text_ja"]


def test_an_unbillable_month_lists_every_reason_that_applies() -> None:
    b = supported_case()
    b.contact("2025-10-03", mode="online")

    month = month_of(b, "2025-10", on="2025-11-05")

    assert rules_of(month) == ["MON-2", "PER-1", "MON-4"]
    assert "オンライン1件" in reason(month, "MON-2")["text_ja"]


def test_default_months_run_from_the_contract_start_to_the_month_of_on() -> None:
    b = supported_case()

    result = compliance(b.records, d("2025-01-10"))

    assert [m.month for m in result.months] == ["2024-10", "2024-11", "2024-12", "2025-01"]


def test_plan_review_is_due_at_the_end_of_three_months_and_overdue_the_day_after() -> None:
    b = supported_case()
    plan = b.records[-1].version

    on_due_day = compliance(b.records, d("2024-12-31")).plan
    day_after = compliance(b.records, d("2025-01-01")).plan

    assert on_due_day.review_due_by == d("2024-12-31")
    assert on_due_day.overdue is False
    assert day_after.overdue is True
    assert day_after.as_json()["rule"] == "PLAN-2"
    assert day_after.as_json()["events"] == [plan]
    assert day_after.as_json()["last_revised_on"] == "2024-10-01"


def test_no_plan_once_support_started_is_a_plan_1_problem_due_on_the_start() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    contract = b.contract("2024-10-01")

    plan = compliance(b.records, d("2024-10-02")).plan.as_json()

    assert plan["rule"] == "PLAN-1"
    assert plan["review_due_by"] == "2024-10-01"
    assert plan["overdue"] is True
    assert plan["events"] == [contract]


def test_retracting_the_only_face_to_face_contact_makes_the_month_unbillable_again() -> None:
    b = supported_case()
    visit = b.contact("2024-11-05")
    b.report("2024-11", "2024-12-02")
    billable_before = month_of(b, "2024-11", on="2024-12-10").billable

    b.retract(visit)
    month = month_of(b, "2024-11", on="2024-12-10")

    assert billable_before is True
    assert month.billable is False
    assert month.face_to_face == 0
    assert rules_of(month) == ["MON-2"]


def test_correcting_a_contact_to_phone_makes_the_month_unbillable_with_both_versions() -> None:
    b = supported_case()
    visit = b.contact("2024-11-05")
    b.report("2024-11", "2024-12-02")

    fix = b.correct(visit, contact_on="2024-11-05", counterpart="person", mode="phone")
    month = month_of(b, "2024-11", on="2024-12-10")

    assert rules_of(month) == ["MON-2"]
    assert reason(month, "MON-2")["events"] == [visit, fix]


def test_as_of_before_the_contact_was_recorded_shows_the_month_unbillable() -> None:
    b = supported_case(now="2024-12-02T09:00:00+09:00")
    b.report("2024-11", "2024-12-02")
    before = b.last_instant
    b.at("2024-12-05T10:00:00+09:00").contact("2024-11-05")

    then = month_of(b, "2024-11", on="2024-12-10", as_of=before)
    now = month_of(b, "2024-11", on="2024-12-10")

    assert then.billable is False
    assert rules_of(then) == ["MON-2"]
    assert now.billable is True


def test_plan_review_is_not_overdue_once_the_entitlement_has_ended() -> None:
    from datetime import date

    from projections.compliance import compliance
    from tests.factories import CaseBuilder

    b = CaseBuilder(opened_on="2021-03-01")
    b.hired("2021-04-01")
    b.contract("2021-10-01")
    b.decision("2021-10-01", "2022-09-30")
    plan = b.plan("2021-10-01")
    b.event("support_ended", ended_on="2022-09-30", reason="person_request")
    during = compliance(b.records, date(2022, 6, 1)).plan
    after = compliance(b.records, date(2023, 3, 1)).plan
    assert during.overdue is True  # due 2021-12-31, support still going
    assert after.overdue is False
    assert after.explanation.rule == "PLAN-2" and after.explanation.events == (plan,)
    assert "2022-09-30に終了" in after.explanation.text_ja
