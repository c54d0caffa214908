"""The stored case view answers exactly as the fold: status on any day, the rest on its day."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.history import Recorded
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.views.row import (
    case_row,
    evaluated_segments,
    segments_as_known,
    status_on,
    status_segments,
)
from tests.factories import CaseBuilder, d
from tests.strategies import case_histories, evaluation_days

CASE = UUID("00000000-0000-4000-8000-000000000001")
VIEW_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@VIEW_SETTINGS
@given(
    records=case_histories(max_steps=18), days=st.lists(evaluation_days, min_size=1, max_size=8)
)
def test_stored_status_equals_the_fold_on_any_day(
    records: list[Recorded], days: list[date]
) -> None:
    segments = status_segments(records)

    for on in days:
        assert status_on(segments, on) == entitlement(records, on).status, on


@VIEW_SETTINGS
@given(records=case_histories(max_steps=18), on=evaluation_days)
def test_stored_row_equals_the_fold_on_the_day_it_was_computed(
    records: list[Recorded], on: date
) -> None:
    row = case_row(CASE, records, on)
    ent = entitlement(records, on)
    comp = compliance(records, on).as_json()

    assert row.derived["status"] == ent.status == row.status_on(on)
    for name in ("eligible_from", "last_eligible_day", "support_end", "renewal_due_by"):
        found, expected = row.derived[name], getattr(ent, name)
        assert (found and found["date"]) == (expected and expected.date.isoformat())
    assert [m.as_json() for m in row.months] == comp["months"]
    kept = ("review_due_by", "overdue", "rule", "events")
    assert row.derived["plan"] == {k: comp["plan"][k] for k in kept}
    assert row.derived["consent_problems"] == len(comp["consent_violations"])
    assert row.version == records[-1].version


def test_job_change_grace_and_its_end_are_segments_of_their_own() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.contract("2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    b.resigned("2025-01-15")

    segments = status_segments(b.records)

    assert status_on(segments, d("2024-09-30")) == "waiting"
    assert status_on(segments, d("2024-10-01")) == "in_support"
    assert status_on(segments, d("2025-01-16")) == "job_change_grace"
    assert status_on(segments, d("2025-02-15")) == entitlement(b.records, d("2025-02-15")).status
    assert status_on(segments, d("2025-02-16")) == entitlement(b.records, d("2025-02-16")).status
    assert status_on(segments, d("2025-02-16")) in ("ended", "expired")
    assert status_on(segments, d("2024-02-01")) == "not_employed"


def test_a_row_keeps_the_person_apart_and_each_date_with_its_rule() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    hire = b.hired("2024-04-01")

    row = case_row(CASE, b.records, d("2025-01-15"))

    assert row.person["name"] == "試験 花子"
    assert row.person["recipient_number"] == "1234567890"
    expected = {"date": "2024-10-01", "rule": "ELIG-3", "events": [hire]}
    assert row.derived["eligible_from"] == expected
    assert "試験 花子" not in str(row.derived)


@VIEW_SETTINGS
@given(records=case_histories(max_steps=18))
def test_stored_status_equals_the_fold_around_every_recorded_day(records: list[Recorded]) -> None:
    """The edges are where a missed change would hide: each fact's day, the next, a month on."""
    segments = status_segments(records)
    days = {r.effective_on + timedelta(days=k) for r in records for k in (-1, 0, 1, 2, 31, 183)}

    for on in sorted(days):
        assert status_on(segments, on) == entitlement(records, on).status, on


@VIEW_SETTINGS
@given(records=case_histories(max_steps=18), data=st.data())
def test_segments_of_a_case_as_known_at_successive_instants_equal_each_fold(
    records: list[Recorded], data: st.DataObject
) -> None:
    # given: the case as known after each of some of its records (each set the one
    # before and more), as the known rows of decision 0062 are made
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(records)), min_size=1, max_size=8))))
    known = [records[:n] for n in cuts]
    # when their segments are made reusing what cannot differ, then each is the fold's
    expected = [status_segments(r) for r in known]
    assert segments_as_known(known) == expected
    # and so when they also reuse the evaluations of another set of the case (the whole
    # case, as a view row seeds its known rows, or any other)
    seed = records[: data.draw(st.integers(1, len(records)))]
    assert segments_as_known(known, evaluated_segments(seed)) == expected
    assert segments_as_known(known, evaluated_segments(records)) == expected

