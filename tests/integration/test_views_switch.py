"""A rebuild's switch under load, on SQLite and on real PostgreSQL: readers and writers
keep going through repeated rebuilds, no read fails, and every read answers from one
generation that holds every write made before it.

The probe that found the fault (issue 23): a list that chose generation N before the
switch wrote its catch-up into N after the rebuild had dropped it (``no such table`` /
``relation … does not exist``, a 500). Left to chance that interleaving is rare, so each
round here makes it happen: one reader is paused between choosing its generation and
writing its catch-up (a hook in :meth:`CaseViews._pointer` and :meth:`CaseViews._positions`,
called right after the generation is chosen) while the rebuild switches and drops (on
PostgreSQL its page then finds the tables gone and reads the live generation); and one
list holds the generation it caught up before the rebuild and reads with it after. Around them, free
readers (lists, dashboards, office work through :class:`CaseViews`) and writers
(appends through :class:`CaseLog`) run in threads the whole time.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.history import tokyo_date
from domain.store.application import CaseLog
from projections.views.follower import CaseViews
from projections.views.office import billing_line, due_items, retention
from projections.views.rebuild import rebuild
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend
from tests.integration.test_views import OFFICE, _assert_views_equal_the_fold, _office

ROUNDS = 3
WAIT = 60.0  # seconds any one step may take before the test gives up (never reached)
MAX_APPENDS = 60  # per writer: bounds the test's size


class Known:
    """What the writers have committed: case → version, read under a lock."""

    def __init__(self, store: CaseLog, ids: list[UUID]) -> None:
        self._lock = threading.Lock()
        self.versions = {i: store.get_case(i).version for i in ids}

    def snapshot(self) -> dict[UUID, int]:
        with self._lock:
            return dict(self.versions)

    def committed(self, case_id: UUID, version: int) -> None:
        with self._lock:
            self.versions[case_id] = max(version, self.versions.get(case_id, 0))


class Run:
    """Errors and answers collected from every thread."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.reads = 0
        self.appends = 0
        self._lock = threading.Lock()

    def failed(self, who: str) -> None:
        with self._lock:
            self.errors.append(f"{who}: {traceback.format_exc(limit=3)}")

    def count(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)


def _list(
    views: CaseViews, known: Known, held: tuple[int, dict[UUID, int]] | None = None
) -> int:
    """A list as ``GET /cases`` and the dashboard read it: a catch-up, then a page of the
    generation it chose (``held``: chosen earlier, with what was known then). Checks the
    page holds every write committed before the catch-up; returns its generation."""
    if held is None:
        before = known.snapshot()
        gen, behind = views.fresh(5_000)
        assert behind == 0
    else:
        gen, before = held
    page = views.read(None, None, 1000, months=None, gen=gen)
    assert page.next is None and page.generation >= gen
    shown = {r.case_id: r.version for r in page.rows}
    missing = {i: v for i, v in before.items() if shown.get(i, 0) < v}
    assert not missing, f"g{page.generation} lacks writes made before the read: {missing}"
    assert views.store.offices(gen) == [OFFICE]  # the dashboard's office list
    return page.generation


def _office_work(views: CaseViews, known: Known, today: date) -> None:
    """The due list, billing check and retention rate, read page by page with the
    generation a catch-up chose (as ``api.http.routers.offices.office_rows`` does)."""
    before = known.snapshot()
    gen, _ = views.fresh(5_000)
    rows, after = [], None
    while True:
        page, after = views.page(OFFICE, after, 7, gen=gen)
        rows += page
        if after is None:
            break
    rows = views.refresh(rows, today, gen)
    assert {r.case_id for r in rows} >= set(before)
    for row in rows:
        due_items(row, today)
        billing_line(row, "2024-10", today)
    retention(rows, 2025).as_json()


def _forever(run: Run, stop: threading.Event, who: str, step: Callable[[], Any]) -> None:
    while not stop.is_set():
        try:
            step()
        except Exception:
            run.failed(who)
        stop.wait(0.01)


def test_reads_and_writes_never_fall_through_a_rebuild_switch(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = backend.open()  # one server process: writers, a reader, the paused reader
    reads = backend.open()  # another server process: two readers sharing its views
    ids = _office(writes, 12)
    known = Known(writes, ids)
    first = CaseViews(writes)
    first.catch_up()
    start_gen = first.generation
    today = tokyo_date(writes.clock())
    run, stop = Run(), threading.Event()

    # The hook: a thread that sets ``pause.here`` stops right after its catch-up chose a
    # generation and read that generation's position, until the round's rebuild is over.
    pause = threading.local()
    paused, released = threading.Event(), threading.Event()
    position, pointer = CaseViews._positions, CaseViews._pointer

    def then_pause() -> None:
        if getattr(pause, "here", False):
            pause.here = False
            paused.set()
            assert released.wait(WAIT), "the paused reader was never released"

    def position_then_pause(self: CaseViews, gen: int) -> tuple[int, int, int]:
        found = position(self, gen)
        then_pause()
        return found

    def pointer_then_pause(self: CaseViews) -> tuple[int, tuple[int, int, int]] | None:
        found = pointer(self)  # a read's catch-up: the generation and its positions at once
        then_pause()
        return found

    monkeypatch.setattr(CaseViews, "_positions", position_then_pause)
    monkeypatch.setattr(CaseViews, "_pointer", pointer_then_pause)

    def write(k: int) -> Callable[[], None]:
        done, mine = [0], ids[1 + k :: 2]  # no two writers append to one case (ids[0]: main)

        def step() -> None:
            if done[0] >= MAX_APPENDS:
                return
            done[0] += 1
            if done[0] % 3:
                case_id = mine[done[0] % len(mine)]
                rec = writes.record(case_id, "evidence_received", {"received_on": "2024-11-01",
                                    "kind": "employment_certificate", "covers_on": "2024-10-31"},
                                    recorded_by="担当")  # fmt: skip
                known.committed(case_id, rec.version)
            else:
                opened = case_opened_payload("2024-03-01", office_id=OFFICE,
                                             recipient_number=f"9{k}{done[0]:08d}")  # fmt: skip
                case = writes.open_case(opened, recorded_by="担当")
                known.committed(case.id, case.version)
            run.count("appends")

        return step

    def read_with(views: CaseViews, office: bool) -> Callable[[], None]:
        seen = [start_gen]

        def step() -> None:
            if office:
                _office_work(views, known, today)
            else:
                answered = _list(views, known)
                assert answered >= seen[0], f"went back from g{seen[0]} to g{answered}"
                seen[0] = answered
            run.count("reads")

        return step

    shared = CaseViews(reads)
    threads = [
        threading.Thread(target=_forever, args=(run, stop, f"writer {k}", write(k)))
        for k in range(2)
    ] + [
        threading.Thread(target=_forever, args=(run, stop, who, step))
        for who, step in [
            ("list reader", read_with(CaseViews(writes), office=False)),
            ("list reader 2", read_with(shared, office=False)),
            ("office reader", read_with(shared, office=True)),
        ]
    ]
    for thread in threads:
        thread.start()
    paused_views = CaseViews(writes)
    try:
        for _ in range(ROUNDS):
            paused.clear()
            released.clear()
            holder = CaseViews(reads)
            before = known.snapshot()
            held, _ = holder.fresh(5_000)  # a list that caught up before the switch
            outcome: list[int] = []

            def paused_list(views: CaseViews = paused_views, into: list[int] = outcome) -> None:
                pause.here = True
                try:
                    into.append(_list(views, known))
                except Exception:
                    run.failed("paused reader")
                finally:
                    pause.here = False
                    paused.set()

            reader = threading.Thread(target=paused_list)
            reader.start()
            assert paused.wait(WAIT)
            report = rebuild(backend.env(), workers=1)  # switches and drops the old tables
            # An event the paused catch-up will find once it goes on (it must write).
            rec = writes.record(ids[0], "evidence_received", {"received_on": "2024-11-02",
                                "kind": "payslip", "covers_on": "2024-10-31"},
                                recorded_by="担当")  # fmt: skip
            known.committed(ids[0], rec.version)
            released.set()
            reader.join(WAIT)
            assert not reader.is_alive()
            assert outcome == [report.generation] or run.errors
            try:  # the list that chose its generation before the switch reads now
                assert _list(holder, known, (held, before)) == report.generation
                holder.refresh(holder.page(OFFICE, None, 5, gen=held)[0], today, held)
            except Exception:
                run.failed("held list")
    finally:
        stop.set()
        released.set()
        for thread in threads:
            thread.join(WAIT)

    assert run.errors == []
    assert run.reads > 0 and run.appends > 0
    final = CaseViews(backend.open())
    assert final.generation == start_gen + ROUNDS
    final.catch_up()
    _assert_views_equal_the_fold(writes, final, list(known.snapshot()))
