"""SQLite's writers of several processes take a file lock beside the database in turn
(:mod:`domain.store.writer_queue`, issue 24): a writer waits while another holds it and
goes on as soon as it is released; a reader never waits; and a lock held too long is
given up after ``PATIENCE``, leaving SQLite's own lock to decide, as before.

The lock is taken here through a second open file, as another process would hold it
(``flock`` locks belong to an open file, so this process's own store waits for it too).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.store import writer_queue
from domain.store.application import CaseLog, persistence_env
from tests.integration.sample import EVENTS, OPENED

HIRED = EVENTS[0]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[CaseLog, str]]:
    path = str(tmp_path / "teichaku.db")
    store = CaseLog(env=persistence_env(f"sqlite:///{path}"))
    yield store, path
    store.close()


@pytest.fixture
def held(db: tuple[CaseLog, str]) -> Iterator[int]:
    """The file lock, held by "another process" until the test releases it."""
    fd = os.open(db[1] + writer_queue.SUFFIX, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    yield fd
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _in_background(work: object) -> tuple[threading.Thread, list[float]]:
    done: list[float] = []

    def run() -> None:
        work()  # type: ignore[operator]
        done.append(time.monotonic())

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done


def test_a_write_waits_for_the_file_lock_and_goes_on_when_it_is_released(
    db: tuple[CaseLog, str], held: int
) -> None:
    store, _ = db
    thread, done = _in_background(lambda: store.open_case(OPENED, recorded_by="担当"))
    time.sleep(0.3)
    assert done == [] and thread.is_alive()  # waiting for the lock, nothing written
    assert store.case_ids() == []  # a reader does not wait for it
    released = time.monotonic()
    fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(timeout=10)
    assert done and done[0] - released < 1.0
    assert len(store.case_ids()) == 1


def test_a_lock_held_too_long_is_given_up_and_sqlite_decides(
    db: tuple[CaseLog, str], held: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = db
    monkeypatch.setattr(writer_queue, "PATIENCE", 0.2)
    started = time.monotonic()
    case = store.open_case(OPENED, recorded_by="担当")  # the lock is still held elsewhere
    assert 0.2 <= time.monotonic() - started < 5
    store.record(case.id, HIRED[0], HIRED[1], recorded_by="担当")
    assert len(store.records(case.id)) == 2


def test_each_write_releases_the_lock(db: tuple[CaseLog, str]) -> None:
    store, path = db
    case = store.open_case(OPENED, recorded_by="担当")
    store.record(case.id, HIRED[0], HIRED[1], recorded_by="担当")
    fd = os.open(path + writer_queue.SUFFIX, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: raises if a write kept it
    finally:
        os.close(fd)


def test_a_store_in_memory_takes_no_file_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = CaseLog(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                         "SQLITE_DBNAME": "file::memory:?cache=shared"})  # fmt: skip
    try:
        store.open_case(OPENED, recorded_by="担当")
    finally:
        store.close()
    assert not list(tmp_path.iterdir())
