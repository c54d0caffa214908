"""The person keys: one AES-256 key per case, in a table that can forget (crypto-shredding).

The events are append-only and never rewritten; this table is the one place where
personal data can really be destroyed. It lives in the same database as the events
(``teichaku_person_keys``), beside them but outside the event store, and a row is
deleted for good by :meth:`KeyStore.destroy`:

- on SQLite with ``PRAGMA secure_delete`` for that statement, so the key's bytes are
  overwritten in the file rather than left in a free page;
- on PostgreSQL followed by ``VACUUM`` of the table, so the dead row is reclaimed.

When the store has a cipher key (``TEICHAKU_CIPHER_KEY``), each person key is stored
wrapped with it (the library's AES cipher), so a copy of the database alone opens no
one's data. Backups are the limit: a backup taken before an erasure still holds the key
(docs/erasure.md).

Reads keep a key for a few seconds per process (:data:`CACHE_SECONDS`), so loading a
case decrypts without a query per event; an erasure drops it from the erasing process
at once, and the erasure event itself makes every other process read the fields as
erased as soon as it sees that event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Cipher

from domain.sealing import PersonKey, new_key

TABLE = "teichaku_person_keys"
CACHE_SECONDS = 5.0
_CACHE_MAX = 4096


class KeyStore:
    """Person keys by case id; subclasses say where they are kept."""

    def __init__(self, cipher: Cipher | None = None) -> None:
        self.cipher = cipher
        self._cache: dict[UUID, tuple[float, PersonKey]] = {}
        self._lock = threading.Lock()

    # -- what callers use ----------------------------------------------------------------

    def key(self, case_id: UUID) -> PersonKey | None:
        """The case's key, or ``None`` when it has none (destroyed, or never made)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(case_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        raw = self._select(case_id)
        if raw is None:
            self.forget(case_id)
            return None
        found = PersonKey(case_id, self._unwrap(raw))
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[case_id] = (now, found)
        return found

    def key_for_writing(self, case_id: UUID) -> PersonKey:
        """The case's key, made now if it has none yet (a new case, or one from before keys)."""
        found = self.key(case_id)
        if found is not None:
            return found
        self._insert(case_id, self._wrap(new_key()))  # keeps a key another process made first
        made = self.key(case_id)
        assert made is not None
        return made

    def destroy(self, case_id: UUID) -> bool:
        """Delete the case's key for good; ``False`` when there was none."""
        self.forget(case_id)
        return self._delete(case_id)

    def forget(self, case_id: UUID) -> None:
        with self._lock:
            self._cache.pop(case_id, None)

    # -- storage -------------------------------------------------------------------------

    def _wrap(self, key: bytes) -> bytes:
        return self.cipher.encrypt(key) if self.cipher is not None else key

    def _unwrap(self, raw: bytes) -> bytes:
        return self.cipher.decrypt(raw) if self.cipher is not None else raw

    def _select(self, case_id: UUID) -> bytes | None:
        raise NotImplementedError

    def _insert(self, case_id: UUID, wrapped: bytes) -> None:
        raise NotImplementedError

    def _delete(self, case_id: UUID) -> bool:
        raise NotImplementedError


class MemoryKeyStore(KeyStore):
    """Keys in this process only (the library's in-memory ``popo`` store, for tests)."""

    def __init__(self, cipher: Cipher | None = None) -> None:
        super().__init__(cipher)
        self._rows: dict[UUID, bytes] = {}

    def _select(self, case_id: UUID) -> bytes | None:
        return self._rows.get(case_id)

    def _insert(self, case_id: UUID, wrapped: bytes) -> None:
        with self._lock:
            self._rows.setdefault(case_id, wrapped)

    def _delete(self, case_id: UUID) -> bool:
        with self._lock:
            return self._rows.pop(case_id, None) is not None


class SQLKeyStore(KeyStore):
    """Keys in the event store's own database, through the library's datastore."""

    placeholder = "%s"
    blob = "BYTEA"

    def __init__(self, datastore: Any, cipher: Cipher | None = None) -> None:
        super().__init__(cipher)
        self.datastore = datastore
        self._created = False

    @property
    def table(self) -> str:
        return TABLE

    @contextmanager
    def _tx(self, *, commit: bool) -> Iterator[Any]:
        if not self._created:
            self._create()
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _run(self, c: Any, sql: str, params: Sequence[Any] = ()) -> None:
        c.execute(sql.replace("%s", self.placeholder), tuple(params))

    def _create(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._run(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                f"(case_id TEXT PRIMARY KEY, person_key {self.blob} NOT NULL, created_at TEXT)",
            )
        self._created = True

    def _select(self, case_id: UUID) -> bytes | None:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT person_key FROM {self.table} WHERE case_id = %s", (str(case_id),))
            row = c.fetchone()
        return None if row is None else bytes(row["person_key"])

    def _insert(self, case_id: UUID, wrapped: bytes) -> None:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._tx(commit=True) as c:
            self._run(
                c,
                f"INSERT INTO {self.table} (case_id, person_key, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (case_id) DO NOTHING",
                (str(case_id), wrapped, at),
            )

    def _delete(self, case_id: UUID) -> bool:
        with self._tx(commit=True) as c:
            self._run(c, f"DELETE FROM {self.table} WHERE case_id = %s", (str(case_id),))
            deleted = bool(c.rowcount)
        self._reclaim()
        return deleted

    def _reclaim(self) -> None:
        """Make the deleted key's bytes unrecoverable from the database's free space."""


class SQLiteKeyStore(SQLKeyStore):
    placeholder = "?"
    blob = "BLOB"

    def _delete(self, case_id: UUID) -> bool:
        # secure_delete overwrites the freed bytes with zeros (per connection: set it for
        # the statement's connection, inside its transaction).
        with self._tx(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            self._run(c, f"DELETE FROM {self.table} WHERE case_id = %s", (str(case_id),))
            deleted = bool(c.sqlite_cursor.rowcount)  # the library's wrapper hides rowcount
        self._reclaim()
        return deleted

    def _reclaim(self) -> None:
        # The key's page was also written to the write-ahead log when it was inserted:
        # copy the log into the file (whose page secure_delete zeroed) and truncate it.
        with self.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # outside a transaction


class PostgresKeyStore(SQLKeyStore):
    @property
    def table(self) -> str:
        return f'"{self.datastore.schema}"."{TABLE}"'

    def _reclaim(self) -> None:
        # VACUUM cannot run inside a transaction: a connection of the pool, in autocommit.
        with self.datastore.get_connection() as conn:
            previous = conn.autocommit
            conn.autocommit = True
            try:
                conn.execute(f"VACUUM {self.table}")
            finally:
                conn.autocommit = previous


def open_key_store(module: str, recorder: Any, cipher: Cipher | None) -> KeyStore:
    """The key store beside an application's event store (same database, same datastore)."""
    datastore = getattr(recorder, "datastore", None)
    store: SQLKeyStore
    if module.endswith("postgres") and datastore is not None:
        store = PostgresKeyStore(datastore, cipher)
    elif module.endswith("sqlite") and datastore is not None:
        store = SQLiteKeyStore(datastore, cipher)
    else:
        return MemoryKeyStore(cipher)
    # Created with the application's own tables, before any other connection reads: an
    # in-memory SQLite store's other connections would not see a table made later.
    store._create()
    return store
