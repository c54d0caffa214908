"""The person keys: one AES-256 key per case, stored wrapped, destroyed for good (erasure).

The events are append-only and never rewritten; this table is where personal data can
really be destroyed. It lives in the same database as the events
(``teichaku_person_keys``), beside them but outside the event store. Each person key is
stored only **wrapped** by a key-encryption key (KEK) kept outside the database, in the
key file (:mod:`domain.store.kek`); the row names the KEK's id.

:meth:`KeyStore.destroy` deletes the person's row **and rotates the KEK** in one step:
every remaining person key is re-wrapped under a new KEK in the same transaction, and
the old KEK is then overwritten in the key file. Copies of wrapped keys that the
database leaves behind (free pages, the write-ahead log, backups, replicas) stay
sealed for good: the key that opened them no longer exists anywhere. Freed space is
also reclaimed (``secure_delete`` and a checkpoint on SQLite, ``VACUUM`` on PostgreSQL).

Stores from before the key file (person keys stored as they were, or wrapped by
``TEICHAKU_CIPHER_KEY``) are migrated when opened: their keys are wrapped under the KEK.
The old forms may still be in that database's history and backups (docs/erasure.md).

A process keeps the keys it read (so loading a case decrypts without a query per event),
each with the id of the KEK its row was wrapped under. Every erasure rotates the KEK, so
that id is an **erasure watermark**: a read that learnt the store's current KEK id in a
statement it ran after it began (:meth:`KeyStore.key` with ``current``, as the stored
views do in the statement that reads their rows) uses a kept key only if it was read
under that KEK, and reads the row again otherwise; after an erasure no process opens
the erased person's values with a key it kept (issue 21, decision 0048). Reads without a
watermark (a case's events, whose ``person_erased`` event erases what they opened) keep
a key for at most :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Cipher

from domain.sealing import PersonKey, new_key
from domain.store.kek import Kek, KekSource, KeyFile, KeyFileError, MemoryKeks, unwrap, wrap
from domain.store.sql_lists import one_of

TABLE = "teichaku_person_keys"
#: One row: the id of the KEK every committed person key is wrapped under.
WRAPPING_TABLE = "teichaku_key_wrapping"
CACHE_SECONDS = 5.0
_CACHE_MAX = 4096
_INSERT_ATTEMPTS = 3


class KeyStore:
    """Person keys by case id; subclasses say where the wrapped keys are kept."""

    def __init__(self, keks: KekSource, cipher: Cipher | None = None) -> None:
        self.keks = keks
        self.cipher = cipher  # only to read keys stored before the key file (legacy)
        #: case id → (when read, the key, the id of the KEK its row was wrapped under).
        self._cache: dict[UUID, tuple[float, PersonKey, str | None]] = {}
        self._lock = threading.Lock()

    # -- what callers use ----------------------------------------------------------------

    def key(self, case_id: UUID, current: str | None = None) -> PersonKey | None:
        """The case's key, or ``None`` when it has none (destroyed, or never made).

        ``current``: the store's KEK id as the caller read it after it began (the
        erasure watermark, :meth:`current_kek_id`); a kept key is then used only if its
        row was wrapped under that KEK. Without it, a kept key is used for
        :data:`CACHE_SECONDS`.
        """
        return self.keys_of([case_id], current)[case_id]

    def keys_of(
        self, case_ids: Sequence[UUID], current: str | None = None
    ) -> dict[UUID, PersonKey | None]:
        """:meth:`key` of each case, the ones not kept read in one statement."""
        now = time.monotonic()
        found: dict[UUID, PersonKey | None] = {}
        with self._lock:
            for case_id in case_ids:
                cached = self._cache.get(case_id)
                if cached is not None and _usable(cached, now, current):
                    found[case_id] = cached[1]
        missing = [i for i in dict.fromkeys(case_ids) if i not in found]
        if not missing:
            return found
        rows = self._select_many(missing)
        kept: dict[UUID, tuple[float, PersonKey, str | None]] = {}
        for case_id in missing:
            row = rows.get(case_id)
            if row is None:
                found[case_id] = None
                continue
            key = PersonKey(case_id, self._unwrap(case_id, *row))
            found[case_id] = key
            kept[case_id] = (now, key, row[1])
        with self._lock:
            for case_id in missing:
                self._cache.pop(case_id, None)
            if len(self._cache) + len(kept) > _CACHE_MAX:
                self._cache.clear()
            self._cache.update(kept)
        return found

    def current_kek_id(self) -> str | None:
        """The id of the KEK every person key is wrapped under now (one statement):
        it changes at every erasure (:meth:`destroy` rotates the KEK)."""
        return None

    def key_for_writing(self, case_id: UUID) -> PersonKey:
        """The case's key, made now if it has none yet (a new case, or one from before keys)."""
        found = self.key(case_id)
        if found is not None:
            return found
        self._insert(case_id, new_key())  # keeps a key another process made first
        made = self.key(case_id)
        assert made is not None
        return made

    def destroy(self, case_id: UUID) -> bool:
        """Delete the case's key and rotate the KEK; ``False`` when there was no key.

        The rotation runs either way, so a destroy interrupted after its delete is
        completed by calling it again.
        """
        self.forget(case_id)
        return self._rotate(delete=case_id)

    def _rotate(self, delete: UUID | None) -> bool:
        """Re-wrap every key under a new KEK (deleting ``delete``'s), then drop the old KEK.

        A rotation a crash left unfinished is finished under its own new KEK instead.
        """
        with self.keks.rotating() as new:
            deleted = self._rewrap_all(new, delete=delete)
        self._reclaim()
        self.keks.finish_rotation()
        return deleted

    def forget(self, case_id: UUID) -> None:
        with self._lock:
            self._cache.pop(case_id, None)

    def discard(self, case_id: UUID) -> None:
        """Delete the key of a case that was never stored (its opening was refused after
        the key was made). Nothing was sealed under it, so unlike :meth:`destroy` there is
        nothing to shred and no KEK to rotate. Never for a case that may exist."""
        self.forget(case_id)
        self._delete(case_id)

    # -- wrapping ------------------------------------------------------------------------

    def _unwrap(self, case_id: UUID, stored: bytes, kek_id: str | None) -> bytes:
        if kek_id is None:  # stored before the key file: as it was, or by the cipher key
            return self.cipher.decrypt(stored) if self.cipher is not None else stored
        kek = self.keks.find(kek_id)
        if kek is None:
            raise KeyFileError(
                "鍵ファイルに、この個人情報の鍵を開ける鍵がありません"
                "(鍵ファイルが古いか、別のデータベースのものです)"
            )
        return unwrap(kek, case_id, stored)

    def _rewrapped(
        self, rows: Sequence[tuple[str, bytes, str | None]], target: Kek
    ) -> Iterator[tuple[bytes, str, str]]:
        """(wrapped, kek id, case id) for each row not yet under ``target``."""
        for case_id, stored, kek_id in rows:
            if kek_id != target.id:
                raw = self._unwrap(UUID(case_id), stored, kek_id)
                yield wrap(target, UUID(case_id), raw), target.id, case_id

    # -- storage -------------------------------------------------------------------------

    def _select(self, case_id: UUID) -> tuple[bytes, str | None] | None:
        raise NotImplementedError

    def _select_many(self, case_ids: Sequence[UUID]) -> dict[UUID, tuple[bytes, str | None]]:
        found = {i: self._select(i) for i in case_ids}
        return {i: row for i, row in found.items() if row is not None}

    def _insert(self, case_id: UUID, person_key: bytes) -> None:
        raise NotImplementedError

    def _delete(self, case_id: UUID) -> None:
        raise NotImplementedError

    def _rewrap_all(self, target: Kek, delete: UUID | None) -> bool:
        raise NotImplementedError

    def _reclaim(self) -> None:
        """Make deleted and replaced bytes unrecoverable from the database's free space."""


class MemoryKeyStore(KeyStore):
    """Keys in this process only (the library's in-memory ``popo`` store, for tests)."""

    def __init__(self, keks: KekSource, cipher: Cipher | None = None) -> None:
        super().__init__(keks, cipher)
        self._rows: dict[UUID, tuple[bytes, str | None]] = {}

    def _select(self, case_id: UUID) -> tuple[bytes, str | None] | None:
        return self._rows.get(case_id)

    def current_kek_id(self) -> str | None:
        return self.keks.current().id

    def _insert(self, case_id: UUID, person_key: bytes) -> None:
        kek = self.keks.current()
        with self._lock:
            self._rows.setdefault(case_id, (wrap(kek, case_id, person_key), kek.id))

    def _delete(self, case_id: UUID) -> None:
        with self._lock:
            self._rows.pop(case_id, None)

    def _rewrap_all(self, target: Kek, delete: UUID | None) -> bool:
        with self._lock:
            deleted = delete is not None and self._rows.pop(delete, None) is not None
            rows = [(str(k), v[0], v[1]) for k, v in self._rows.items()]
            for wrapped, kek_id, case_id in self._rewrapped(rows, target):
                self._rows[UUID(case_id)] = (wrapped, kek_id)
        return deleted


class SQLKeyStore(KeyStore):
    """Keys in the event store's own database, through the library's datastore."""

    placeholder = "%s"
    #: A list of values is one array parameter (PostgreSQL), not one mark a value.
    arrays = False
    blob = "BYTEA"

    def __init__(self, datastore: Any, keks: KekSource, cipher: Cipher | None = None) -> None:
        super().__init__(keks, cipher)
        self.datastore = datastore
        self._created = False

    @property
    def table(self) -> str:
        return TABLE

    @property
    def wrapping_table(self) -> str:
        return WRAPPING_TABLE

    @contextmanager
    def _tx(self, *, commit: bool) -> Iterator[Any]:
        if not self._created:
            self._create()
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _run(self, c: Any, sql: str, params: Sequence[Any] = ()) -> None:
        c.execute(sql.replace("%s", self.placeholder), tuple(params))

    def _create(self) -> None:
        """The tables (and the KEK id column of a store from before it), then the key file."""
        with self.datastore.transaction(commit=True) as c:
            self._run(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                f"(case_id TEXT PRIMARY KEY, person_key {self.blob} NOT NULL, created_at TEXT)",
            )
            self._add_kek_column(c)
            self._run(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.wrapping_table} "
                "(id INTEGER PRIMARY KEY, kek_id TEXT NOT NULL)",
            )
        self._created = True
        self._adopt_key_file()

    def _add_kek_column(self, c: Any) -> None:
        self._run(c, f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS kek_id TEXT")

    def _adopt_key_file(self) -> None:
        """Check the key file against the store; wrap keys from before it; finish a rotation."""
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT kek_id FROM {self.wrapping_table} WHERE id = 1")
            row = c.fetchone()
            self._run(c, f"SELECT count(*) AS n FROM {self.table} WHERE kek_id IS NULL")
            legacy = int(c.fetchone()["n"])
        recorded = None if row is None else str(row["kek_id"])
        if isinstance(self.keks, KeyFile) and not self.keks.exists():
            if recorded is not None:
                self.keks.current()  # raises KeyFileError: the file is missing
            self.keks.create()
        if recorded is not None and self.keks.find(recorded) is None:
            raise KeyFileError(
                f"鍵ファイルがこのデータベースのものではありません: {_where(self.keks)}"
            )
        if self.keks.previous() is not None:  # a rotation a crash left unfinished
            self._rotate(delete=None)
        elif legacy or recorded is None:
            self._rewrap_all(self.keks.current(), delete=None)
            self._reclaim()

    def _select_many(self, case_ids: Sequence[UUID]) -> dict[UUID, tuple[bytes, str | None]]:
        if not case_ids:
            return {}
        among, params = one_of("case_id", [str(i) for i in case_ids], array=self.arrays)
        with self._tx(commit=False) as c:
            self._run(
                c, f"SELECT case_id, person_key, kek_id FROM {self.table} WHERE {among}",
                params,
            )  # fmt: skip
            rows = c.fetchall()
        return {
            UUID(str(r["case_id"])): (
                bytes(r["person_key"]), None if r["kek_id"] is None else str(r["kek_id"])
            )
            for r in rows
        }

    def current_kek_id(self) -> str | None:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT kek_id FROM {self.wrapping_table} WHERE id = 1")
            row = c.fetchone()
        return None if row is None else str(row["kek_id"])

    def _lock_wrapping(self, c: Any) -> str | None:
        """Take the store's write lock on the wrapping row; the KEK id it names."""
        self._run(c, f"UPDATE {self.wrapping_table} SET kek_id = kek_id WHERE id = 1")
        self._run(c, f"SELECT kek_id FROM {self.wrapping_table} WHERE id = 1")
        row = c.fetchone()
        return None if row is None else str(row["kek_id"])

    def _insert(self, case_id: UUID, person_key: bytes) -> None:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for _ in range(_INSERT_ATTEMPTS):
            kek = self.keks.current()
            with self._tx(commit=True) as c:
                recorded = self._lock_wrapping(c)
                if recorded == kek.id:  # no rotation since this process read the key file
                    self._run(
                        c,
                        f"INSERT INTO {self.table} (case_id, person_key, created_at, kek_id) "
                        "VALUES (%s, %s, %s, %s) ON CONFLICT (case_id) DO NOTHING",
                        (str(case_id), wrap(kek, case_id, person_key), at, kek.id),
                    )
                    return
            self.keks.find(recorded or "")  # another process rotated: read the file again
        raise KeyFileError("鍵ファイルの鍵とデータベースが一致しません。もう一度お試しください")

    def _delete(self, case_id: UUID) -> None:
        with self._tx(commit=True) as c:
            self._run(c, f"DELETE FROM {self.table} WHERE case_id = %s", (str(case_id),))

    def _rewrap_all(self, target: Kek, delete: UUID | None) -> bool:
        deleted = False
        with self._tx(commit=True) as c:
            self._secure(c)
            self._lock_wrapping(c)
            self._run(
                c,
                f"INSERT INTO {self.wrapping_table} (id, kek_id) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET kek_id = excluded.kek_id",
                (target.id,),
            )
            if delete is not None:
                self._run(c, f"DELETE FROM {self.table} WHERE case_id = %s", (str(delete),))
                deleted = self._rowcount(c) > 0
            self._run(c, f"SELECT case_id, person_key, kek_id FROM {self.table}")
            rows = [
                (str(r["case_id"]), bytes(r["person_key"]), r["kek_id"]) for r in c.fetchall()
            ]
            for wrapped, kek_id, case_id in self._rewrapped(rows, target):
                self._run(
                    c, f"UPDATE {self.table} SET person_key = %s, kek_id = %s WHERE case_id = %s",
                    (wrapped, kek_id, case_id),
                )  # fmt: skip
        return deleted

    def _secure(self, c: Any) -> None:
        """Overwrite freed bytes where the database can (SQLite's secure_delete)."""

    def _rowcount(self, c: Any) -> int:
        return int(c.rowcount)


class SQLiteKeyStore(SQLKeyStore):
    placeholder = "?"
    blob = "BLOB"

    def _add_kek_column(self, c: Any) -> None:
        self._run(c, f"PRAGMA table_info({self.table})")
        if "kek_id" not in {row["name"] for row in c.fetchall()}:
            self._run(c, f"ALTER TABLE {self.table} ADD COLUMN kek_id TEXT")

    def _secure(self, c: Any) -> None:
        # secure_delete overwrites freed and replaced bytes with zeros (per connection:
        # set it for the statement's connection, inside its transaction).
        c.execute("PRAGMA secure_delete = ON")

    def _rowcount(self, c: Any) -> int:
        return int(c.sqlite_cursor.rowcount)  # the library's wrapper hides rowcount

    def _reclaim(self) -> None:
        # The old pages were also written to the write-ahead log: copy the log into the
        # file (whose pages secure_delete zeroed) and truncate it.
        with self.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # outside a transaction


class PostgresKeyStore(SQLKeyStore):
    arrays = True

    @property
    def table(self) -> str:
        return f'"{self.datastore.schema}"."{TABLE}"'

    @property
    def wrapping_table(self) -> str:
        return f'"{self.datastore.schema}"."{WRAPPING_TABLE}"'

    def _reclaim(self) -> None:
        # VACUUM cannot run inside a transaction: a connection of the pool, in autocommit.
        with self.datastore.get_connection() as conn:
            previous = conn.autocommit
            conn.autocommit = True
            try:
                conn.execute(f"VACUUM {self.table}")
            finally:
                conn.autocommit = previous


def open_key_store(
    module: str, recorder: Any, cipher: Cipher | None, key_file: str | None
) -> KeyStore:
    """The key store beside an application's event store (same database, same datastore).

    ``key_file`` holds the KEKs; without one (a store in memory) they live in memory.
    """
    datastore = getattr(recorder, "datastore", None)
    keks: KekSource = KeyFile(Path(key_file)) if key_file else MemoryKeks()
    store: SQLKeyStore
    if module.endswith("postgres") and datastore is not None:
        store = PostgresKeyStore(datastore, keks, cipher)
    elif module.endswith("sqlite") and datastore is not None:
        store = SQLiteKeyStore(datastore, keks, cipher)
    else:
        return MemoryKeyStore(keks, cipher)
    # Created with the application's own tables, before any other connection reads: an
    # in-memory SQLite store's other connections would not see a table made later.
    store._create()
    return store


def _usable(
    cached: tuple[float, PersonKey, str | None], now: float, current: str | None
) -> bool:
    """Whether a kept key may be used: read under the watermark's KEK when there is one,
    else read less than :data:`CACHE_SECONDS` ago."""
    if current is not None:
        return cached[2] == current
    return now - cached[0] < CACHE_SECONDS


def _where(keks: KekSource) -> str:
    return str(keks.path) if isinstance(keks, KeyFile) else "(メモリ上の鍵)"
