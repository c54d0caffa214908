"""Entitlement: given the events of a case, then its dates, status and explanations."""

from __future__ import annotations

from datetime import datetime

from projections.entitlement import Entitlement, entitlement
from tests.factories import CaseBuilder, d


def rules_of(ent: Entitlement) -> set[str]:
    return {e.rule for e in ent.explanation}


def employed_since_april_2024() -> CaseBuilder:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")  # version 2
    return b


def test_normal_path_is_in_support_with_dates_rules_and_versions() -> None:
    b = employed_since_april_2024()
    b.contract("2024-10-01")  # 3
    b.decision("2024-10-01", "2025-09-30")  # 4
    ent = entitlement(b.records, on=d("2025-01-15"))
    assert ent.base_date is not None and ent.base_date.date == d("2024-04-01")
    assert ent.eligible_from is not None and ent.eligible_from.date == d("2024-10-01")
    assert ent.last_eligible_day is not None and ent.last_eligible_day.date == d("2027-09-30")
    assert ent.support_end is not None and ent.support_end.date == d("2027-09-30")
    assert ent.status == "in_support"
    assert ent.eligible_from.explanation.rule == "ELIG-3"
    assert ent.eligible_from.explanation.events == (2,)
    assert "2024-09-30の翌日2024-10-01から対象" in ent.eligible_from.explanation.text_ja
    assert ent.last_eligible_day.explanation.rule == "ELIG-4"
    assert ent.status_explanation.events == (4,)
    assert {"ELIG-1", "ELIG-2", "ELIG-3", "ELIG-4", "PER-1"} <= rules_of(ent)
    assert ent.explanation[0].rule == "ELIG-1"
    assert ent.explanation[-1] == ent.status_explanation
    assert ent.job_change_used is False
    assert ent.job_change_deadline is None
    assert ent.decisions[0].problems == ()
    assert ent.renewal_due_by is not None and ent.renewal_due_by.date == d("2025-09-30")
    assert ent.renewal_warning is False


def test_before_eligible_from_the_case_is_waiting() -> None:
    ent = entitlement(employed_since_april_2024().records, on=d("2024-09-30"))
    assert ent.status == "waiting"
    assert ent.status_explanation.rule == "ELIG-3"
    assert not ent.covers(d("2024-09-30"))
    assert ent.covers(d("2024-10-01"))


def test_eligible_without_a_covering_decision_says_so() -> None:
    ent = entitlement(employed_since_april_2024().records, on=d("2024-10-01"))
    assert ent.status == "eligible_no_decision"
    assert ent.status_explanation.rule == "PER-1"
    assert ent.renewal_due_by is None


def test_late_start_after_declining_at_month_seven_keeps_the_end_date() -> None:
    b = employed_since_april_2024()
    b.contract("2025-09-20", support_from="2025-10-01")  # 3
    b.decision("2025-10-01", "2026-09-30")  # 4
    ent = entitlement(b.records, on=d("2025-11-01"))
    assert ent.status == "in_support"
    assert ent.contract_from is not None and ent.contract_from.date == d("2025-10-01")
    assert ent.support_end is not None and ent.support_end.date == d("2027-09-30")
    assert ent.support_end.explanation.rule == "PER-2"
    assert set(ent.support_end.explanation.events) == {2, 3}
    assert ent.decisions[0].problems == ()


def test_job_change_within_the_window_keeps_the_clock_and_uses_the_change() -> None:
    b = employed_since_april_2024()
    resigned = b.resigned("2025-05-15")
    rehired = b.hired("2025-06-15", employer="株式会社つぎ")
    ent = entitlement(b.records, on=d("2025-07-01"))
    assert ent.base_date is not None and ent.base_date.date == d("2024-04-01")
    assert ent.last_eligible_day is not None and ent.last_eligible_day.date == d("2027-09-30")
    assert ent.job_change_used is True
    assert ent.job_change_deadline is not None
    assert ent.job_change_deadline.date == d("2025-06-15")
    assert ent.job_change_deadline.explanation.rule == "JOB-2"
    assert set(ent.job_change_deadline.explanation.events) == {resigned, rehired}
    assert ent.status == "eligible_no_decision"


def test_between_jobs_within_the_window_the_case_is_in_grace_with_its_deadline() -> None:
    b = employed_since_april_2024()
    resigned = b.resigned("2025-05-15")
    ent = entitlement(b.records, on=d("2025-06-01"))
    assert ent.status == "job_change_grace"
    assert ent.status_explanation.rule == "JOB-3"
    assert ent.status_explanation.events == (resigned,)
    assert ent.job_change_deadline is not None
    assert ent.job_change_deadline.date == d("2025-06-15")
    assert ent.job_change_used is False
    assert ent.as_json()["job_change_deadline"] == "2025-06-15"


def test_a_hire_after_the_deadline_ends_the_contract_on_the_leaving_day() -> None:
    b = employed_since_april_2024()
    resigned = b.resigned("2025-05-15")
    late = b.hired("2025-06-16", employer="株式会社おそい")
    ent = entitlement(b.records, on=d("2025-07-01"))
    assert ent.status == "ended"
    assert ent.support_end is not None and ent.support_end.date == d("2025-05-15")
    assert ent.support_end.explanation.rule == "JOB-3"
    assert set(ent.support_end.explanation.events) == {resigned, late}
    assert "新たな期間は始まりません" in ent.support_end.explanation.text_ja
    assert ent.job_change_used is False
    assert ent.base_date is not None and ent.base_date.date == d("2024-04-01")
    assert not ent.covers(d("2025-05-16"))


def test_no_hire_by_the_deadline_ends_the_contract_on_the_leaving_day() -> None:
    b = employed_since_april_2024()
    b.resigned("2025-05-15")
    ent = entitlement(b.records, on=d("2025-06-16"))
    assert ent.status == "ended"
    assert ent.support_end is not None and ent.support_end.date == d("2025-05-15")
    assert ent.status_explanation.rule == "JOB-3"


def test_second_job_change_ends_entitlement_on_leaving_day() -> None:
    b = employed_since_april_2024()
    b.resigned("2025-05-15")
    b.hired("2025-06-01", employer="株式会社つぎ")
    second = b.resigned("2025-09-10")
    b.hired("2025-09-20", employer="株式会社みっつめ")
    on_leaving_day = entitlement(b.records, on=d("2025-09-10"))
    assert on_leaving_day.status != "ended"
    ent = entitlement(b.records, on=d("2025-09-25"))
    assert ent.status == "ended"
    assert ent.support_end is not None and ent.support_end.date == d("2025-09-10")
    assert ent.support_end.explanation.rule == "JOB-4"
    assert second in ent.support_end.explanation.events
    assert ent.job_change_used is True


def test_temporary_use_while_employed_moves_the_base_date() -> None:
    b = CaseBuilder(
        opened_on="2024-03-01",
        prior_service={
            "kind": "employment_transition",
            "ended_on": "2024-06-30",
            "temporary_while_employed": True,
        },
    )
    hire = b.hired("2024-04-01")
    ent = entitlement(b.records, on=d("2024-12-31"))
    assert ent.base_date is not None and ent.base_date.date == d("2024-07-01")
    assert ent.base_date.explanation.rule == "ELIG-2"
    assert set(ent.base_date.explanation.events) == {1, hire}
    assert ent.eligible_from is not None and ent.eligible_from.date == d("2025-01-01")
    assert ent.last_eligible_day is not None and ent.last_eligible_day.date == d("2027-12-31")
    assert ent.status == "waiting"


def test_recorded_support_end_ends_the_entitlement() -> None:
    b = employed_since_april_2024()
    b.decision("2024-10-01", "2025-09-30")
    ended = b.event("support_ended", ended_on="2025-03-31", reason="person_request")
    ent = entitlement(b.records, on=d("2025-04-01"))
    assert ent.status == "ended"
    assert ent.support_end is not None and ent.support_end.date == d("2025-03-31")
    assert ent.support_end.explanation.events == (ended,)
    assert ent.renewal_due_by is None


def test_after_the_last_eligible_day_the_entitlement_has_expired() -> None:
    b = employed_since_april_2024()
    ent = entitlement(b.records, on=d("2027-10-01"))
    assert ent.status == "expired"
    assert ent.status_explanation.rule == "ELIG-4"
    assert entitlement(b.records, on=d("2027-09-30")).status == "eligible_no_decision"


def test_decision_problems_are_shown_and_the_decision_is_not_clipped() -> None:
    b = employed_since_april_2024()
    version = b.decision("2024-09-01", "2025-09-30")
    ent = entitlement(b.records, on=d("2024-10-15"))
    (view,) = ent.decisions
    assert (view.valid_from, view.valid_to) == (d("2024-09-01"), d("2025-09-30"))
    assert [p.rule for p in view.problems] == ["PER-3", "PER-3"]
    assert all(p.events == (version,) for p in view.problems)
    assert sum(e.rule == "PER-3" for e in ent.explanation) == 2
    assert ent.as_json()["decisions"][0]["problems"][0]["rule"] == "PER-3"


def test_renewal_is_due_when_the_covering_decision_ends_with_a_warning_thirty_days_ahead() -> None:
    b = employed_since_april_2024()
    version = b.decision("2024-10-01", "2025-09-30")
    early = entitlement(b.records, on=d("2025-08-30"))
    near = entitlement(b.records, on=d("2025-08-31"))
    assert early.renewal_due_by is not None and early.renewal_due_by.date == d("2025-09-30")
    assert early.renewal_due_by.explanation.events == (version,)
    assert (early.renewal_warning, near.renewal_warning) == (False, True)
    assert "PER-4" in rules_of(near)
    assert near.as_json()["renewal_warning"] is True


def test_a_following_decision_means_no_renewal_is_due() -> None:
    b = employed_since_april_2024()
    b.decision("2024-10-01", "2025-09-30")
    b.decision("2025-10-01", "2026-09-30", decided_on="2025-09-01")
    ent = entitlement(b.records, on=d("2025-09-15"))
    assert ent.renewal_due_by is None
    assert ent.renewal_warning is False
    assert ent.decision_on(d("2025-10-01")) is ent.decisions[1]


def test_retracted_hire_leaves_the_person_not_employed() -> None:
    b = employed_since_april_2024()
    b.retract(2)
    ent = entitlement(b.records, on=d("2025-01-15"))
    assert ent.status == "not_employed"
    assert ent.base_date is None and ent.support_end is None
    assert not ent.covers(d("2025-01-15"))


def test_corrected_hire_date_is_read_as_known_before_and_after_the_correction() -> None:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    hire = b.at("2024-04-02T10:00:00+09:00").hired("2024-04-01")
    fix = b.at("2024-06-03T10:00:00+09:00").correct(
        hire, hired_on="2024-05-01", employer={"name": "株式会社サンプル"}
    )
    as_of = datetime.fromisoformat("2024-06-01T00:00:00+09:00")
    before = entitlement(b.records, on=d("2024-10-15"), as_of=as_of)
    after = entitlement(b.records, on=d("2024-10-15"))
    assert before.base_date is not None and before.base_date.date == d("2024-04-01")
    assert before.base_date.explanation.events == (hire,)
    assert after.base_date is not None and after.base_date.date == d("2024-05-01")
    assert after.base_date.explanation.events == (hire, fix)
    assert after.eligible_from is not None and after.eligible_from.date == d("2024-11-01")
    assert (before.status, after.status) == ("eligible_no_decision", "waiting")


def test_facts_effective_after_on_are_not_yet_part_of_the_state() -> None:
    b = employed_since_april_2024()
    b.resigned("2025-05-15")
    ent = entitlement(b.records, on=d("2025-05-01"))
    assert ent.status == "eligible_no_decision"
    assert ent.job_change_deadline is None


def test_as_json_has_the_api_shape_with_iso_dates() -> None:
    b = employed_since_april_2024()
    b.decision("2024-10-01", "2025-09-30")
    data = entitlement(b.records, on=d("2025-01-15")).as_json()
    expected = {"base_date", "eligible_from", "last_eligible_day", "status", "job_change_used"}
    expected |= {"job_change_deadline", "decisions", "renewal_due_by", "explanation"}
    assert expected <= set(data)
    assert data["base_date"] == "2024-04-01"
    assert data["job_change_deadline"] is None
    assert data["decisions"][0] | {"problems": []} == data["decisions"][0]
    assert data["decisions"][0]["valid_to"] == "2025-09-30"
    assert {"rule", "text_ja", "events"} <= set(data["explanation"][0])


def test_replaying_the_same_events_gives_the_same_entitlement() -> None:
    b = employed_since_april_2024()
    b.resigned("2025-05-15")
    b.hired("2025-06-01")
    b.decision("2024-10-01", "2025-09-30")
    records = b.records
    assert entitlement(records, on=d("2025-07-01")) == entitlement(
        list(records), on=d("2025-07-01")
    )
