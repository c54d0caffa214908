"""Properties every projection must have, over random valid case histories.

(a) A projection is a pure fold: replaying the same events in the same order (through
    the aggregate's own event replay, or from their stored JSON) gives equal answers.
(b) Reading as of an instant only sees what was known then: appending events recorded
    later never changes an answer about an earlier instant.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain import case as case_module
from domain.case import Case, CaseRuleViolation
from domain.history import Recorded, read_history
from domain.invariants import consistency_problems
from domain.payloads import InvalidPayload
from projections.audit import audit_trail
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.timeline import timeline
from tests.factories import CaseBuilder
from tests.strategies import (
    OPENED_ON,
    START,
    STEP_KINDS,
    STEPS,
    _day,
    case_histories,
    evaluation_days,
    instants_within,
)

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


# -- the aggregate's incremental history (issue 10) ----------------------------------------


def _full_fold_check(case: Case, ledger: Any, candidate: Recorded) -> None:
    """The invariant check as it was before the ledger: fold the whole history twice."""
    if candidate.type not in case_module._SEQUENCE_TYPES:
        case_module._refuse_before_opening(ledger.opened_on(), candidate)
        return
    before = case.records
    known = {(p.code, p.version) for p in consistency_problems(read_history(before))}
    after = read_history([*before, candidate])
    new = [p for p in consistency_problems(after) if (p.code, p.version) not in known]
    if new:
        raise CaseRuleViolation([case_module._problem_for(candidate, p) for p in new])


def _restored_from_snapshot(case: Case) -> Case:
    """The case as the library rebuilds it from a snapshot taken now (no ledger in it)."""
    snapshot = Case.Snapshot.take(case)
    assert "_derived_ledger" not in snapshot.state
    restored = snapshot.mutate(None)
    assert isinstance(restored, Case)
    return restored


@PROPERTY_SETTINGS
@given(built=built_cases(), data=st.data())
def test_the_incremental_history_reads_as_the_fold_of_its_stored_records(
    built: tuple[list[Recorded], Case], data: st.DataObject
) -> None:
    # given a case recorded step by step, and the same records re-read from their JSON
    records, case = built
    from_json = [Recorded.from_json(r.as_json()) for r in records]
    as_of = data.draw(st.none() | instants_within(records), label="as_of")
    # then the history kept step by step equals the one fold over the plain records, and
    # so does the history of a copy (the aggregate cache) and of a snapshot's restore
    expected = read_history(from_json, as_of)
    assert case.history(as_of) == expected
    assert copy.deepcopy(case).history(as_of) == expected
    assert _restored_from_snapshot(case).history(as_of) == expected
    # and every fact reads the same typed payload (typed on first read: not compared above)
    payloads = [f.payload for f in expected.facts]
    assert [f.payload for f in case.history(as_of).facts] == payloads
    assert [f.payload for f in _restored_from_snapshot(case).history(as_of).facts] == payloads
    # and the records a fold reads without the case's history built (the views' rebuild)
    # are the records, whether the history is built or not (issue 24)
    restored = _restored_from_snapshot(case)
    assert restored.records_to_fold() == from_json
    assert "_derived_ledger" not in vars(restored)  # nothing built for it
    assert [r.as_json() for r in restored.records_to_fold()] == [r.as_json() for r in records]
    assert case.records_to_fold() == from_json


@PROPERTY_SETTINGS
@given(records=case_histories(), on=evaluation_days, data=st.data())
def test_appending_to_the_aggregate_never_changes_its_history_as_of_earlier(
    records: list[Recorded], on: date, data: st.DataObject
) -> None:
    # given the aggregate with only the first k events, read as of an instant before the next
    assume(len(records) >= 2)
    k = data.draw(st.integers(1, len(records) - 1), label="k")
    as_of = records[k].recorded_at - timedelta(seconds=1)
    assume(as_of >= records[k - 1].recorded_at)
    case = _case_of(records[:k])
    before = case.history(as_of)
    answers = entitlement(records[:k], on, as_of).as_json()
    # when the later events are appended to that same aggregate
    for rec in records[k:]:
        case.record(rec.type, rec.payload, recorded_by=rec.recorded_by, recorded_at=rec.recorded_at)
    # then its history and entitlement as of then are unchanged
    assert case.history(as_of) == before
    assert entitlement(case.records, on, as_of).as_json() == answers


@PROPERTY_SETTINGS
@given(records=case_histories(max_steps=10), data=st.data())
def test_checking_only_the_facts_an_event_affects_refuses_exactly_what_a_full_fold_refuses(
    records: list[Recorded], data: st.DataObject
) -> None:
    # given a history, and one more random step drawn once and replayed identically
    drawn: list[Any] = []

    def draw_first(strategy: st.SearchStrategy[Any]) -> Any:
        drawn.append(data.draw(strategy))
        return drawn[-1]

    kind = data.draw(st.sampled_from(STEP_KINDS), label="kind")
    outcomes = []
    for check in (None, _full_fold_check):
        builder = CaseBuilder(opened_on=OPENED_ON.isoformat(), now=START.isoformat())
        builder.case = _case_of(records)
        builder.now = records[-1].recorded_at + timedelta(days=3)
        replay = iter(list(drawn))
        draw = draw_first if check is None else (lambda _s, it=replay: next(it))
        with _checked_by(check):
            try:
                STEPS[kind](draw, builder, _day(draw, builder))
                outcomes.append(("accepted", builder.records[-1]))
            except (CaseRuleViolation, InvalidPayload) as exc:
                outcomes.append(("refused", [(p.field, p.message) for p in exc.problems]))
    # then the check on the affected facts decides as the full fold does, with the same problems
    assert outcomes[0] == outcomes[1]


@contextmanager
def _checked_by(check: Callable[..., None] | None) -> Iterator[None]:
    if check is None:
        yield
        return
    with patch.object(Case, "_check_history", check):
        yield
