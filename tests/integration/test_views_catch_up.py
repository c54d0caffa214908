"""How the views get current on their own: a rebuild's workers die with it, and views far
behind the log are folded case by case once (the rebuild's path), not batch by batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from domain.store.application import CaseLog, persistence_env
from projections.views import follower
from projections.views.follower import CaseViews
from projections.views.store import ViewStore
from tests.integration.conftest import Backend
from tests.integration.test_views import (
    ROOT,
    _assert_views_equal_the_fold,
    _office,
    _wait_for_progress,
)

GONE_WITHIN = 15.0  # seconds the workers have to exit after their parent is killed


def _children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` and their command lines, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent_of(int(entry.name)) == pid:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            found[int(entry.name)] = cmdline
    return found


def _parent_of(pid: int) -> int | None:
    state = _stat(pid)
    return None if state is None else int(state[1])


def _stat(pid: int) -> list[str] | None:
    """(state, ppid, …) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _alive(pids: Iterable[int]) -> list[int]:
    """The processes still running (a zombie has exited: only its parent's wait is due)."""
    return [p for p in pids if (s := _stat(p)) is not None and s[0] not in ("Z", "X")]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_a_killed_rebuild_takes_its_workers_with_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'teichaku.db'}"
    store = CaseLog(env=persistence_env(url))
    try:
        _office(store, 120)  # 3 chunks for each of 2 workers; 10 s pause after each chunk
    finally:
        store.close()
    backend = Backend("sqlite", url, "stored_events", "stored_snapshots", {})
    command = [sys.executable, "-m", "api.cli", "projections", "rebuild", "--database", url,
               "--workers", "2", "--throttle-ms", "10000"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    children: dict[int, str] = {}
    try:
        _wait_for_progress(backend, minimum=20)  # the workers are folding
        children = _children(proc.pid)
        workers = [p for p, cmd in children.items() if "spawn_main" in cmd]
        assert len(workers) == 2, children

        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + GONE_WITHIN
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)

        assert _alive(children) == [], {p: children[p] for p in _alive(children)}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _alive(children):  # only what this test started, should any be left
            os.kill(pid, signal.SIGKILL)


def test_views_far_behind_fold_every_case_once(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty views on an existing store: every case is folded once, in chunks, and the
    views end current and equal to the fold; a small lag afterwards goes case by case."""
    store = backend.open()
    ids = _office(store, 12)  # 28 case events, recorded case after case
    monkeypatch.setattr(follower, "BATCH", 5)  # so that 28 events are "far behind"
    monkeypatch.setattr(follower, "BULK_MIN", 10)
    folded: list[UUID] = []
    fold = CaseViews.fold

    def counted(self: CaseViews, case_ids: Iterable[UUID], on: date | None = None) -> list:  # type: ignore[type-arg]
        case_ids = list(case_ids)
        folded.extend(case_ids)
        return fold(self, case_ids, on)

    monkeypatch.setattr(CaseViews, "fold", counted)
    views = CaseViews(store)

    views.catch_up()

    assert sorted(folded) == sorted(ids)  # each case once; batch by batch folds some twice
    assert views.lag().behind == 0
    assert views.position() >= max(n.id for n in store.recorder.select_notifications(1, 1000))
    _assert_views_equal_the_fold(store, views, ids)

    folded.clear()
    store.record(ids[3], "resigned", {"resigned_on": "2024-12-01"}, recorded_by="担当")
    views.catch_up()
    assert folded == [ids[3]]  # a small lag: only the case touched
    _assert_views_equal_the_fold(store, views, ids)


def test_a_read_of_views_far_behind_leaves_them_to_the_follower(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a follower keeping the views, a list that finds them far behind answers at
    once from them as they are (and says how far behind), instead of folding in the
    request; without one, the read folds them in bulk itself."""
    store = backend.open()
    _office(store, 12)
    monkeypatch.setattr(follower, "BATCH", 5)
    monkeypatch.setattr(follower, "BULK_MIN", 10)
    views = CaseViews(store)

    views.followed = True
    gen, behind = views.fresh(5_000)
    assert behind == 28 and views.store.count(gen) == 0

    views.followed = False
    gen, behind = views.fresh(5_000)
    assert behind == 0 and views.store.count(gen) == 12


def test_a_rebuild_writes_each_chunk_in_order_while_it_folds_the_next(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks are written by a second thread, in order, never more than one chunk behind
    the folding; every row ends in the views, equal to the fold."""
    store = backend.open()
    ids = _office(store, 9)
    monkeypatch.setattr(follower, "CHUNK", 2)
    views = CaseViews(store)
    gen = views.generation
    log: list[tuple[str, str, int]] = []  # (what, thread, chunk's first case index)
    fold, write = CaseViews.fold, type(views.store).write_rebuilt
    order = sorted(ids)

    def folding(self: CaseViews, case_ids: Iterable[UUID], on: date | None = None) -> list:  # type: ignore[type-arg]
        case_ids = list(case_ids)
        log.append(("fold", threading.current_thread().name, order.index(min(case_ids))))
        return fold(self, case_ids, on)

    def writing(self: ViewStore, g: int, rows: list) -> None:  # type: ignore[type-arg]
        log.append(("write", threading.current_thread().name, order.index(rows[0].case_id)))
        write(self, g, rows)

    monkeypatch.setattr(CaseViews, "fold", folding)
    monkeypatch.setattr(type(views.store), "write_rebuilt", writing)
    events = views.fold_all(gen, order, marks=True)

    assert events == sum(len(store.records(i)) for i in ids)
    writes = [(thread, first) for what, thread, first in log if what == "write"]
    assert [first for _, first in writes] == [0, 2, 4, 6, 8]
    assert all(t.startswith("teichaku-views-write") for t, _ in writes)
    for k, (what, _, first) in enumerate(log):  # chunk n is written only after it is folded
        if what == "write":
            assert ("fold", first) in [(w, f) for w, _, f in log[:k]]
            folded_ahead = sum(1 for w, _, f in log[:k] if w == "fold" and f > first)
            assert folded_ahead <= 1
    assert views.store.rebuilt_cases(gen) == {str(i) for i in ids}
    _assert_views_equal_the_fold(store, views, ids)


def test_a_failed_chunk_write_stops_the_rebuild_and_is_raised(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.open()
    ids = _office(store, 8)
    monkeypatch.setattr(follower, "CHUNK", 2)
    views = CaseViews(store)
    written: list[int] = []
    folded: list[int] = []
    fold, write = CaseViews.fold, type(views.store).write_rebuilt

    def folding(self: CaseViews, case_ids: Iterable[UUID], on: date | None = None) -> list:  # type: ignore[type-arg]
        folded.append(1)
        return fold(self, case_ids, on)

    def failing(self: ViewStore, g: int, rows: list) -> None:  # type: ignore[type-arg]
        if written:
            raise RuntimeError("the database went away")
        written.append(len(rows))
        write(self, g, rows)

    monkeypatch.setattr(CaseViews, "fold", folding)
    monkeypatch.setattr(type(views.store), "write_rebuilt", failing)
    with pytest.raises(RuntimeError, match="went away"):
        views.fold_all(views.generation, sorted(ids), marks=True)
    assert written == [2]
    assert len(folded) <= 3  # the failed chunk, and at most one more, were folded


def test_a_rebuild_folds_with_fewer_collections_and_gives_the_thresholds_back(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cyclic collector runs less often while a rebuild folds (FOLD_GC_THRESHOLD), and
    the process that called the rebuild (a server, the command line) has its own
    thresholds back afterwards, also when the rebuild fails."""
    import gc

    from projections.views import rebuild as rebuilding

    store = backend.open()
    _office(store, 3)
    seen: list[tuple[int, int, int]] = []
    fold = CaseViews.fold

    def folding(self: CaseViews, case_ids: Iterable[UUID], on: date | None = None) -> list:  # type: ignore[type-arg]
        seen.append(gc.get_threshold())
        return fold(self, case_ids, on)

    monkeypatch.setattr(CaseViews, "fold", folding)
    before = gc.get_threshold()
    assert before != rebuilding.FOLD_GC_THRESHOLD
    rebuilding.rebuild(backend.env(), workers=1)
    assert seen and set(seen) == {rebuilding.FOLD_GC_THRESHOLD}
    assert gc.get_threshold() == before

    def failing(self: CaseViews, case_ids: Iterable[UUID], on: date | None = None) -> list:  # type: ignore[type-arg]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(CaseViews, "fold", failing)
    with pytest.raises(RuntimeError):
        rebuilding.rebuild(backend.env(), workers=1)
    assert gc.get_threshold() == before
