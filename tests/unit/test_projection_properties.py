"""Properties every projection must have, over random valid case histories.

(a) A projection is a pure fold: replaying the same events in the same order (through
    the aggregate's own event replay, or from their stored JSON) gives equal answers.
(b) Reading as of an instant only sees what was known then: appending events recorded
    later never changes an answer about an earlier instant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.case import Case
from domain.history import Recorded
from projections.audit import audit_trail
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.timeline import timeline
from tests.strategies import case_histories, evaluation_days

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Projection = Callable[[Sequence[Recorded], date, datetime | None], dict[str, Any]]

PROJECTIONS: dict[str, Projection] = {
    "entitlement": lambda records, on, as_of: entitlement(records, on, as_of).as_json(),
    "compliance": lambda records, on, as_of: compliance(records, on, as_of).as_json(),
    "timeline": lambda records, on, as_of: timeline(records, on, as_of).as_json(),
    "audit": lambda records, on, as_of: audit_trail(records, as_of).as_json(),
}


def all_projections(
    records: Sequence[Recorded], on: date, as_of: datetime | None = None
) -> dict[str, dict[str, Any]]:
    return {name: project(records, on, as_of) for name, project in PROJECTIONS.items()}


def replayed(records: Sequence[Recorded], builder_case: Case) -> list[Recorded]:
    """The records of a case rebuilt by replaying its events through the library."""
    aggregate: Case | None = None
    for event in builder_case.collect_events():
        aggregate = event.mutate(aggregate)
    assert aggregate is not None
    return aggregate.records


@st.composite
def built_cases(draw: Any) -> tuple[list[Recorded], Case]:
    """A random history with the aggregate that recorded it (for event replay)."""
    records = draw(case_histories())
    return records, _case_of(records)


def _case_of(records: list[Recorded]) -> Case:
    """Record the same events again on a fresh aggregate (same payloads, instants, authors)."""
    first = records[0]
    case = Case.open(
        first.payload,
        recorded_by=first.recorded_by,
        recorded_at=first.recorded_at,
        case_id=first.case_id,
    )
    for rec in records[1:]:
        case.record(rec.type, rec.payload, recorded_by=rec.recorded_by, recorded_at=rec.recorded_at)
    return case


@PROPERTY_SETTINGS
@given(built=built_cases(), on=evaluation_days)
def test_replaying_the_same_events_gives_equal_projections(
    built: tuple[list[Recorded], Case], on: date
) -> None:
    # given a history, and the same events replayed by the library and re-read from JSON
    records, case = built
    again = replayed(records, case)
    from_json = [Recorded.from_json(r.as_json()) for r in records]
    # then the replays are the same records, and every projection answers the same
    assert again == records
    expected = all_projections(records, on)
    assert all_projections(again, on) == expected
    assert all_projections(from_json, on) == expected


@PROPERTY_SETTINGS
@given(records=case_histories(), on=evaluation_days, data=st.data())
def test_events_recorded_later_never_change_an_earlier_as_of_answer(
    records: list[Recorded], on: date, data: st.DataObject
) -> None:
    # given a history cut after its k-th record, and an instant before the (k+1)-th
    assume(len(records) >= 2)
    k = data.draw(st.integers(1, len(records) - 1), label="k")
    earlier, later = records[:k], records[k]
    span = int((later.recorded_at - records[0].recorded_at).total_seconds()) - 1
    seconds = data.draw(st.integers(0, max(span, 0)), label="seconds after the first record")
    as_of = records[0].recorded_at + timedelta(seconds=seconds)
    assert as_of < later.recorded_at
    # when the later events are appended, then no projection changes its answer as of then
    for name, project in PROJECTIONS.items():
        assert project(records, on, as_of) == project(earlier, on, as_of), name
