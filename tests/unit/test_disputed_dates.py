"""Disputed dates: the edges a person or an auditor would argue about, rule by rule.

Each test states the events, then asserts the dates, statuses and billability AND the
rule ids and event versions that explain them, so a wrong date or a wrong "why" fails.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from projections.compliance import MonthCompliance, compliance
from projections.entitlement import Entitlement, entitlement
from tests.factories import CaseBuilder, case_opened_payload, d

EMPLOYER = "株式会社サンプル"


def hired_on(day: str, opened_on: str = "2023-08-01", **overrides: Any) -> CaseBuilder:
    b = CaseBuilder(opened_on=opened_on, **overrides)
    b.hired(day)  # version 2
    return b


def supported(
    hire: str = "2024-04-01", start: str = "2024-10-01", to: str = "2025-09-30"
) -> CaseBuilder:
    """Hired, then a contract (3) and a decision (4) from ``start``."""
    b = hired_on(hire, opened_on="2024-03-01")
    b.contract(start)
    b.decision(start, to)
    return b


def month_of(b: CaseBuilder, month: str, on: str, as_of: datetime | None = None) -> MonthCompliance:
    result = compliance(b.records, d(on), as_of, from_month=month, to_month=month)
    (found,) = result.months
    return found


def reasons(month: MonthCompliance) -> dict[str, tuple[int, ...]]:
    return {r.rule: r.events for r in month.reasons}


def violations(b: CaseBuilder, on: str) -> list[dict[str, Any]]:
    return compliance(b.records, d(on)).as_json()["consent_violations"]


def dates(ent: Entitlement) -> tuple[str | None, str | None, str | None]:
    data = ent.as_json()
    return data["base_date"], data["eligible_from"], data["last_eligible_day"]


# -- CAL / ELIG-3 / ELIG-4: month-end and leap-day hires ---------------------------------


@pytest.mark.parametrize(
    ("hire", "wait_end", "eligible", "last"),
    [
        ("2023-08-31", "2024-02-29", "2024-03-01", "2027-02-28"),
        ("2024-01-31", "2024-07-30", "2024-07-31", "2027-07-30"),
        ("2024-02-29", "2024-08-28", "2024-08-29", "2027-08-28"),
    ],
)
def test_month_end_and_leap_day_hires_count_periods_by_cal_2(
    hire: str, wait_end: str, eligible: str, last: str
) -> None:
    ent = entitlement(hired_on(hire).records, on=d(eligible))
    assert dates(ent) == (hire, eligible, last)
    assert ent.eligible_from is not None and ent.last_eligible_day is not None
    assert ent.eligible_from.explanation.rule == "ELIG-3"
    assert ent.eligible_from.explanation.events == (2,)
    assert f"{wait_end}の翌日{eligible}" in ent.eligible_from.explanation.text_ja
    assert ent.last_eligible_day.explanation.rule == "ELIG-4"
    assert ent.last_eligible_day.explanation.events == (2,)
    assert ent.status == "eligible_no_decision"
    assert entitlement(hired_on(hire).records, on=d(wait_end)).status == "waiting"


# -- ELIG-2: temporary use ---------------------------------------------------------------


def test_temporary_use_that_ended_before_the_hire_does_not_move_the_base_date() -> None:
    prior = {
        "kind": "employment_transition",
        "ended_on": "2024-03-31",
        "temporary_while_employed": True,
    }
    b = hired_on("2024-04-01", opened_on="2024-03-01", prior_service=prior)
    ent = entitlement(b.records, on=d("2024-10-01"))
    assert dates(ent) == ("2024-04-01", "2024-10-01", "2027-09-30")
    assert ent.base_date is not None
    assert ent.base_date.explanation.rule == "ELIG-2"
    assert ent.base_date.explanation.events == (2,)
    assert "一時利用" not in ent.base_date.explanation.text_ja
    assert ent.status == "eligible_no_decision"


# -- PER-2 / PER-3: late start and the length of a decision ------------------------------


def test_a_first_decision_at_month_twenty_keeps_the_elig_4_end() -> None:
    b = hired_on("2024-04-01", opened_on="2024-03-01")
    contract = b.contract("2025-11-01")
    decision = b.decision("2025-11-01", "2026-10-31")
    overrun = b.decision("2026-11-01", "2027-10-31", decided_on="2026-10-01")
    ent = entitlement(b.records, on=d("2026-01-15"))
    assert ent.status == "in_support"
    assert ent.status_explanation.events == (decision,)
    assert ent.support_end is not None and ent.support_end.date == d("2027-09-30")
    assert ent.support_end.explanation.rule == "PER-2"
    assert ent.support_end.explanation.events == (2, contract)
    assert ent.last_eligible_day is not None and ent.last_eligible_day.date == d("2027-09-30")
    assert ent.decisions[0].problems == ()
    later = entitlement(b.records, on=d("2026-11-15"))
    (problem,) = later.decisions[1].problems
    assert (problem.rule, problem.events) == ("PER-3", (overrun,))
    assert "2027-09-30" in problem.text_ja
    assert not later.covers(d("2027-10-01"))
    assert later.covers(d("2027-09-30"))


def test_a_decision_of_exactly_twelve_months_is_fine_and_one_day_more_is_a_problem() -> None:
    exact = supported(to="2025-09-30")
    assert entitlement(exact.records, on=d("2025-01-15")).decisions[0].problems == ()
    long = supported(to="2025-10-01")
    ent = entitlement(long.records, on=d("2025-01-15"))
    (problem,) = ent.decisions[0].problems
    assert (problem.rule, problem.events) == ("PER-3", (4,))
    assert "2025-09-30に満了" in problem.text_ja
    long.contact("2025-10-01")
    long.report("2025-10", "2025-10-05", shared_with=["本人"])
    month = month_of(long, "2025-10", on="2025-10-31")
    assert month.billable is False
    assert 4 in reasons(month)["PER-3"]
    # The valid last day of the decision is billable.
    exact.contact("2025-09-30")
    exact.report("2025-09", "2025-09-30", shared_with=["本人"])
    assert month_of(exact, "2025-09", on="2025-10-31").billable is True


def test_contacts_on_the_first_and_last_day_of_a_decision_are_billable() -> None:
    b = supported(start="2024-10-15", to="2025-10-14")
    b.contact("2024-10-15")
    b.contact("2025-10-14")
    b.report("2024-10", "2024-11-05", shared_with=["本人"])
    b.report("2025-10", "2025-10-20", shared_with=["本人"])
    october = month_of(b, "2024-10", on="2025-12-01")
    assert (october.billable, october.face_to_face, october.reasons) == (True, 1, ())
    assert month_of(b, "2025-10", on="2025-12-01").billable is True


def test_a_contact_the_day_after_a_decision_ends_is_not_billable() -> None:
    b = supported(start="2024-10-15", to="2025-10-14")
    after = b.contact("2025-10-15")
    b.report("2025-10", "2025-10-20", shared_with=["本人"])
    month = month_of(b, "2025-10", on="2025-12-01")
    assert month.billable is False
    assert reasons(month) == {"PER-1": (after,)}
    assert "2025-10-15" in month.reasons[0].text_ja


# -- JOB: leaving and changing jobs ------------------------------------------------------


def test_resigning_on_the_last_eligible_day_expires_with_no_job_change_deadline() -> None:
    b = supported(start="2026-10-01", to="2027-09-30")
    b.resigned("2027-09-30")
    on_the_day = entitlement(b.records, on=d("2027-09-30"))
    assert on_the_day.status == "in_support"
    assert on_the_day.support_end is not None and on_the_day.support_end.date == d("2027-09-30")
    after = entitlement(b.records, on=d("2027-10-01"))
    assert after.status == "expired"
    # The contract started late (month 31), so the end is explained by PER-2.
    assert (after.status_explanation.rule, after.status_explanation.events) == ("PER-2", (2, 3))
    assert after.job_change_deadline is None
    assert "JOB-3" not in {e.rule for e in after.explanation}
    later = entitlement(b.records, on=d("2027-11-15"))
    assert (later.status, later.status_explanation.rule) == ("expired", "PER-2")
    assert later.support_end is not None and later.support_end.date == d("2027-09-30")


@pytest.mark.parametrize(
    ("left", "deadline"), [("2025-05-15", "2025-06-15"), ("2025-01-31", "2025-02-28")]
)
def test_a_new_hire_exactly_on_the_deadline_keeps_the_clock(left: str, deadline: str) -> None:
    b = supported()
    resigned = b.resigned(left)
    rehired = b.hired(deadline, employer="株式会社つぎ")
    ent = entitlement(b.records, on=d("2025-07-01"))
    assert ent.status == "in_support"
    assert ent.job_change_used is True
    assert ent.job_change_deadline is not None
    assert ent.job_change_deadline.date == d(deadline)
    assert ent.job_change_deadline.explanation.rule == "JOB-2"
    assert ent.job_change_deadline.explanation.events == (resigned, rehired)
    assert ent.support_end is not None and ent.support_end.date == d("2027-09-30")
    assert ent.base_date is not None and ent.base_date.date == d("2024-04-01")


@pytest.mark.parametrize(
    ("left", "late"), [("2025-05-15", "2025-06-16"), ("2025-01-31", "2025-03-01")]
)
def test_a_new_hire_one_day_after_the_deadline_ends_the_contract_on_leaving(
    left: str, late: str
) -> None:
    b = supported()
    resigned = b.resigned(left)
    grace = entitlement(b.records, on=d(left))
    assert grace.status == "in_support"  # still employed on the leaving day (JOB-3)
    hire = b.hired(late, employer="株式会社おそい")
    ent = entitlement(b.records, on=d("2025-07-01"))
    assert ent.status == "ended"
    assert ent.job_change_used is False
    assert ent.support_end is not None and ent.support_end.date == d(left)
    assert ent.support_end.explanation.rule == "JOB-3"
    assert ent.support_end.explanation.events == (resigned, hire)
    assert ent.status_explanation.rule == "JOB-3"
    assert ent.covers(d(left))
    assert not ent.covers(d(late))


def test_support_ended_while_between_jobs_ends_the_contract_on_the_leaving_day() -> None:
    b = supported()
    resigned = b.resigned("2025-05-15")
    in_grace = entitlement(b.records, on=d("2025-05-18"))
    assert in_grace.status == "job_change_grace"
    assert in_grace.job_change_deadline is not None
    assert in_grace.job_change_deadline.date == d("2025-06-15")
    assert in_grace.job_change_deadline.explanation.events == (resigned,)
    ended = b.event("support_ended", ended_on="2025-05-20", reason="resigned")
    ent = entitlement(b.records, on=d("2025-05-25"))
    assert ent.status == "ended"
    assert ent.support_end is not None and ent.support_end.date == d("2025-05-15")
    assert ent.support_end.explanation.rule == "JOB-1"
    assert ent.support_end.explanation.events == (resigned, ended)
    assert ent.job_change_deadline is None
    assert not ent.covers(d("2025-05-16"))
    assert ent.covers(d("2025-05-15"))


def test_support_ended_after_a_kept_job_change_ends_on_its_own_day() -> None:
    b = supported()
    b.resigned("2025-05-15")
    b.hired("2025-06-01", employer="株式会社つぎ")
    ended = b.event("support_ended", ended_on="2025-08-31", reason="person_request")
    ent = entitlement(b.records, on=d("2025-09-01"))
    assert ent.status == "ended"
    assert ent.support_end is not None and ent.support_end.date == d("2025-08-31")
    assert (ent.support_end.explanation.rule, ent.support_end.explanation.events) == (
        "END-1",
        (ended,),
    )


# -- Corrections and retractions, read as of an instant ----------------------------------


def test_a_correction_moving_the_hire_across_the_six_month_line_is_read_as_known() -> None:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    hire = b.at("2024-04-02T10:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-01T10:00:00+09:00").contract("2024-10-01")
    decision = b.decision("2024-10-01", "2025-09-30")
    contact = b.at("2024-10-10T10:00:00+09:00").contact("2024-10-10")
    b.at("2024-11-01T10:00:00+09:00").report("2024-10", "2024-11-01", shared_with=["本人"])
    fix = b.at("2024-11-05T10:00:00+09:00").correct(
        hire, hired_on="2024-04-20", employer={"name": EMPLOYER}
    )
    before = datetime.fromisoformat("2024-11-05T09:59:00+09:00")
    on = d("2024-10-15")
    old, new = entitlement(b.records, on, as_of=before), entitlement(b.records, on)
    assert (old.status, new.status) == ("in_support", "waiting")
    assert old.eligible_from is not None and new.eligible_from is not None
    assert (old.eligible_from.date, new.eligible_from.date) == (d("2024-10-01"), d("2024-10-20"))
    assert old.eligible_from.explanation.events == (hire,)
    assert new.eligible_from.explanation.events == (hire, fix)
    assert new.status_explanation.events == (hire, fix)
    (problem,) = new.decisions[0].problems
    assert (problem.rule, problem.events) == ("PER-3", (decision,))
    assert old.decisions[0].problems == ()
    billed = month_of(b, "2024-10", on="2024-11-30", as_of=before)
    assert billed.billable is True
    unbilled = month_of(b, "2024-10", on="2024-11-30")
    assert unbilled.billable is False
    assert set(reasons(unbilled)["ELIG-3"]) == {hire, fix, contact}


def test_retracting_a_resignation_removes_the_grace_as_of_the_retraction() -> None:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-02T10:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-01T10:00:00+09:00").contract("2024-10-01")
    decision = b.decision("2024-10-01", "2025-09-30")
    resigned = b.at("2025-05-16T10:00:00+09:00").resigned("2025-05-15")
    b.at("2025-05-20T10:00:00+09:00").retract(resigned)
    before = datetime.fromisoformat("2025-05-19T00:00:00+09:00")
    on = d("2025-05-19")
    grace = entitlement(b.records, on, as_of=before)
    assert grace.status == "job_change_grace"
    assert grace.status_explanation.events == (resigned,)
    assert grace.job_change_deadline is not None and grace.job_change_deadline.date == d(
        "2025-06-15"
    )
    now = entitlement(b.records, d("2025-07-01"))
    assert now.status == "in_support"
    assert now.status_explanation.events == (decision,)
    assert now.job_change_deadline is None
    assert now.support_end is not None and now.support_end.date == d("2027-09-30")
    ended_then = entitlement(b.records, d("2025-07-01"), as_of=before)
    assert ended_then.status == "ended" and ended_then.status_explanation.rule == "JOB-3"


def test_a_retracted_decision_leaves_the_case_without_a_decision() -> None:
    b = supported()
    b.contact("2024-10-10")
    b.report("2024-10", "2024-11-01", shared_with=["本人"])
    assert month_of(b, "2024-10", on="2024-11-30").billable is True
    b.retract(4)
    ent = entitlement(b.records, on=d("2024-11-15"))
    assert ent.status == "eligible_no_decision"
    assert ent.decisions == ()
    assert ent.renewal_due_by is None
    month = month_of(b, "2024-10", on="2024-11-30")
    assert month.billable is False
    assert "PER-1" in reasons(month)


# -- MON-4: the month a report belongs to ------------------------------------------------


def test_a_report_shared_in_the_following_month_counts_for_its_own_month() -> None:
    b = supported()
    b.contact("2024-10-10")
    report = b.report("2024-10", "2024-11-05", shared_with=["本人"])
    b.contact("2024-11-12")
    early = month_of(b, "2024-10", on="2024-11-04")
    assert early.billable is False and "MON-4" in reasons(early)
    october = month_of(b, "2024-10", on="2024-11-30")
    assert (october.billable, october.report_shared, october.reasons) == (True, True, ())
    november = month_of(b, "2024-11", on="2024-11-30")
    assert november.billable is False
    assert list(reasons(november)) == ["MON-4"]
    assert report not in {v for r in november.reasons for v in r.events}


def test_a_report_not_shared_with_the_person_does_not_satisfy_mon_4() -> None:
    b = supported()
    b.consent("C-1", "2024-10-01", [EMPLOYER], ["就労状況"])
    b.contact("2024-10-10")
    report = b.report("2024-10", "2024-11-05", shared_with=[EMPLOYER])
    month = month_of(b, "2024-10", on="2024-11-30")
    assert month.billable is False
    assert reasons(month)["MON-4"] == (report,)
    b.report("2024-10", "2024-11-06", shared_with=["本人"])
    assert month_of(b, "2024-10", on="2024-11-30").billable is True


# -- CON: consent at the edges of its days -----------------------------------------------


def consented_case(**consent: Any) -> tuple[CaseBuilder, int]:
    b = hired_on("2024-04-01", opened_on="2024-03-01")
    fields: dict[str, Any] = {
        "consent_id": "C-1", "given_on": "2024-10-01", "written": True,
        "parties": [EMPLOYER], "information": ["就労状況"], **consent,
    }  # fmt: skip
    return b, b.event("consent_given", **fields)


def share(b: CaseBuilder, on: str) -> int:
    return b.contact(on, counterpart="employer", party=EMPLOYER, information_shared=["就労状況"])


def test_sharing_on_the_day_the_consent_was_withdrawn_is_a_violation() -> None:
    b, given = consented_case()
    withdrawn = b.event("consent_withdrawn", consent_id="C-1", withdrawn_on="2024-12-10")
    before = share(b, "2024-12-09")
    same_day = share(b, "2024-12-10")
    found = violations(b, "2025-01-01")
    assert [(v["version"], v["rule"]) for v in found] == [(same_day, "CON-2")]
    assert found[0]["events"] == sorted({same_day, given, withdrawn})
    assert before not in [v["version"] for v in found]


def test_sharing_the_day_after_valid_until_is_a_violation_and_on_it_is_not() -> None:
    b, given = consented_case(valid_until="2024-12-09")
    on_last_day = share(b, "2024-12-09")
    day_after = share(b, "2024-12-10")
    found = violations(b, "2025-01-01")
    assert [(v["version"], v["rule"]) for v in found] == [(day_after, "CON-1")]
    assert found[0]["events"] == [given, day_after]
    assert on_last_day not in [v["version"] for v in found]


def test_a_case_meeting_the_person_attended_and_is_listed_in_is_no_violation() -> None:
    b, given = consented_case()
    name = "試験 花子"
    b.event(
        "case_meeting_held", held_on="2024-11-01", parties=["本人", name, EMPLOYER],
        person_attended=True, information_shared=["就労状況"],
    )  # fmt: skip
    assert violations(b, "2025-01-01") == []
    meeting = b.event(
        "case_meeting_held", held_on="2024-11-02", parties=[name, "ハローワーク"],
        person_attended=True, information_shared=["就労状況"],
    )  # fmt: skip
    found = violations(b, "2025-01-01")
    assert [(v["version"], v["party"], v["rule"]) for v in found] == [
        (meeting, "ハローワーク", "CON-2")
    ]
    assert found[0]["events"] == [given, meeting]


def test_a_contact_without_a_named_party_is_checked_against_its_counterpart_in_japanese() -> None:
    b, given = consented_case(parties=[EMPLOYER, "家族"])
    allowed = b.contact("2024-11-01", counterpart="family", information_shared=["就労状況"])
    told = b.contact("2024-11-02", counterpart="medical", information_shared=["就労状況"])
    b.contact("2024-11-03", counterpart="person", information_shared=["就労状況"])
    found = violations(b, "2025-01-01")
    assert [(v["version"], v["party"], v["rule"]) for v in found] == [(told, "医療機関", "CON-2")]
    assert "「医療機関」" in found[0]["text_ja"]
    assert found[0]["events"] == [given, told]
    assert allowed not in [v["version"] for v in found]


# -- ELIG-2: temporary use whose end is not recorded yet ---------------------------------


def test_temporary_use_without_a_recorded_end_leaves_no_base_date_and_nothing_billable() -> None:
    still_using = {"kind": "employment_transition", "temporary_while_employed": True}
    b = hired_on("2024-01-10", opened_on="2023-03-01", prior_service=still_using)
    b.contract("2024-07-10")
    b.decision("2024-07-10", "2025-07-09")
    contact = b.contact("2024-07-15")
    b.report("2024-07", "2024-07-31", shared_with=["本人"])
    ent = entitlement(b.records, on=d("2024-08-01"))
    assert dates(ent) == (None, None, None)
    assert ent.status == "waiting"
    assert (ent.status_explanation.rule, ent.status_explanation.events) == ("ELIG-2", (1, 2))
    assert not ent.covers(d("2024-07-15"))
    july = month_of(b, "2024-07", on="2024-08-01")
    assert july.billable is False
    assert reasons(july) == {"ELIG-2": (1, 2, contact)}
    # When the end of the use is recorded, the clock starts the day after it (CAL-3).
    ended = {**still_using, "ended_on": "2024-02-29"}
    fix = b.correct(1, **case_opened_payload("2023-03-01", prior_service=ended))
    ent = entitlement(b.records, on=d("2024-09-01"))
    assert dates(ent) == ("2024-03-01", "2024-09-01", "2027-08-31")
    assert ent.base_date is not None
    assert (ent.base_date.explanation.rule, ent.base_date.explanation.events) == (
        "ELIG-2",
        (1, 2, fix),
    )
    assert "2024-02-29に終了" in ent.base_date.explanation.text_ja


# -- CON-2: a contact with "the employer" that names no party ----------------------------


def test_sharing_with_the_employer_unnamed_is_allowed_by_a_consent_naming_the_employer() -> None:
    b, given = consented_case()  # names the employer the person was hired by (version 2)
    allowed = b.contact("2024-11-01", counterpart="employer", information_shared=["就労状況"])
    b.resigned("2025-01-10")
    b.hired("2025-01-20", employer="株式会社つぎ")
    told = b.contact("2025-02-01", counterpart="employer", information_shared=["就労状況"])
    found = violations(b, "2025-03-01")
    assert [(v["version"], v["party"], v["rule"]) for v in found] == [(told, "事業主", "CON-2")]
    assert found[0]["events"] == [given, told]
    assert allowed not in [v["version"] for v in found]


# -- PER-1: a second contract does not undo support under the first ---------------------


def test_a_new_contract_after_a_kept_job_change_leaves_earlier_months_billable() -> None:
    b = supported()  # contract 3 from 2024-10-01, decision 4
    b.contact("2024-10-10")
    b.report("2024-10", "2024-11-01", shared_with=["本人"])
    b.resigned("2025-05-15")
    b.hired("2025-06-01", employer="株式会社つぎ")
    second = b.contract("2025-06-05")
    ent = entitlement(b.records, on=d("2025-07-01"))
    assert ent.contract_from is not None and ent.contract_from.date == d("2025-06-05")
    assert ent.contract_from.explanation.events == (second,)
    assert ent.support_from is not None and ent.support_from.date == d("2024-10-01")
    assert (ent.support_from.explanation.rule, ent.support_from.explanation.events) == (
        "PER-2",
        (3,),
    )
    october = month_of(b, "2024-10", on="2025-07-01")
    assert (october.billable, october.face_to_face, october.reasons) == (True, 1, ())
    plan = compliance(b.records, d("2025-07-01")).plan
    assert (plan.review_due_by, plan.explanation.rule, plan.explanation.events) == (
        d("2024-10-01"),
        "PLAN-1",
        (3,),
    )
    # Support before the first contract is still not billable (PER-1).
    early = b.contact("2024-09-30")
    b.report("2024-09", "2024-09-30", shared_with=["本人"])
    september = month_of(b, "2024-09", on="2025-07-01")
    assert september.billable is False
    found = [(r.rule, r.events) for r in september.reasons]
    assert ("PER-1", (3, early)) in found  # before the contract's support start
    assert ("ELIG-3", (2, early)) in found  # and before the eligible day


def test_two_consents_to_one_party_together_allow_both_kinds_of_information() -> None:
    b, _work = consented_case()  # 就労状況 to the employer
    health = b.consent("C-2", "2024-10-02", [EMPLOYER], ["健康状態"])
    both = b.contact(
        "2024-11-01",
        counterpart="employer",
        party=EMPLOYER,
        information_shared=["就労状況", "健康状態"],
    )
    too_much = b.contact(
        "2024-11-02",
        counterpart="employer",
        party=EMPLOYER,
        information_shared=["健康状態", "家族構成"],
    )
    found = violations(b, "2025-01-01")
    assert [(v["version"], v["rule"]) for v in found] == [(too_much, "CON-2")]
    assert "「家族構成」を含みません" in found[0]["text_ja"]
    assert "「健康状態」を含みません" not in found[0]["text_ja"]
    assert found[0]["events"] == [health, too_much]  # the latest consent to that party
    assert both not in [v["version"] for v in found]
