"""The opening day bounds every later fact, as it reads after corrections of the opening."""

from __future__ import annotations

import pytest

from domain.case import CaseRuleViolation
from tests.factories import CaseBuilder


def test_contact_before_a_corrected_opening_day_is_refused_and_nothing_is_stored() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    opened = dict(b.records[0].payload)
    b.correct(1, **{**opened, "opened_on": "2024-03-20"})
    version = b.case.version
    with pytest.raises(CaseRuleViolation) as refused:
        b.contact("2024-03-10")
    assert refused.value.problems[0].field == "contact_on"
    assert "2024-03-20" in refused.value.problems[0].message
    assert b.case.version == version


def test_contact_on_the_corrected_opening_day_is_accepted() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    opened = dict(b.records[0].payload)
    b.correct(1, **{**opened, "opened_on": "2024-03-20"})
    assert b.contact("2024-03-20") == 3
