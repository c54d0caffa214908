"""Keeping the case views current, exactly once, and rebuilding them without downtime.

How a view stays current (both backends alike, see docs/read-models.md):

- :meth:`CaseViews.catch_up` reads the notification log after the view's tracked
  position, folds each case touched there once (:func:`projections.views.row.case_row`)
  and writes the rows and the new position in one transaction. Lists and dashboards call
  it before they read, so a client that got ``201`` sees its write (read-your-writes),
  and ``teichaku serve`` runs it in a background thread so lists stay fresh between
  reads (docs/read-models.md says why this polling, not the library's
  ``ProjectionRunner``, keeps them on both backends).
- Two processes catching up at once compute the same rows; the view keeps the newer
  version of each row and the tracking insert of the slower one fails (the library
  refuses to move the position backwards), which rolls its transaction back. Nothing
  is written twice and nothing is skipped: a position is recorded only after every
  event up to it was folded.
- A rebuild (:mod:`projections.views.rebuild`) writes the next generation of tables beside the
  live one, catches it up, and switches in one transaction. Every read and write here
  addresses the live generation through the pointer read in its own transaction
  (:mod:`projections.views.store`): a catch-up that chose a generation before a switch
  finds it retired when it writes (:class:`GenerationMoved`, nothing written) and starts
  again from the pointer; a read answers from the live generation.
- Far behind (views empty on an old store, or a long downtime), a catch-up folds every
  case once, :data:`CHUNK` at a time, the way a rebuild does (:meth:`CaseViews.fold_all`,
  the rebuild's own path), instead of folding again each case every batch of
  :data:`BATCH` events touches.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import get_topic

from domain.case import EVENT_CLASSES
from domain.history import tokyo_date
from domain.store.application import CaseLog, CaseNotFound
from domain.store.creation import creation_lock
from domain.store.leader import FollowerLock, follower_lock
from projections.views.row import CaseRow, case_row, is_current_for
from projections.views.store import (
    Cursor,
    GenerationMoved,
    KnownAt,
    Months,
    PostgresViewStore,
    SQLiteViewStore,
    ViewStore,
    utc_text,
)

#: Topics of the case's own events (access logs and idempotency records are skipped).
CASE_TOPICS = frozenset(get_topic(cls) for cls in EVENT_CLASSES.values())
_TOPICS = sorted(CASE_TOPICS)
BATCH = 500
#: ``/health`` counts the case events among at most this many notifications after what
#: the view has seen (read in log order from the end of the index, never a scan).
LAG_COUNT_LIMIT = 10_000
#: Cases folded and written per transaction when every case is folded (rebuild, bulk).
CHUNK = 20
#: Far behind: at least this many case events pending, and at least 1/BULK_SHARE of all
#: case events in the store. Folding every case once then costs less than folding each
#: case again for every batch that touches it (measured in bench/README.md).
BULK_MIN = 2 * BATCH
BULK_SHARE = 5
#: How often a catch-up or a read starts again from the pointer after a switch.
ATTEMPTS = 3
#: Seconds between checks for stale rows once a day's check found none.
STALE_RECHECK = 600.0
_log = logging.getLogger("teichaku.views")


def open_view_store(cases: CaseLog) -> ViewStore:
    """The view store in the same database (and datastore) as ``cases``' events."""
    module = cases.env.get("PERSISTENCE_MODULE") or ""
    view_class: type[ViewStore] = (
        PostgresViewStore if module.endswith("postgres") else SQLiteViewStore
    )
    store = cases.factory.tracking_recorder(view_class)
    assert isinstance(store, ViewStore)
    store.cipher = cases.mapper.cipher
    store.keys = cases.keys.keys_of  # under the erasure watermark (decision 0048)
    store.keks = cases.keys.keks  # the blind index's key is derived from the current KEK
    return store


@dataclass(frozen=True, slots=True)
class Lag:
    """How far a view is behind the event log.

    ``position``: the notification id the view has folded up to; ``head``: the newest
    notification id of the log (access-log entries included); ``behind``: case events
    not yet folded, counted among the first :data:`LAG_COUNT_LIMIT` notifications after
    what this process knows is folded (the position, or a later head it checked).
    """

    generation: int
    position: int
    head: int
    behind: int

    def as_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "position": self.position,
            "head": self.head,
            "behind": self.behind,
        }


class CaseViews:
    """The case and case-month views of one store, and the work that keeps them current."""

    def __init__(self, cases: CaseLog, store: ViewStore | None = None) -> None:
        self.cases = cases
        with creation_lock(cases.env):  # processes starting together: one makes the tables
            self.store = store or open_view_store(cases)
            self.generation  # noqa: B018 (creates the first generation on a new store)
        self._lock = threading.Lock()
        #: Set while a catch-up folds every case (reads then answer from the view as is).
        self._bulk = threading.Event()
        #: True while a :class:`ViewFollower` keeps these views: a read that finds them far
        #: behind leaves the catch-up to it rather than doing it inside a request.
        self.followed = False
        #: generation → a notification id up to which every case event is known folded
        #: (the log's head, read before a catch-up that found no more): later reads of the
        #: log start there, not at the position, which access-log entries leave behind.
        self._seen: dict[int, int] = {}
        #: The day :meth:`refresh_stale` last found nothing stale, and when.
        self._fresh_day: tuple[dt.date, float] | None = None

    # -- generations -------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The live generation (a new store starts at 1): one query."""
        try:
            gen = self.store.active_generation()
        except Exception:  # the meta table does not exist yet: a new store
            gen = None
        if gen is None:
            self.store.create_views(1)
            if self.store.active_generation() is None:
                self.store.switch(1)
            gen = 1
        return gen

    def tracking_name(self, gen: int) -> str:
        return f"{self._tracking_prefix}{gen}"

    @property
    def _tracking_prefix(self) -> str:
        return f"{self.cases.name}.views.g"

    # -- keeping current ---------------------------------------------------------------

    def position(self, gen: int | None = None) -> int:
        gen = self.generation if gen is None else gen
        return self.store.max_tracking_id(self.tracking_name(gen)) or 0

    def _positions(self, gen: int) -> tuple[int, int, int]:
        """(tracked position, log head, where unread case events may start), one statement."""
        position, head = self.store.positions(self.tracking_name(gen), self._events_table)
        return position, head, self._start(gen, position)

    def _start(self, gen: int, position: int) -> int:
        """Where unread case events of ``gen`` may start: after its tracked position, or
        after the head this process last saw folded if that is later."""
        return max(position, self._seen.get(gen, 0)) + 1

    @property
    def _events_table(self) -> str:
        return str(getattr(self.cases.recorder, "events_table_name", "stored_events"))

    def lag(self, gen: int | None = None) -> Lag:
        """How far behind: the positions (one statement) and, if the head is past what is
        known folded, a count bounded by :data:`LAG_COUNT_LIMIT` index entries."""
        gen = self.generation if gen is None else gen
        position, head, start = self._positions(gen)
        behind = self._pending(start, LAG_COUNT_LIMIT) if head >= start else 0
        return Lag(gen, position, head, behind)

    def _pending(self, start: int, cap: int) -> int:
        """Case events among the ``cap`` notifications from id ``start`` on."""
        return self.store.count_events(self._events_table, start, _TOPICS, cap)

    def fresh(self, max_events: int) -> tuple[int, int]:
        """Catch up (at most ``max_events``) for a read: the live generation and the case
        events still behind, in as few round trips as a read can take.

        Far behind, a read does not fold case by case: while a catch-up folds every case
        (or when a :class:`ViewFollower` will), it answers from the views as they are;
        with no follower it folds every case itself, as a rebuild would.
        """
        if not self._acquire():  # every case is being folded: answer from the view as is
            gen = self.generation
            return gen, self.lag(gen).behind
        try:
            bulk = None if self.followed else True
            gen, _, done = self._from_pointer(None, max_events, bulk=bulk)
        finally:
            self._lock.release()
        return gen, (0 if done else self.lag(gen).behind)

    def _acquire(self) -> bool:
        """The catch-up lock, unless every case is being folded (then False at once)."""
        while not self._lock.acquire(timeout=0.05):
            if self._bulk.is_set():
                return False
        return True

    def catch_up(
        self, gen: int | None = None, max_events: int | None = None, *, bulk: bool = True
    ) -> int:
        """Fold every case touched after the view's position; returns events read.

        ``gen``: the generation to catch up (a rebuild's new one); by default the live
        one, and the live one too if ``gen`` is retired meanwhile. ``bulk``: when the view
        is far behind, fold every case once instead (then ``max_events`` does not apply).
        """
        with self._lock:
            return self._from_pointer(gen, max_events, bulk=bulk)[1]

    def _from_pointer(
        self, gen: int | None, max_events: int | None, *, bulk: bool | None
    ) -> tuple[int, int, bool]:
        """Catch up ``gen`` (default: live), again from the pointer if a switch retires it:
        (the generation caught up, events read, whether it is now current)."""
        read = 0
        for attempt in range(ATTEMPTS):
            known = None
            if gen is None:  # the live generation, with its positions when it has one
                known = self._pointer()
            target = known[0] if known else (self.generation if gen is None else gen)
            try:
                more, done = self._catch_up(target, max_events, bulk, known and known[1])
                return target, read + more, done
            except GenerationMoved as moved:
                _log.info("views: generation %s retired during a catch-up", moved.wanted)
                if attempt == ATTEMPTS - 1:
                    raise
                gen = None  # start again from the pointer
        raise AssertionError("unreachable")

    def _pointer(self) -> tuple[int, tuple[int, int, int]] | None:
        """The live generation and its positions (as :meth:`_positions`), in one statement;
        None on a store without a generation yet (then :attr:`generation` makes one)."""
        try:
            gen, position, head = self.store.pointer_positions(
                self._tracking_prefix, self._events_table
            )
        except Exception:  # the meta table does not exist yet: a new store
            return None
        if gen is None:
            return None
        return self.store.shaped(gen), (position, head, self._start(gen, position))

    def _catch_up(
        self, gen: int, max_events: int | None, bulk: bool | None,
        known: tuple[int, int, int] | None = None,
    ) -> tuple[int, bool]:  # fmt: skip
        """Events read, and whether ``gen`` is now current. ``bulk``: far behind, fold every
        case (True), leave it as it is (None: a follower will), or go on case by case.
        ``known``: ``gen``'s positions, read with the pointer."""
        read = 0
        # The head is read before the events: every case event up to it is committed
        # (both backends commit notification ids in order), so once a read of the log
        # finds fewer than a batch, every case event up to the head has been folded.
        _, head, start = known or self._positions(gen)
        if head < start:
            return read, True  # nothing written since: one statement
        while max_events is None or read < max_events:
            # Only the case's own events: access-log entries and listings change no view.
            batch = self.store.case_events(self._events_table, start, _TOPICS, BATCH)
            if not batch:
                self._saw(gen, head)
                return read, True
            if not read and len(batch) == BATCH and bulk is not False and self._far(start, head):
                if bulk is None:
                    return 0, False
                return self._fold_everything(gen), True
            touched = {case_id for _, case_id in batch}
            rows = self.fold(touched)
            try:
                self.store.write(gen, rows, Tracking(self.tracking_name(gen), batch[-1][0]))
            except IntegrityError:
                return read, True  # another process wrote this position first: it is done
            read += len(batch)
            start = batch[-1][0] + 1
            if len(batch) < BATCH:
                self._saw(gen, head)
                return read, True
        return read, False

    def _saw(self, gen: int, head: int) -> None:
        """Every case event up to ``head`` is folded into ``gen``."""
        if head > self._seen.get(gen, 0):
            self._seen[gen] = head

    def _far(self, start: int, head: int) -> bool:
        """Are the views far behind the log (see :data:`BULK_MIN`, :data:`BULK_SHARE`)?
        At least :data:`BULK_MIN` case events pending, and at least 1/BULK_SHARE of the
        log's notifications after the position (read from ids, not counted)."""
        if self._pending(start, BULK_MIN * BULK_SHARE) < BULK_MIN:
            return False
        return (head - start + 1) * BULK_SHARE >= head

    def _fold_everything(self, gen: int) -> int:
        """Every case folded once, CHUNK at a time (the rebuild's path), then the position
        set to the log's head noted before the first fold; returns the events folded."""
        self._bulk.set()
        try:
            head = self.cases.recorder.max_notification_id() or 0
            ids = self.cases.case_ids()
            _log.info("views far behind: folding %d cases (log head %d)", len(ids), head)
            events = self.fold_all(gen, ids)
            with suppress(IntegrityError):  # another catch-up is already past the head
                self.store.write(gen, [], Tracking(self.tracking_name(gen), head))
            self.analyze()  # many rows written: plans from fresh statistics
        finally:
            self._bulk.clear()
        return events + self._catch_up(gen, None, False)[0]

    def fold_all(
        self, gen: int, ids: Sequence[UUID], *, marks: bool = False,
        progress: Callable[[int, int], None] | None = None, throttle_ms: int = 0,
    ) -> int:  # fmt: skip
        """Fold ``ids`` into ``gen`` :data:`CHUNK` at a time, each chunk written in one
        transaction (with a rebuild's "done" marks when ``marks``); returns events folded.

        A chunk is written by a second thread while this one folds the next (at most one
        chunk ahead): the write's waits on the database, about a sixth of a rebuild,
        overlap the folding instead of adding to it (issue 24). Chunks are written in
        order; a failed write stops the folding at the next chunk and is raised here."""

        def write(rows: list[CaseRow]) -> int:
            if marks:
                self.store.write_rebuilt(gen, rows)
            else:
                self.store.write(gen, rows, None)
            events = sum(r.version for r in rows)
            if progress is not None:
                progress(events, len(rows))
            return events

        total = 0
        with ThreadPoolExecutor(1, thread_name_prefix="teichaku-views-write") as writer:
            pending: Future[int] | None = None
            for start in range(0, len(ids), CHUNK):
                rows = self.fold(ids[start : start + CHUNK])
                if pending is not None:
                    total += pending.result()
                pending = writer.submit(write, rows)
                if throttle_ms:
                    time.sleep(throttle_ms / 1000)
            if pending is not None:
                total += pending.result()
        return total

    def fold(self, case_ids: Iterable[UUID], on: dt.date | None = None) -> list[CaseRow]:
        """The rows of these cases, each folded once, evaluated on ``on`` (today)."""
        day = on or tokyo_date(self.cases.clock())
        rows = []
        for case_id in sorted(case_ids):
            try:
                records = self.cases.get_case(case_id).records_to_fold()
            except CaseNotFound:
                continue
            rows.append(case_row(case_id, records, day))
        return rows

    def refresh(
        self, rows: list[CaseRow], on: dt.date, gen: int | None = None
    ) -> list[CaseRow]:
        """Rows evaluated on an earlier day are folded again for ``on`` and stored.

        A refreshed row comes back with all its months; the others keep what was read.
        """
        stale = [r.case_id for r in rows if not is_current_for(r, on)]
        if not stale:
            return rows
        fresh = {r.case_id: r for r in self.fold(stale, on)}
        self.store.write(gen, list(fresh.values()), None)  # to the live one if later
        return [fresh.get(r.case_id, r) for r in rows]

    def refresh_stale(self, on: dt.date | None = None, limit: int = 200) -> int:
        """Fold again up to ``limit`` rows evaluated before ``on`` (today); returns how many.

        Found by index (:meth:`ViewStore.stale`); once none is left for a day, asked again
        only every :data:`STALE_RECHECK` seconds that day (a row is written for the day
        it is folded on, so new stale rows come only from a rebuild or a new shape)."""
        day = on or tokyo_date(self.cases.clock())
        last = self._fresh_day
        if on is None and last is not None and last[0] == day \
                and time.monotonic() - last[1] < STALE_RECHECK:
            return 0
        ids = self.store.stale(None, day, limit)
        if ids:
            self.store.write(None, self.fold(ids, day), None)
        elif on is None:
            self._fresh_day = (day, time.monotonic())
        return len(ids)

    def analyze(self) -> None:
        """Fresh planner statistics for the events and the views (after a bulk load or a
        rebuild), so that no plan waits on autovacuum to learn the tables' sizes."""
        snapshots = getattr(self.cases.snapshots, "recorder", None)
        name = getattr(snapshots, "events_table_name", None)
        self.store.analyze(self._events_table, str(name) if name else None)

    def office_case_ids(self, office: str | None, after: Cursor | None, limit: int,
                        gen: int | None = None) -> list[tuple[UUID, dt.datetime]]:  # fmt: skip
        """The cases that have ever belonged to ``office`` (all when ``None``), in opening
        order after ``after``, from the views (no read of the events)."""
        return self.store.office_cases(gen, office, after, limit)

    def known_at(self, case_ids: Sequence[UUID], as_of: dt.datetime,
                 gen: int | None = None) -> dict[UUID, KnownAt]:  # fmt: skip
        """These cases as known at ``as_of``, from their known rows and clock pages
        (:meth:`ViewStore.known_at`, decision 0062): no case is folded."""
        return self.store.known_at(gen, case_ids, as_of)

    # -- reading -----------------------------------------------------------------------

    def page(
        self, office: str | None, after: Cursor | None, limit: int,
        keep: Callable[[CaseRow], bool] = lambda row: True, months: Months = "*",
        gen: int | None = None, persons: bool = True,
    ) -> tuple[list[CaseRow], Cursor | None]:  # fmt: skip
        """Up to ``limit`` rows that ``keep`` accepts, and the cursor of the next page
        (:meth:`read` without the generation)."""
        found = self.read(office, after, limit, keep, months, gen, persons)
        return found.rows, found.next

    def read(
        self, office: str | None, after: Cursor | None, limit: int,
        keep: Callable[[CaseRow], bool] = lambda row: True, months: Months = "*",
        gen: int | None = None, persons: bool = True,
    ) -> Page:  # fmt: skip
        """Up to ``limit`` rows that ``keep`` accepts, the cursor of the next page, and
        the one generation they were all read from: ``gen`` (the one the caller caught
        up), or the live one if a switch retired it (then the page is read again).

        ``months`` and ``persons`` as in :meth:`ViewStore.page` (a list needs no month, a
        dashboard one; the API's due list no person).
        """
        for _ in range(ATTEMPTS):
            found, answer = self._read(office, after, limit, keep, months, gen, persons)
            if found is not None:
                return found
            gen = answer  # a switch between two batches: read the page again from it
        raise GenerationMoved(gen or 0, answer)

    def _read(
        self, office: str | None, after: Cursor | None, limit: int,
        keep: Callable[[CaseRow], bool], months: Months, gen: int | None, persons: bool,
    ) -> tuple[Page | None, int]:  # fmt: skip
        found: list[CaseRow] = []
        answer: int | None = None
        while len(found) < limit:
            used, batch = self.store.page(gen, office, after, max(limit, 50), months, persons)
            if answer is not None and used != answer:
                return None, used
            answer = gen = used
            last = None
            for last in batch:
                if keep(last):
                    found.append(last)
                    if len(found) == limit:
                        break
            if len(batch) < max(limit, 50) and len(found) < limit:
                return Page(found, None, used), used
            if last is not None:  # where this batch was left: made once, not per row
                after = Cursor(utc_text(last.opened_at), str(last.case_id))
        assert answer is not None
        return Page(found, after, answer), answer


@dataclass(frozen=True, slots=True)
class Page:
    """One page of rows, the cursor of the next (None: the last), the generation read."""

    rows: list[CaseRow]
    next: Cursor | None
    generation: int


class ViewFollower:
    """Keeps the views current in the background of a server: new events every
    ``interval`` seconds, and rows of an earlier day folded again for today.

    With several servers on one PostgreSQL database only the one holding the follower
    lock does this (:mod:`domain.store.leader`, decision 0050); the others ask for the
    lock every ``interval`` and take over when its holder is gone. Every server still
    catches the views up before a list (read-your-writes)."""

    def __init__(
        self, views: CaseViews, interval: float = 1.0, lock: FollowerLock | None = None
    ) -> None:
        self.views = views
        self.interval = interval
        module = views.cases.env.get("PERSISTENCE_MODULE") or ""
        self.lock = lock if lock is not None else follower_lock(module, views.cases.recorder)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="teichaku-views", daemon=True)

    def start(self) -> None:
        self.views.followed = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.lock.release()
        self.views.followed = False

    def _run(self) -> None:
        # At once, then every interval: views far behind are folded in bulk (the
        # rebuild's path) by this thread, while reads answer from them as they are.
        while True:
            try:
                if not self.lock.held():  # another server follows: ask again next time
                    if self._stop.wait(self.interval):
                        return
                    continue
                self.views.catch_up(max_events=20_000)
                self.views.refresh_stale()
                self.views.store.reindex(None, limit=2_000)  # after an erasure (decision 0035)
                self.views.cases.access.index_listings()  # the cases lists showed (0055)
            except Exception as exc:  # keep following; the lists report their lag
                _log.warning("views not caught up: %s", type(exc).__name__)
            if self._stop.wait(self.interval):
                return
