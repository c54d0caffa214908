"""Rebuild every case view from the event log: in N processes, resumable, without downtime.

1. The next generation's tables are made beside the live ones, and the log's head at
   the start is noted (``teichaku_view_meta``), so a resumed rebuild knows it.
2. The cases are split between N worker processes (case i goes to worker i mod N); each
   folds its cases a few at a time and writes their rows together with "done" marks
   in one transaction, so a killed rebuild resumes at the first case not marked done.
3. The new generation is caught up from the noted head (events written while it was
   being built), the live generation is switched to it in one transaction, caught up
   again, and the old tables are dropped. Readers use the old generation until the
   switch and the new one after it: the lists never go dark. The switch is made only
   when the new generation has folded at least as far as the old one (else it is
   caught up and the switch tried again), so no read goes back in time across it; and
   every read and catch-up finds the live generation in its own transaction
   (:mod:`projections.views.store`), so none writes into or reads from the dropped one.
4. The worker processes die with the rebuild: killed (even ``kill -9``), it takes them
   with it (:func:`die_with_parent`).

Progress is reported as events folded (``progress(events, cases)``): the command line
shows it as a bar with events/s and the time left.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from domain.store.application import CaseLog
from projections.views.follower import CHUNK, CaseViews

__all__ = ["CHUNK", "RebuildReport", "die_with_parent", "rebuild"]

#: Tries at switching before switching anyway (readers then catch the new one up).
SWITCH_ATTEMPTS = 20
#: How often a worker looks whether its parent is still there (where prctl is missing).
PARENT_POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1
#: The cyclic garbage collector's thresholds while a rebuild folds (Python's are 700, 10,
#: 10). A fold allocates millions of short-lived objects (histories, facts, rows, SQL
#: parameters), almost none of them in cycles, and the young generation was examined
#: every 700 of them: 10–15 % more events/s on the 1k bench store with the same peak
#: memory (130 MB). The thresholds are restored when the folding ends.
FOLD_GC_THRESHOLD = (50_000, 20, 20)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    generation: int
    cases: int
    resumed: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


Progress = Callable[[int, int], None]


def rebuild(
    env: Mapping[str, str],
    workers: int = 1,
    progress: Progress | None = None,
    throttle_ms: int = 0,
    on_start: Callable[[int, int, int, int], None] | None = None,
) -> RebuildReport:
    """Rebuild the views of the store that ``env`` names (see module docstring)."""
    started = time.perf_counter()
    cases = CaseLog(env=dict(env))
    try:
        views = CaseViews(cases)
        store = views.store
        live = views.generation
        pending = store.meta("rebuilding")
        gen = int(pending) if pending is not None else live + 1
        store.create_views(gen)
        head_key = f"rebuild_head_g{gen}"
        if store.meta(head_key) is None:
            store.set_meta(head_key, str(cases.recorder.max_notification_id() or 0))
        store.set_meta("rebuilding", str(gen))
        all_ids = cases.case_ids()
        done = store.rebuilt_cases(gen)
        todo = [i for i in all_ids if str(i) not in done]
        if on_start is not None:
            on_start(
                gen, len(all_ids), len(all_ids) - len(todo),
                _estimate(cases, len(todo), len(all_ids)),
            )  # fmt: skip
        events = _build(env, gen, todo, max(1, workers), progress, throttle_ms)
        head = int(store.meta(head_key) or 0)
        store.write(gen, [], _tracking(views, gen, head))
        views.catch_up(gen, bulk=False)
        _switch(views, gen, live)
        store.set_meta(head_key, None)
        views.catch_up(bulk=False)
        if live != gen:
            store.drop_views(live)
        views.analyze()  # fresh statistics for the new tables (decision 0049)
        return RebuildReport(
            gen, len(all_ids), len(all_ids) - len(todo), events, time.perf_counter() - started
        )
    finally:
        cases.close()


def _switch(views: CaseViews, gen: int, live: int) -> None:
    """Make ``gen`` live once it has folded at least as far as ``live`` (see module doc)."""
    names = (views.tracking_name(gen), views.tracking_name(live))
    for _ in range(SWITCH_ATTEMPTS):
        if live == gen or views.store.switch(gen, names):
            return
        views.catch_up(gen, bulk=False)  # events folded into the live one meanwhile
    views.store.switch(gen)  # writes never paused long enough: readers catch it up


def _estimate(cases: CaseLog, todo: int, total: int) -> int:
    """Events still to fold, for the time left: the log's length in the share of cases left
    (access-log entries count too, so it errs long)."""
    head = cases.recorder.max_notification_id() or 0
    return round(head * todo / max(total, 1))


def _tracking(views: CaseViews, gen: int, head: int) -> Tracking | None:
    """The new generation starts from the head noted when the rebuild began."""
    if head <= views.position(gen):
        return None
    return Tracking(views.tracking_name(gen), head)


def _build(
    env: Mapping[str, str],
    gen: int,
    todo: Sequence[UUID],
    workers: int,
    progress: Progress | None,
    throttle_ms: int,
) -> int:
    if not todo:
        return 0
    if workers == 1:
        return _work(dict(env), gen, [str(i) for i in todo], throttle_ms, progress)
    # The parent made every table: workers creating them again at the same instant race
    # on PostgreSQL's catalogue ("CREATE TABLE IF NOT EXISTS" is not atomic there).
    env = {**env, "CREATE_TABLE": "no"}
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    parts = [[str(i) for i in todo[k::workers]] for k in range(workers)]
    parent = os.getpid()
    procs = [
        context.Process(target=_worker, args=(dict(env), gen, part, throttle_ms, queue, parent))
        for part in parts
        if part
    ]
    for proc in procs:
        proc.start()
    total, running = 0, len(procs)
    while running:
        message = queue.get()
        if message is None:
            running -= 1
            continue
        if isinstance(message, str):
            for proc in procs:
                proc.kill()
            raise RuntimeError(message)
        events, count = message
        total += events
        if progress is not None:
            progress(events, count)
    for proc in procs:
        proc.join()
    return total


def _worker(
    env: dict[str, str], gen: int, ids: list[str], throttle_ms: int, queue: Any, parent: int
) -> None:
    die_with_parent(parent)
    try:
        _work(env, gen, ids, throttle_ms, lambda events, count: queue.put((events, count)))
    except Exception as exc:  # reported to the parent, which stops the rebuild
        queue.put(f"ビューの再構築に失敗しました: {type(exc).__name__}")
        raise
    finally:
        queue.put(None)


def _work(
    env: dict[str, str], gen: int, ids: list[str], throttle_ms: int, progress: Progress | None
) -> int:
    """Fold ``ids`` CHUNK at a time into generation ``gen``; returns events folded.

    Without the aggregate cache: each case is read once, and a cached case is copied for
    every read, its history built to be shared (the fold builds its own)."""
    cases = CaseLog(env={**env, "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        views = CaseViews(cases)
        case_ids = [UUID(i) for i in ids]
        with fewer_collections():
            return views.fold_all(
                gen, case_ids, marks=True, progress=progress, throttle_ms=throttle_ms
            )
    finally:
        cases.close()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """:data:`FOLD_GC_THRESHOLD` while the block runs, the thresholds before it after."""
    before = gc.get_threshold()
    gc.set_threshold(*FOLD_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, even by SIGKILL (which it cannot pass on).

    On Linux the kernel sends SIGKILL to this process when its parent exits
    (``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon thread also looks every
    :data:`PARENT_POLL_SECONDS` whether the parent is still this process's parent (an
    orphan is adopted by another process). A parent already gone ends it at once.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl here: the thread below does it
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
