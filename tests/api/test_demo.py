"""The demo office: it loads without a refused event and shows every scenario it promises.

Each scenario is checked through the projections, the way a user of the demo sees it.
The demo is loaded once, in memory, with "today" fixed at 2026-11-22 (noon in Japan).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from api.demo.cases import stories
from api.demo.load import OFFICE, OTHER_OFFICE, DemoSummary, load_demo
from domain.history import Recorded, read_history
from domain.store.application import CaseLog
from projections.compliance import compliance
from projections.entitlement import entitlement

NOW = datetime.fromisoformat("2026-11-22T12:00:00+09:00")


@pytest.fixture(scope="module")
def demo() -> tuple[CaseLog, DemoSummary]:
    cases = CaseLog(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return cases, load_demo(cases, clock=lambda: NOW)


def records(demo: tuple[CaseLog, DemoSummary], scenario: str) -> list[Recorded]:
    cases, summary = demo
    return cases.records(summary.cases[scenario])


def test_demo_records_every_event_of_every_story(demo: tuple[CaseLog, DemoSummary]) -> None:
    cases, summary = demo
    written = {
        s.scenario: 1 + sum(e.day < summary.today for e in s.entries)
        for s in stories(summary.today)
    }
    stored = {name: len(cases.records(case_id)) for name, case_id in summary.cases.items()}
    assert stored == written
    assert summary.events == sum(stored.values())
    assert len(cases.case_ids()) == len(summary.cases) >= 12


def test_demo_record_instants_increase_and_none_is_in_the_future(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    cases, summary = demo
    for case_id in summary.cases.values():
        instants = [r.recorded_at for r in cases.records(case_id)]
        assert instants == sorted(instants) and len(set(instants)) == len(instants)
        assert instants[-1] < NOW


def test_demo_shows_every_entitlement_status(demo: tuple[CaseLog, DemoSummary]) -> None:
    cases, summary = demo
    statuses = {
        name: entitlement(cases.records(case_id), summary.today).status
        for name, case_id in summary.cases.items()
    }
    assert statuses["in_support_year3"] == "in_support"
    assert statuses["job_change_once"] == "in_support"
    assert statuses["job_change_grace"] == "job_change_grace"
    assert statuses["second_job_change"] == "ended"
    assert statuses["waiting"] == "waiting"
    assert statuses["expired"] == "expired"


def test_one_job_change_within_a_month_keeps_support_but_uses_the_change(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    found = entitlement(records(demo, "job_change_once"), demo[1].today)
    assert found.job_change_used is True


def test_grace_case_shows_its_job_change_deadline(demo: tuple[CaseLog, DemoSummary]) -> None:
    found = entitlement(records(demo, "job_change_grace"), demo[1].today)
    assert found.job_change_deadline is not None
    assert found.job_change_deadline.date > demo[1].today


def test_late_start_still_ends_on_the_elig4_day(demo: tuple[CaseLog, DemoSummary]) -> None:
    found = entitlement(records(demo, "late_start"), demo[1].today)
    assert found.support_end is not None and found.last_eligible_day is not None
    assert found.support_end.date == found.last_eligible_day.date
    assert found.contract_from is not None and found.eligible_from is not None
    assert found.contract_from.date > found.eligible_from.date


def test_decision_ending_case_warns_of_renewal_within_30_days(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    found = entitlement(records(demo, "decision_ending"), demo[1].today)
    assert found.renewal_due_by is not None
    assert timedelta(0) <= found.renewal_due_by.date - demo[1].today <= timedelta(days=30)
    assert any(e.rule == "PER-4" for e in found.explanation)


def test_temporary_use_moves_the_base_date_to_the_day_after_it_ended(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    recs = records(demo, "temporary_use")
    found = entitlement(recs, demo[1].today)
    ended = datetime.fromisoformat(recs[0].payload["prior_service"]["ended_on"]).date()
    assert found.base_date is not None
    assert found.base_date.date == ended + timedelta(days=1)
    assert found.base_date.explanation.rule == "ELIG-2"


def test_corrected_hire_date_clears_the_decision_problem_from_the_correction_on(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    recs = records(demo, "corrected_hire_date")
    correction = next(r for r in recs if r.type == "event_corrected")
    before = entitlement(recs, demo[1].today, as_of=correction.recorded_at - timedelta(seconds=1))
    after = entitlement(recs, demo[1].today)
    assert [p.rule for d in before.decisions for p in d.problems] == ["PER-3"]
    assert [p for d in after.decisions for p in d.problems] == []


def test_retracted_contact_is_no_longer_a_fact(demo: tuple[CaseLog, DemoSummary]) -> None:
    recs = records(demo, "retracted_contact")
    retraction = next(r for r in recs if r.type == "event_retracted")
    assert int(retraction.payload["target_version"]) in read_history(recs).retracted


def test_unbillable_case_has_a_phone_only_month_and_a_month_without_report(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    months = compliance(records(demo, "unbillable_months"), demo[1].today).as_json()["months"]
    reasons = {m["month"]: {r["rule"] for r in m["reasons"]} for m in months if not m["billable"]}
    assert "MON-2" in reasons["2026-06"]
    assert "MON-4" in reasons["2026-08"]


def test_standard_case_bills_every_past_month_of_support(demo: tuple[CaseLog, DemoSummary]) -> None:
    months = compliance(records(demo, "in_support_year3"), demo[1].today).as_json()["months"]
    past = [m for m in months if "2024-03" <= m["month"] < "2026-11"]
    assert len(past) == 32
    assert [m["month"] for m in past if not m["billable"]] == []


def test_only_the_consent_violation_case_breaks_consent(demo: tuple[CaseLog, DemoSummary]) -> None:
    cases, summary = demo
    violations = {
        name: compliance(cases.records(case_id), summary.today).as_json()["consent_violations"]
        for name, case_id in summary.cases.items()
    }
    assert {name for name, found in violations.items() if found} == {"consent_violation"}
    assert {v["rule"] for v in violations["consent_violation"]} <= {"CON-1", "CON-2", "CON-3"}


def test_plan_review_is_overdue_only_where_the_story_says(
    demo: tuple[CaseLog, DemoSummary],
) -> None:
    overdue = compliance(records(demo, "plan_overdue"), demo[1].today).as_json()["plan"]
    regular = compliance(records(demo, "in_support_year3"), demo[1].today).as_json()["plan"]
    assert overdue["overdue"] is True
    assert regular["overdue"] is False


def test_second_office_holds_its_own_cases(demo: tuple[CaseLog, DemoSummary]) -> None:
    cases, summary = demo
    offices = {
        name: cases.records(case_id)[0].payload["office_id"]
        for name, case_id in summary.cases.items()
    }
    assert offices["other_office"] == offices["other_office_waiting"] == OTHER_OFFICE
    assert list(offices.values()).count(OFFICE) >= 12


def test_demo_tokens_authenticate_as_their_roles(demo: tuple[CaseLog, DemoSummary]) -> None:
    from api.http.auth import TokenStore

    cases, summary = demo
    store = TokenStore(cases)
    staff = store.authenticate(summary.tokens["staff"])
    auditor = store.authenticate(summary.tokens["auditor"])
    admin = store.authenticate(summary.tokens["admin"])
    assert staff is not None and staff.role == "staff" and staff.office_id == OFFICE
    assert auditor is not None and auditor.role == "auditor"
    assert admin is not None and admin.role == "admin"
