"""Which server process follows the views, when several share one database (decision 0050).

Every server process answers reads and catches the views up before a list (read-your-
writes), but only one of them needs to poll the log in the background, refold stale rows
and re-index after an erasure. On PostgreSQL that one holds a session-level advisory lock
(``pg_try_advisory_lock``) on a connection of its own, outside the pool: when the process
dies or its connection breaks, the server releases the lock and the next process to ask
takes it over. The lock's key is derived from the schema, so stores in other schemas of
the same database elect their own follower.

SQLite (one machine, one file) and the in-memory store have no lock: every process
follows, as before.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import suppress
from typing import Any


def lock_key(schema: str) -> int:
    """The advisory lock's key (a signed 64-bit integer) for the views of ``schema``."""
    digest = hashlib.sha256(f"teichaku.views.follower:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class FollowerLock:
    """Always held: a store with one follower per process (SQLite, memory)."""

    def held(self) -> bool:
        """Whether this process follows the views now (tries to take the lock if not)."""
        return True

    def release(self) -> None:
        """Let another process follow (on shutdown)."""


class PostgresFollowerLock(FollowerLock):
    """The advisory lock, held on a connection of its own for as long as it lives."""

    def __init__(self, datastore: Any) -> None:
        self.key = lock_key(datastore.schema)
        self._kwargs = dict(datastore.pool.kwargs)
        self._conn: Any = None
        self._held = False
        self._lock = threading.Lock()

    def held(self) -> bool:
        import psycopg

        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._held = False
                    self._conn = psycopg.connect(**self._kwargs, autocommit=True)
                if self._held:
                    self._conn.execute("SELECT 1")  # the session (and the lock) still alive
                else:
                    row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
                    found = row.fetchone()
                    self._held = bool(found and _first(found))
            except psycopg.Error:
                self._drop()
            return self._held

    def release(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with suppress(Exception):  # closing a broken connection may fail too
                self._conn.close()  # the session ends: the server releases the lock
            self._conn = None


def _first(row: Any) -> Any:
    return row[next(iter(row))] if isinstance(row, dict) else row[0]


def follower_lock(module: str, recorder: Any) -> FollowerLock:
    """The lock for the store an application's ``recorder`` writes to."""
    datastore = getattr(recorder, "datastore", None)
    if module.endswith("postgres") and datastore is not None:
        return PostgresFollowerLock(datastore)
    return FollowerLock()
