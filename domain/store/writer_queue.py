"""SQLite's writers in several processes wait in line in the kernel, not by sleeping.

Only one connection at a time may write an SQLite database. Within a process, the
library's connection pool already lets one writer in at a time. Between processes (the
workers of ``teichaku serve --workers 2``, a command line beside a server), a writer
that finds the write lock taken is handled by SQLite's busy handler. That handler sleeps
1, 2, 5, 10, 15… ms between tries, however soon the lock is released. A read's access
entry holds the lock for about 0.4 ms (its fsync); a writer that slept 5 ms behind it
wasted 4.6 ms. Four clients of two workers then read at about 1.2-1.5× the rate of
one (issue 24 asks for 1.6×).

:func:`queue_writers` makes each write transaction first take an exclusive ``flock`` on a
file beside the database (``<db>.writers``), tried again every :data:`STEP` (0.2 ms) while
another process holds it, for at most :data:`PATIENCE`. Readers take nothing (WAL: they
never wait for a writer). A
writer that does not take the file lock (an older version, the ``sqlite3`` shell) is
still handled by SQLite's own locking and busy handler: the file lock adds an order,
never a new way to fail. The lock is released when the transaction's connection goes
back to the pool, and by the kernel if the process dies (decision 0064).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

#: The file lock's name beside the database file.
SUFFIX = ".writers"
#: Seconds between two tries of a taken lock (an access entry holds it ~0.4 ms).
STEP = 0.0002
#: Seconds a writer waits for the file lock before it goes on with SQLite's own.
PATIENCE = 10.0


def queue_writers(datastore: Any, path: str) -> BinaryIO:
    """Wrap ``datastore.get_connection`` so a writing connection holds the file lock;
    returns the lock file, to be closed with the store (or when it is collected).

    ``datastore`` is the library's ``SQLiteDatastore``: its ``transaction`` and every
    other writer of this store (the access table, the views, the person keys) take their
    connection from ``get_connection``. Within the process, the pool's writer lock comes
    first, so one thread at a time waits for the file lock."""
    taken = datastore.get_connection
    handle = open(path + SUFFIX, "ab", opener=_private)  # noqa: SIM115 (kept open: the lock's file)
    fd = handle.fileno()

    @contextmanager
    def get_connection(*, commit: bool) -> Iterator[Any]:
        with taken(commit=commit) as conn:
            if not commit:
                yield conn
                return
            locked = _lock(fd)
            try:
                yield conn
            finally:
                if locked:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    datastore.get_connection = get_connection
    return handle


def _private(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_CLOEXEC, 0o600)


def _lock(fd: int) -> bool:
    """Take the file lock: at once, or by trying again every :data:`STEP` seconds (not
    SQLite's 1, 2, 5, 10… ms) for at most :data:`PATIENCE` seconds. After that, go on
    without it (False): SQLite's own lock, and its time-out, still apply, so a process
    that hangs holding the lock makes the others fail as before, not wait for ever."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(STEP)
