"""One reading per request: every projection of a reading answers as its own fold would,
and the entitlement of a reading is computed once, however many projections use it."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projections.entitlement as entitlement_module
from domain.history import Recorded
from projections.bundle import derive_projections
from projections.compliance import compliance
from projections.coverage import Coverage, gaps_on
from projections.dispute import dispute
from projections.entitlement import entitlement
from projections.reading import DAYS_KEPT, read, read_case, read_records
from projections.timeline import timeline
from tests.factories import CaseBuilder
from tests.strategies import case_histories, evaluation_days, instants_within
from tests.unit.test_projection_properties import _case_of


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=case_histories(), on=evaluation_days, data=st.data())
def test_projections_of_one_reading_equal_each_projection_folded_on_its_own(
    records: list[Recorded], on: date, data: st.DataObject
) -> None:
    as_of: datetime | None = data.draw(st.none() | instants_within(records), label="as_of")
    expected = _answers(records, on, as_of)
    assert _answers(read_records(records, on, as_of)) == expected
    assert _answers(read_case(_case_of(records), on, as_of)) == expected


def _answers(source: Any, on: date | None = None, as_of: datetime | None = None) -> list[Any]:
    return [
        entitlement(source, on, as_of).as_json(),
        compliance(source, on, as_of).as_json(),
        compliance(source, on, as_of, "2024-05", "2024-07").as_json(),
        timeline(source, on, as_of).as_json(),
    ]


def _case() -> CaseBuilder:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-01T09:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-01T09:00:00+09:00").contract("2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    b.at("2024-11-20T09:00:00+09:00").contact("2024-11-15")
    return b


def test_a_page_of_entitlement_compliance_timeline_and_bundle_computes_the_entitlement_once() -> (
    None
):
    reading = read_records(_case().records, date(2024, 11, 30))
    calls: list[date] = []
    fold = entitlement_module._entitlement

    def counted(r: Any) -> Any:
        calls.append(r.on)
        return fold(r)

    with patch.object(entitlement_module, "_entitlement", counted):
        entitlement(reading)
        compliance(reading)
        compliance(reading, from_month="2024-11", to_month="2024-11")
        timeline(reading)
        derive_projections(reading, date(2024, 11, 30))
    assert calls == [date(2024, 11, 30)]


def test_a_dispute_folds_once_as_then_and_once_as_now() -> None:
    b = _case()
    then = b.last_instant
    b.at("2024-12-01T09:00:00+09:00").contact("2024-11-20")
    calls: list[datetime | None] = []
    fold = entitlement_module._entitlement

    def counted(r: Any) -> Any:
        calls.append(r.as_of)
        return fold(r)

    with patch.object(entitlement_module, "_entitlement", counted):
        report = dispute(read_records(b.records, date(2024, 11, 30), then))
    assert sorted(calls, key=lambda a: a is None) == [then, None]
    assert [r.version for r in report.recorded_since] == [b.records[-1].version]


def test_a_reading_moved_to_another_day_keeps_its_history_and_answers_for_that_day() -> None:
    reading = read_records(_case().records, date(2024, 9, 30))
    later = read(reading, date(2024, 11, 30))
    assert later.history is reading.history
    assert entitlement(reading).status == "waiting"
    assert entitlement(later).status == "in_support"


def test_records_without_a_day_cannot_be_read() -> None:
    with pytest.raises(TypeError):
        entitlement(_case().records)


def test_an_instant_an_hour_before_the_last_record_does_not_see_it() -> None:
    b = _case()
    before = b.last_instant - timedelta(hours=1)
    reading = read_case(b.case, date(2024, 11, 30), before)
    assert [r.version for r in reading.records] == [r.version for r in b.records[:-1]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=case_histories(), on=evaluation_days)
def test_coverage_asked_once_per_stretch_answers_every_day_as_the_rules_do(
    records: list[Recorded], on: date
) -> None:
    ent = entitlement(records, on)
    coverage = Coverage(ent)
    first = date(2024, 3, 1)
    for n in range(0, 5 * 366):
        day = first + timedelta(days=n)
        assert coverage.gaps_on(day) == gaps_on(ent, day), day


def test_a_second_read_of_an_unchanged_case_derives_nothing_until_its_next_event() -> None:
    b = _case()
    calls: list[date] = []
    fold = entitlement_module._entitlement

    def counted(r: Any) -> Any:
        calls.append(r.on)
        return fold(r)

    day = date(2024, 11, 30)
    with patch.object(entitlement_module, "_entitlement", counted):
        first = entitlement(read_case(b.case, day))
        again = entitlement(read_case(copy.deepcopy(b.case), day))  # another request's copy
        assert again is first and calls == [day]
        b.at("2024-12-01T09:00:00+09:00").contact("2024-11-21")
        after = entitlement(read_case(b.case, day))
    assert calls == [day, day]
    assert after == first


def test_a_history_keeps_the_answers_of_a_few_days_only() -> None:
    case = _case().case
    for n in range(3 * DAYS_KEPT):
        entitlement(read_case(case, date(2024, 11, 1) + timedelta(days=n)))
    assert len(case.history().answers) == DAYS_KEPT
    assert max(case.history().answers) == date(2024, 11, 1) + timedelta(days=3 * DAYS_KEPT - 1)


def test_copies_of_a_cached_case_share_one_history_and_its_answers() -> None:
    cached = _case().case
    first, second = copy.deepcopy(cached), copy.deepcopy(cached)  # two requests' copies
    assert first.history() is second.history()
    day = date(2024, 11, 30)
    assert entitlement(read_case(first, day)) is entitlement(read_case(second, day))
