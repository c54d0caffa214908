"""The Case refuses bad input with a clear, field-named error, and stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.case import Case, CaseRuleViolation
from domain.payloads import InvalidPayload
from tests.factories import CaseBuilder, case_opened_payload

Refusal = InvalidPayload | CaseRuleViolation


def refused(b: CaseBuilder, action: Callable[[], Any]) -> list[str]:
    """Run ``action``; assert it was refused and the case is unchanged; return the fields."""
    version, count = b.case.version, len(b.records)
    with pytest.raises((InvalidPayload, CaseRuleViolation)) as caught:
        action()
    assert b.case.version == version
    assert len(b.records) == count
    error = caught.value
    assert isinstance(error, Refusal)
    assert all(p.message for p in error.problems)
    return [p.field for p in error.problems]


def employed() -> CaseBuilder:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")  # version 2
    return b


def test_resignation_without_employment_is_refused() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    assert refused(b, lambda: b.resigned("2024-05-01")) == ["resigned_on"]


def test_resignation_before_the_hire_is_refused() -> None:
    b = employed()
    assert refused(b, lambda: b.resigned("2024-03-15")) == ["resigned_on"]


def test_withdrawal_of_an_unknown_consent_is_refused() -> None:
    b = employed()
    action = lambda: b.event("consent_withdrawn", consent_id="C-9", withdrawn_on="2024-05-01")  # noqa: E731
    assert refused(b, action) == ["consent_id"]


def test_correction_of_a_missing_version_is_refused() -> None:
    b = employed()
    action = lambda: b.correct(99, hired_on="2024-04-02", employer={"name": "X社"})  # noqa: E731
    assert refused(b, action) == ["target_version"]


def test_correction_of_a_retracted_event_is_refused() -> None:
    b = employed()
    contact = b.contact("2024-05-01")
    b.retract(contact)
    action = lambda: b.correct(contact, contact_on="2024-05-02", counterpart="person", mode="phone")  # noqa: E731
    assert refused(b, action) == ["target_version"]


def test_correction_of_a_correction_is_refused() -> None:
    b = employed()
    fix = b.correct(2, hired_on="2024-04-02", employer={"name": "X社"})
    action = lambda: b.correct(fix, hired_on="2024-04-03", employer={"name": "X社"})  # noqa: E731
    assert refused(b, action) == ["target_version"]


def test_retraction_of_the_case_opening_is_refused() -> None:
    b = employed()
    # version 1 is refused by the schema (target_version >= 2) before the aggregate sees it
    assert refused(b, lambda: b.retract(1)) == ["target_version"]


def test_retraction_twice_is_refused() -> None:
    b = employed()
    contact = b.contact("2024-05-01")
    b.retract(contact)
    assert refused(b, lambda: b.retract(contact)) == ["target_version"]


def test_replacement_that_does_not_fit_the_target_type_is_refused() -> None:
    b = employed()
    fields = refused(b, lambda: b.correct(2, resigned_on="2024-05-01"))
    assert "replacement.hired_on" in fields
    assert "replacement.resigned_on" in fields


def test_correction_that_moves_a_hire_before_the_opening_is_refused() -> None:
    b = employed()
    action = lambda: b.correct(2, hired_on="2024-02-01", employer={"name": "X社"})  # noqa: E731
    assert refused(b, action) == ["replacement.hired_on"]


@pytest.mark.parametrize(
    ("event_type", "payload", "field"),
    [
        ("hired", {"hired_on": "2024-02-29", "employer": {"name": "X社"}}, "hired_on"),
        (
            "contact_recorded",
            {"contact_on": "2024-02-01", "counterpart": "person", "mode": "phone"},
            "contact_on",
        ),
        (
            "decision_granted",
            {"decided_on": "2024-02-01", "valid_from": "2024-10-01", "valid_to": "2025-09-30"},
            "decided_on",
        ),
    ],
)
def test_dates_before_the_case_opened_are_refused(
    event_type: str, payload: dict[str, Any], field: str
) -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    assert refused(b, lambda: b.event(event_type, **payload)) == [field]


def test_future_dates_are_refused() -> None:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-05-01T09:00:00+09:00")
    assert refused(b, lambda: b.hired("2024-05-02")) == ["hired_on"]


def test_future_dates_in_a_replacement_are_refused() -> None:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-05-01T09:00:00+09:00")
    b.hired("2024-04-01")
    action = lambda: b.correct(2, hired_on="2024-06-01", employer={"name": "X社"})  # noqa: E731
    assert refused(b, action) == ["replacement.hired_on"]


def open_case(**overrides: Any) -> Case:
    return Case.open(
        case_opened_payload(**overrides),
        recorded_by="担当 一郎",
        recorded_at=datetime(2024, 3, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recipient_number": "123456789"}, "recipient_number"),
        ({"recipient_number": "12345678901"}, "recipient_number"),
        ({"office_id": "131010000"}, "office_id"),
        ({"municipality_code": "13101"}, "municipality_code"),
        ({"municipality_code": "13101a"}, "municipality_code"),
        ({"opened_on": "2024-02-30"}, "opened_on"),
        ({"prior_service": {"kind": "employment"}}, "prior_service.kind"),
        ({"nickname": "はな"}, "nickname"),
    ],
)
def test_invalid_case_opening_is_refused_naming_the_field_without_echoing_it(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidPayload) as caught:
        open_case(**overrides)
    assert [p.field for p in caught.value.problems] == [field]
    for value in overrides.values():
        assert str(value) not in str(caught.value)
        assert all(str(value) not in p.message for p in caught.value.problems)


def test_correction_of_the_opening_with_a_bad_recipient_number_is_refused() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    bad = case_opened_payload("2024-03-01", recipient_number="12345")
    fields = refused(b, lambda: b.correct(1, **bad))
    assert fields == ["replacement.recipient_number"]


def test_impossible_date_is_refused() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    fields = refused(b, lambda: b.hired("2024-02-30"))
    assert fields == ["hired_on"]


def test_unknown_enumeration_value_is_refused() -> None:
    b = employed()
    assert refused(b, lambda: b.contact("2024-05-01", mode="video")) == ["mode"]


def test_unknown_field_is_refused() -> None:
    b = employed()
    assert refused(b, lambda: b.resigned("2024-05-01", salary=200000)) == ["salary"]


def test_unknown_event_type_is_refused() -> None:
    b = employed()
    assert refused(b, lambda: b.event("promoted", promoted_on="2024-05-01")) == ["type"]


def test_case_opened_through_record_is_refused() -> None:
    b = employed()
    assert refused(b, lambda: b.event("case_opened", **case_opened_payload())) == ["type"]


def test_retraction_that_would_orphan_a_resignation_is_refused() -> None:
    b = employed()
    b.resigned("2024-05-01")
    assert refused(b, lambda: b.retract(2)) == ["target_version"]


def test_hire_while_employed_is_refused() -> None:
    b = employed()
    assert refused(b, lambda: b.hired("2024-05-01")) == ["hired_on"]


def test_a_valid_event_after_a_refusal_is_recorded_with_the_next_version() -> None:
    b = employed()
    refused(b, lambda: b.resigned("2024-02-01"))
    assert b.resigned("2024-05-01") == 3


def test_leaving_and_starting_a_new_job_on_the_same_day_is_one_job_change() -> None:
    from datetime import date

    from projections.entitlement import entitlement

    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.resigned("2025-05-15")
    new_job = b.hired("2025-05-15", employer="株式会社つぎ")
    ent = entitlement(b.records, date(2025, 6, 1))
    assert ent.job_change_used is True
    assert ent.base_date is not None and ent.base_date.date == date(2024, 4, 1)
    assert ent.status != "job_change_grace"
    assert any(e.rule == "JOB-2" and new_job in e.events for e in ent.explanation)


def test_a_one_day_job_hired_and_left_on_the_same_day_is_accepted() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    assert b.resigned("2024-04-01") == 3
