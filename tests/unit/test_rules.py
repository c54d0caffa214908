"""ELIG, PER, JOB: each rule of the rulebook, with the worked examples of 留意R6."""

from __future__ import annotations

from datetime import date

import pytest

from domain.payloads import InvalidPayload, PriorService, validate_payload
from domain.rules import elig, job, per
from domain.rules.catalogue import RULES
from domain.rules.job import Clock, Stint


def d(text: str) -> date:
    return date.fromisoformat(text)


def prior(kind: str = "employment_transition", **kw: object) -> PriorService:
    return PriorService.model_validate({"kind": kind, **kw})


# -- ELIG ---------------------------------------------------------------------------


def test_elig1_every_listed_prior_service_leads_to_retention_support() -> None:
    kinds = {"daily_life_care", "independence_training", "employment_transition"}
    kinds |= {"continuous_a", "continuous_b"}
    assert kinds == elig.ELIGIBLE_PRIOR_SERVICES
    assert all(elig.is_eligible_prior_service(k) for k in kinds)
    assert not elig.is_eligible_prior_service("employment")
    assert elig.PRIOR_SERVICE_LABEL_JA["continuous_a"] == "就労継続支援A型"


def test_elig2_base_date_is_the_hire_day_for_a_new_hire() -> None:
    assert elig.base_date(d("2024-04-01"), prior(ended_on="2024-03-31")) == d("2024-04-01")


def test_elig2_temporary_use_while_employed_moves_the_base_to_the_day_after_use() -> None:
    # 留意R6: hired 2024-04-01, temporary use of 就労移行支援 until 2024-06-30.
    service = prior(ended_on="2024-06-30", temporary_while_employed=True)
    base = elig.base_date(d("2024-04-01"), service)
    assert base == d("2024-07-01")
    assert elig.waiting_period_end(base) == d("2024-12-31")
    assert elig.eligible_from(base) == d("2025-01-01")


def test_elig2_temporary_use_that_ended_before_the_hire_keeps_the_hire_day() -> None:
    service = prior(ended_on="2024-03-15", temporary_while_employed=True)
    assert not elig.uses_temporary_base(d("2024-04-01"), service)
    assert elig.base_date(d("2024-04-01"), service) == d("2024-04-01")


def test_elig2_temporary_use_without_an_end_date_has_no_base_date_yet() -> None:
    # The clock starts the day after the use ends: until that end is known there is
    # no 起算日 (the hire day would make the person eligible, and billable, too early).
    service = prior(temporary_while_employed=True)
    assert elig.base_date_pending(service)
    assert elig.base_date(d("2024-04-01"), service) is None
    assert not elig.base_date_pending(prior(ended_on="2024-03-31"))


def test_elig3_eligible_from_the_day_after_six_months() -> None:
    # 留意R6: hired 2024-04-01 → 6 months end 2024-09-30 → eligible from 2024-10-01.
    assert elig.WAITING_MONTHS == 6
    assert elig.waiting_period_end(d("2024-04-01")) == d("2024-09-30")
    assert elig.eligible_from(d("2024-04-01")) == d("2024-10-01")
    assert elig.eligible_from(d("2023-08-31")) == d("2024-03-01")


def test_elig4_last_eligible_day_ends_the_42_month_period() -> None:
    assert elig.ENTITLEMENT_MONTHS == 42
    assert elig.last_eligible_day(d("2024-04-01")) == d("2027-09-30")
    assert elig.last_eligible_day(d("2023-08-31")) == d("2027-02-28")


def test_elig5_a_refusal_must_carry_its_reason() -> None:
    with pytest.raises(InvalidPayload) as refused:
        validate_payload("request_declined", {"declined_on": "2024-04-01"})
    assert [p.field for p in refused.value.problems] == ["reason"]
    assert RULES["ELIG-5"].source == "S002"


# -- PER ----------------------------------------------------------------------------


def test_per1_a_decision_covers_at_most_one_year_of_three() -> None:
    assert per.DECISION_MAX_MONTHS == 12
    assert per.decision_max_end(d("2024-10-01")) == d("2025-09-30")


def test_per2_a_late_start_does_not_move_the_end() -> None:
    base = d("2024-04-01")
    assert per.entitlement_end(base, d("2025-10-01")) == d("2027-09-30")
    assert per.entitlement_end(base) == elig.last_eligible_day(base)


def test_per3_a_good_decision_has_no_problems() -> None:
    problems = per.decision_problems(
        d("2024-10-01"), d("2025-09-30"), d("2024-10-01"), d("2027-09-30")
    )
    assert problems == ()


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "codes"),
    [
        ("2024-09-01", "2025-08-31", ["starts_before_eligible"]),
        ("2026-10-01", "2027-10-31", ["runs_past_last_day", "longer_than_a_year"]),
        ("2024-10-01", "2025-10-01", ["longer_than_a_year"]),
        ("2027-01-01", "2027-10-01", ["runs_past_last_day"]),
    ],
)
def test_per3_decisions_outside_the_entitlement_or_longer_than_a_year_are_problems(
    valid_from: str, valid_to: str, codes: list[str]
) -> None:
    found = per.decision_problems(d(valid_from), d(valid_to), d("2024-10-01"), d("2027-09-30"))
    assert [f.code for f in found] == codes
    assert {f.rule for f in found} == {"PER-3"}
    assert all(valid_from in f.text_ja or valid_to in f.text_ja for f in found)


def test_per3_without_an_employment_clock_only_the_length_is_judged() -> None:
    found = per.decision_problems(d("2020-01-01"), d("2021-06-30"), None, None)
    assert [f.code for f in found] == ["longer_than_a_year"]


def test_per3_three_yearly_decisions_from_a_clipped_start_overrun_elig4_by_a_day() -> None:
    # Base 2024-08-29: six months end 2025-02-28 (no 02-29 in 2025), so support starts
    # 2025-03-01; three 12-month decisions end 2028-02-29, one day past ELIG-4 (2028-02-28).
    base = d("2024-08-29")
    start, last = elig.eligible_from(base), elig.last_eligible_day(base)
    assert (start, last) == (d("2025-03-01"), d("2028-02-28"))
    third = d("2027-03-01")
    found = per.decision_problems(third, per.decision_max_end(third), start, last)
    assert [f.code for f in found] == ["runs_past_last_day"]


def test_per4_warns_within_thirty_days_before_the_decision_ends() -> None:
    assert per.RENEWAL_WARNING_DAYS == 30
    assert RULES["PER-4"].interpretive
    due = d("2025-09-30")
    assert per.renewal_warning(due, d("2025-08-31"))  # 30 days before
    assert not per.renewal_warning(due, d("2025-08-30"))  # 31 days before
    assert per.renewal_warning(due, due)
    assert not per.renewal_warning(due, d("2025-10-01"))


def test_per5_days_outside_the_entitlement_are_never_billable() -> None:
    assert per.is_billable_day(d("2027-09-30"), d("2024-10-01"), d("2027-09-30"))
    assert not per.is_billable_day(d("2027-10-01"), d("2024-10-01"), d("2027-09-30"))
    assert not per.is_billable_day(d("2024-09-30"), d("2024-10-01"), d("2027-09-30"))


# -- JOB ----------------------------------------------------------------------------


def test_job1_leaving_without_a_new_hire_ends_the_contract_on_the_leaving_day() -> None:
    clock = job.employment_clock([Stint(d("2024-04-01"), d("2025-05-15"))], d("2025-07-01"))
    assert clock.ended_on == job.contract_end_after_leaving(d("2025-05-15")) == d("2025-05-15")
    assert clock.end_rule == "JOB-3"


def test_job2_a_new_hire_within_the_window_keeps_the_clock_once() -> None:
    assert job.MAX_JOB_CHANGES == 1
    assert RULES["JOB-2"].interpretive
    assert job.continues_employment(d("2025-05-15"), d("2025-06-15"), 0)
    assert not job.continues_employment(d("2025-05-15"), d("2025-06-16"), 0)
    assert not job.continues_employment(d("2025-05-15"), d("2025-05-20"), 1)
    stints = [Stint(d("2024-04-01"), d("2025-05-15")), Stint(d("2025-06-15"))]
    assert job.employment_clock(stints, d("2025-07-01")) == Clock(counted=(0, 1), changes=1)


def test_job3_between_jobs_the_clock_is_in_grace_until_the_deadline() -> None:
    stints = [Stint(d("2024-04-01"), d("2025-05-15"))]
    in_grace = job.employment_clock(stints, d("2025-06-15"))
    assert in_grace.grace_deadline == d("2025-06-15")
    assert in_grace.ended_on is None
    after = job.employment_clock(stints, d("2025-06-16"))
    assert (after.ended_on, after.end_rule, after.grace_deadline) == (
        d("2025-05-15"),
        "JOB-3",
        None,
    )


def test_job3_a_hire_after_the_deadline_starts_no_new_clock() -> None:
    stints = [Stint(d("2024-04-01"), d("2025-05-15")), Stint(d("2025-06-16"))]
    clock = job.employment_clock(stints, d("2025-07-01"))
    assert clock.counted == (0,)
    assert clock.late == (1,)
    assert clock.ended_on == d("2025-05-15")


def test_job3_on_the_leaving_day_the_person_is_still_employed() -> None:
    clock = job.employment_clock([Stint(d("2024-04-01"), d("2025-05-15"))], d("2025-05-15"))
    assert clock == Clock(counted=(0,), changes=0)


def test_job4_leaving_the_second_job_ends_the_entitlement_on_that_day() -> None:
    stints = [
        Stint(d("2024-04-01"), d("2025-05-15")),
        Stint(d("2025-06-01"), d("2025-09-10")),
        Stint(d("2025-09-20")),
    ]
    clock = job.employment_clock(stints, d("2025-09-11"))
    assert (clock.ended_on, clock.end_rule, clock.changes) == (d("2025-09-10"), "JOB-4", 1)
    assert clock.late == (2,)


def test_job5_contacts_with_agencies_are_coordination_after_leaving() -> None:
    assert "agency" in job.COORDINATION_COUNTERPARTS


def test_job6_changes_within_the_same_employer_move_no_period() -> None:
    assert job.WITHIN_EMPLOYER_CHANGES_MOVE_PERIODS is False


def test_no_stints_means_no_clock() -> None:
    assert job.employment_clock([], d("2025-01-01")) == Clock(counted=(), changes=0)
