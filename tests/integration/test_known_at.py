"""A case as known at a past instant, read from its known rows and clock pages
(decision 0062), answers as the fold of the records known then does — on SQLite and
real PostgreSQL, whatever the batches the rows were written in, and whether or not the
instants of the records grow with their versions (two hosts' clocks may differ)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.history import Recorded, known_at, read_history
from domain.store.application import CaseLog
from projections.entitlement import entitlement
from projections.reading import read_records
from projections.views import trail
from projections.views.follower import CaseViews
from projections.views.row import case_row, status_on
from projections.views.store import FOLD, KnownAt
from projections.views.trail import PAGE
from tests.factories import CaseBuilder, case_opened_payload
from tests.integration.conftest import Backend
from tests.strategies import case_histories, evaluation_days

COMPUTED_ON = date(2026, 12, 1)
START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
HIRED = {"hired_on": "2024-04-01", "employer": {"name": "株式会社サンプル"}}
CONTACT = {"contact_on": "2024-05-01", "counterpart": "person", "mode": "face_to_face"}
Answer = tuple[str | None, date, str, int] | None


def _fold(records: list[Recorded], as_of: datetime, on: date) -> Answer:
    """What ``GET /cases?as_of=…`` showed before decision 0062: the fold of what was known."""
    known = known_at(records, as_of)
    opened = read_history(known).opened() if known else None
    if opened is None:
        return None
    status = entitlement(read_records(records, on, as_of)).status
    office = getattr(opened.payload, "office_id", None)
    return office, opened.effective_on, status, known[-1].version


def _stored(found: KnownAt, on: date) -> Answer | str:
    if found is None or isinstance(found, str):
        return found
    office, opened_on, segments, version = found
    return office, opened_on, status_on(segments, on), version


def _skewed(records: list[Recorded], shifts: list[int]) -> list[Recorded]:
    """The records with their instants moved by up to 40 days either way (the opening kept)."""
    moved = [timedelta(minutes=shifts[i % len(shifts)]) for i in range(len(records))]
    return [r if i == 0 else replace(r, recorded_at=r.recorded_at + moved[i])
            for i, r in enumerate(records)]  # fmt: skip


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=case_histories(max_steps=16),
    data=st.data(),
    skew=st.booleans(),
    on=evaluation_days,
)
def test_the_known_rows_answer_as_the_fold_at_every_instant(
    store: CaseLog, monkeypatch: pytest.MonkeyPatch, records: list[Recorded],
    data: st.DataObject, skew: bool, on: date,
) -> None:  # fmt: skip
    # given: the case's records (their instants shifted back and forth when skewed),
    # its row written in random batches, as a follower catching up would write them,
    # with clock pages of 4 versions (so that a case of a few records has several)
    monkeypatch.setattr(trail, "PAGE", 4)
    views = CaseViews(store)
    case_id = uuid4()
    records = [replace(r, case_id=case_id) for r in records]
    if skew:
        minutes = st.integers(-40 * 24 * 60, 40 * 24 * 60)
        records = _skewed(records, data.draw(st.lists(minutes, min_size=1, max_size=5)))
    cuts = data.draw(st.lists(st.integers(1, len(records)), max_size=4))
    for n in [*sorted(set(cuts)), len(records)]:
        views.store.write(None, [case_row(case_id, records[:n], COMPUTED_ON)], None)
    # when it is read at every instant a record was made, just before each, and between
    stamps = sorted({r.recorded_at for r in records})
    instants = {*stamps, *(s - timedelta(microseconds=1) for s in stamps),
                *(s + timedelta(seconds=30) for s in stamps)}  # fmt: skip
    found = {at: views.known_at([case_id], at)[case_id] for at in sorted(instants)}
    # then every answer is the fold's
    for at, answer in found.items():
        assert _stored(answer, on) == _fold(records, at, on), at


def test_clock_pages_find_the_version_across_pages(backend: Backend) -> None:
    # given: a case of more than two clock pages of versions, each a minute apart
    minutes = iter(range(10_000))
    store = backend.open(clock=lambda: START + timedelta(minutes=next(minutes)))
    views = CaseViews(store)
    case = store.open_case(_opened(), recorded_by="担当")
    for _ in range(2 * PAGE + 5):
        store.record(case.id, "contact_recorded", CONTACT, recorded_by="担当")
    views.catch_up()
    records = store.get_case(case.id).records
    # when it is read as of each version's instant, and just before the next one
    for version in (1, PAGE, PAGE + 1, 2 * PAGE, 2 * PAGE + 1, len(records)):
        at = records[version - 1].recorded_at
        for instant in (at, at + timedelta(seconds=59)):
            found = views.known_at([case.id], instant)[case.id]
            # then the version is that one, and the status that of the fold
            assert _stored(found, date(2024, 6, 1)) == _fold(records, instant, date(2024, 6, 1))
            assert found is not None and not isinstance(found, str) and found[3] == version


def test_a_row_stored_before_known_rows_is_folded_until_it_is_refolded(store: CaseLog) -> None:
    # given: a case whose row is as stored before decision 0062 (an older shape, no known
    # rows and no clock pages)
    views = CaseViews(store)
    case = store.open_case(_opened(), recorded_by="担当")
    store.record(case.id, "hired", HIRED, recorded_by="担当")
    views.catch_up()
    gen, now = views.generation, store.clock()
    with views.store._tx(commit=True) as c:
        views.store._run(c, f"UPDATE {views.store.case_table(gen)} SET row_schema = 5")
        views.store._run(c, f"DELETE FROM {views.store.known_table(gen)}")
        views.store._run(c, f"DELETE FROM {views.store.clock_table(gen)}")
    # when it is read as of now, then the store asks for a fold rather than guess
    assert views.known_at([case.id], now)[case.id] == FOLD
    # and once the follower has refolded it (an older shape is stale), it answers whole
    assert views.refresh_stale() == 1
    records = store.get_case(case.id).records
    for at in (records[0].recorded_at, now):
        assert _stored(views.known_at([case.id], at)[case.id], COMPUTED_ON) == _fold(
            records, at, COMPUTED_ON
        )


def _opened() -> dict[str, object]:
    return case_opened_payload("2024-03-01", office_id="1310100001", recipient_number="0000000001")


def test_a_record_made_earlier_than_one_before_it_changes_the_rows_from_its_instant(
    store: CaseLog,
) -> None:
    # given: a case opened and hired (written), then a resignation and a decision written
    # in one batch, the decision stamped before the resignation and the hire (a host
    # whose clock was behind)
    b = CaseBuilder("2024-03-01", now="2024-06-01T09:00:00+09:00")
    b.hired("2024-04-01")
    b.at("2024-07-01T09:00:00+09:00").resigned("2024-06-28")
    b.decision("2024-10-01", "2025-09-30", decided_on="2024-06-20")
    case_id = uuid4()
    records = [replace(r, case_id=case_id) for r in b.records]
    early = records[1].recorded_at - timedelta(minutes=30)  # before the hire was recorded
    records[3] = replace(records[3], recorded_at=early)
    views = CaseViews(store)
    views.store.write(None, [case_row(case_id, records[:2], COMPUTED_ON)], None)
    views.store.write(None, [case_row(case_id, records, COMPUTED_ON)], None)
    # when it is read at the decision's instant and at the hire's, then as the fold
    on = date(2024, 11, 1)
    for at in (early, records[1].recorded_at, records[2].recorded_at):
        assert _stored(views.known_at([case_id], at)[case_id], on) == _fold(records, at, on)
