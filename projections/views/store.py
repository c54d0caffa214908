"""Where the case views are stored: tables beside the events, in the same database.

Built on the library's tracking recorders (:class:`SQLiteTrackingRecorder`,
:class:`PostgresTrackingRecorder`): their datastore, their ``tracking`` table and their
``_insert_tracking``, so a view row and the position it was made from are written in
one transaction (exactly once), and ``max_tracking_id``/``wait`` work as the library
documents. Tables carry a generation number (``teichaku_case_view_g3``): a rebuild
writes the next generation beside the live one and switches ``teichaku_view_meta`` to
it in one transaction (:mod:`projections.views.rebuild`).

The live generation is read in the transaction that uses it. Every read and write of
the views names the generation its caller last saw, and the store answers from
``max(that, live)``, the live one read from ``teichaku_view_meta`` in the same
transaction (generations only grow: a lower one is retired, and may be dropped). A
transaction can therefore never address tables a rebuild has dropped:

- on PostgreSQL the pointer is read ``FOR SHARE``, and the switch locks it ``FOR
  UPDATE`` before changing it, so a switch waits for every transaction that read the old
  pointer, and the old tables are dropped only after the switch has committed;
- on SQLite a read transaction is a snapshot (WAL) from its first statement, so it sees
  the pointer and the tables of one instant, and a write transaction starts with
  ``BEGIN IMMEDIATE``, so nothing switches or drops between its pointer read and its
  writes.

A catch-up's rows and position belong to one generation: when the generation it read
its position from is no longer live, :meth:`ViewStore.write` raises
:class:`GenerationMoved` and writes nothing; the caller starts again from the pointer.

Rows are state, not deltas: a row is the fold of its case at some version, and a write
only replaces an older version (or the same version evaluated on an earlier day), so a
row written twice, or by two processes at once, is still right.

Beside each row, the store keeps the **blind index** of its 受給者証番号 (``number_ix``, an
HMAC under a key derived from the key file's KEK, :mod:`domain.finding`) and the id of
the KEK it was made under (``ix_kek``), so an auditor finds a person by number among every
office without opening every row (:meth:`ViewStore.find_number`, decision 0035). The index
is made from the row's person as the store opens it: an erased person (key destroyed)
has none. A row whose entry is not under the current KEK (stored before the index existed,
or indexed before an erasure replaced the KEK) is indexed again by :meth:`ViewStore.reindex`,
without folding its case; a generation stored before these columns gets them when a
process first reads its pointer (:meth:`ViewStore.active_generation`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.persistence import Cipher, ProgrammingError, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteTrackingRecorder, SQLiteTransaction

from domain.finding import blind_number, index_key
from domain.payloads import ERASED
from domain.sealing import PersonKey, has_sealed, reveal
from domain.store.kek import Kek, KekSource
from domain.store.keyring import WRAPPING_TABLE
from domain.store.sql_lists import one_of, text_array
from projections.views.row import ROW_SCHEMA, CaseRow, MonthRow, segments_as_known
from projections.views.trail import ClockPage, Known, changes

_T = TypeVar("_T")
#: PostgreSQL's SQLSTATE for "relation … does not exist" (a dropped generation's table).
UNDEFINED_TABLE = "42P01"

META = "teichaku_view_meta"
PROGRESS = "teichaku_view_rebuild"
#: The blind index's columns, added to a generation stored before them (decision 0035).
#: ``ix_kek`` is never NULL ('' when not indexed): the planners of both backends then
#: answer :data:`_STALE_INDEX` from its index, statistics or none.
INDEX_COLUMNS = {"number_ix": "TEXT", "ix_kek": "TEXT NOT NULL DEFAULT ''"}
#: Rows indexed again per transaction by :meth:`ViewStore.reindex`.
REINDEX_BATCH = 500
#: Parameters in one statement at most: SQLite allows 32,766 (since 3.32), PostgreSQL 65,535.
MAX_PARAMETERS = 30_000
#: A row whose index entry is not under the KEK given twice (``ix_kek`` ≠ it): written
#: as a range on both sides so that both backends answer it from the ``ix_kek`` index.
_STALE_INDEX = "(ix_kek < %s OR ix_kek > %s)"


class GenerationMoved(Exception):
    """A catch-up's generation was switched away while it folded: nothing was written."""

    def __init__(self, wanted: int, live: int) -> None:
        super().__init__(f"generation {wanted} is no longer live ({live} is)")
        self.wanted = wanted
        self.live = live


#: Which month rows a read takes (:meth:`ViewStore.page`).
Months = str | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page of the case list ends: the last row's (opened_at, case_id)."""

    opened_at: str
    case_id: str

    def token(self) -> str:
        return f"{self.opened_at}~{self.case_id}"

    @classmethod
    def parse(cls, token: str) -> Cursor:
        opened_at, _, case_id = token.partition("~")
        dt.datetime.fromisoformat(opened_at)
        UUID(case_id)
        return cls(opened_at, case_id)


class ViewStore(TrackingRecorder):
    """SQL of the views, shared by both backends (placeholders written ``%s``)."""

    placeholder = "%s"
    blob = "BYTEA"
    #: How a transaction reads the live generation so that no switch passes it.
    pointer_lock = ""
    #: How a switch locks the pointer against them.
    switch_lock = ""
    #: The notification id's column in the events table.
    event_id = "notification_id"
    #: How a column is added to a table stored before it (two processes may both try).
    add_column = "ADD COLUMN IF NOT EXISTS"
    cipher: Cipher | None = None
    #: A list of values is one array parameter (PostgreSQL), not one mark a value.
    arrays = False
    #: Finds cases' person keys (:meth:`domain.store.keyring.KeyStore.keys_of`), to open
    #: the persons: given the erasure watermark read with the rows (decision 0048), a key
    #: a process kept from before an erasure is never used after it.
    keys: Callable[[Sequence[UUID], str | None], dict[UUID, PersonKey | None]] | None = None
    #: The key file's KEKs (:class:`domain.store.kek.KekSource`): the blind index's key is
    #: derived from the current one. Without them no row is indexed (and none is found).
    keks: KekSource | None = None
    #: Generations this process has seen with the index columns.
    _shaped: frozenset[int] = frozenset()
    #: Generations this process has seen with :meth:`_later_tables`.
    _later: frozenset[int] = frozenset()

    # -- names and tables --------------------------------------------------------------

    def _q(self, name: str) -> str:
        return name

    def case_table(self, gen: int) -> str:
        return self._q(f"teichaku_case_view_g{gen}")

    def month_table(self, gen: int) -> str:
        return self._q(f"teichaku_case_month_g{gen}")

    @contextmanager
    def _tx(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:  # type: ignore[attr-defined]
            yield c

    def _run(self, c: Any, sql: str, params: Sequence[Any] = ()) -> None:
        c.execute(sql.replace("%s", self.placeholder), tuple(params))

    def create_views(self, gen: int) -> None:
        """The tables of generation ``gen`` (and the meta tables), if missing."""
        case, month = self.case_table(gen), self.month_table(gen)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self._q(META)} (name TEXT PRIMARY KEY, value TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self._q(PROGRESS)} (generation INTEGER, "
            "case_id TEXT, PRIMARY KEY (generation, case_id))",
            f"CREATE TABLE IF NOT EXISTS {case} (case_id TEXT PRIMARY KEY, office_id TEXT, "
            "opened_on TEXT, opened_at TEXT, version INTEGER, computed_on TEXT, "
            f"row_schema INTEGER, segments TEXT, derived TEXT, person {self.blob}, "
            "number_ix TEXT, ix_kek TEXT NOT NULL DEFAULT '')",
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'office')} ON {case} "
            "(office_id, opened_at, case_id)",
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'order')} ON {case} "
            "(opened_at, case_id)",
            *self._index_indexes(gen),
            f"CREATE TABLE IF NOT EXISTS {month} (case_id TEXT, month TEXT, office_id TEXT, "
            "face_to_face INTEGER, employer_contacts INTEGER, report_shared BOOLEAN, "
            "billable BOOLEAN, reasons TEXT, warnings TEXT, PRIMARY KEY (case_id, month))",
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'month')} ON {month} "
            "(office_id, month)",
            *self._later_tables(gen),
        ]
        with self._tx(commit=True) as c:
            for sql in statements:
                self._run(c, sql)

    def _index(self, gen: int, what: str) -> str:
        return f"teichaku_view_g{gen}_{what}"

    def office_table(self, gen: int) -> str:
        """Every office a case has belonged to (a transfer moves it, decision 0031)."""
        return self._q(f"teichaku_case_office_g{gen}")

    def known_table(self, gen: int) -> str:
        """Each case's list values as known from each instant on (decision 0062)."""
        return self._q(f"teichaku_case_known_g{gen}")

    def clock_table(self, gen: int) -> str:
        """Each case's versions' instants, a page of them a row (decision 0062)."""
        return self._q(f"teichaku_case_clock_g{gen}")

    def _later_tables(self, gen: int) -> list[str]:
        """What a generation stored before them gets when a process first reads it: the
        indexes that find stale rows without a scan, and the offices of each case."""
        case = self.case_table(gen)
        return [
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'computed')} ON {case} (computed_on)",
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'schema')} ON {case} (row_schema)",
            f"CREATE TABLE IF NOT EXISTS {self.office_table(gen)} (office_id TEXT, "
            "case_id TEXT, PRIMARY KEY (office_id, case_id))",
            f"CREATE TABLE IF NOT EXISTS {self.known_table(gen)} (case_id TEXT, "
            "known_from TEXT, office_id TEXT, opened_on TEXT, segments TEXT, "
            "PRIMARY KEY (case_id, known_from))",
            f"CREATE TABLE IF NOT EXISTS {self.clock_table(gen)} (case_id TEXT, "
            "page INTEGER, earliest TEXT, n INTEGER, stamps TEXT, PRIMARY KEY (case_id, page))",
        ]

    def _ensure_later_tables(self, gen: int) -> None:
        """:meth:`_later_tables` for a generation stored before them (once per process)."""
        if gen in self._later:
            return
        with self._tx(commit=False) as c:  # the newest of them
            have = self._has_table(c, f"teichaku_case_clock_g{gen}")
        if not have:
            with self._tx(commit=True) as c:
                for sql in self._later_tables(gen):
                    self._run(c, sql)
        self._later = self._later | {gen}

    def _has_table(self, c: Any, name: str) -> bool:
        self._run(
            c, "SELECT 1 AS found FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = %s",
            (self.datastore.schema, name),  # type: ignore[attr-defined]
        )  # fmt: skip
        return c.fetchone() is not None

    def _index_indexes(self, gen: int) -> list[str]:
        case = self.case_table(gen)
        return [
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'number')} ON {case} (number_ix)",
            f"CREATE INDEX IF NOT EXISTS {self._index(gen, 'ixkek')} ON {case} (ix_kek)",
        ]

    def _ensure_index_columns(self, gen: int) -> None:
        """Give generation ``gen``'s table the blind index's columns if it was stored
        before them (once per process); its rows are then indexed by :meth:`reindex`."""
        if gen in self._shaped:
            return
        with self._tx(commit=False) as c:
            have = self._columns(c, gen)
        if have and not set(INDEX_COLUMNS) <= have:
            with self._tx(commit=True) as c:
                have = self._columns(c, gen)  # again, under the write lock
                table = self.case_table(gen)
                for name, kind in INDEX_COLUMNS.items():
                    if name not in have:
                        self._run(c, f"ALTER TABLE {table} {self.add_column} {name} {kind}")
                for sql in self._index_indexes(gen):
                    self._run(c, sql)
        self._shaped = self._shaped | {gen}

    def _columns(self, c: Any, gen: int) -> set[str]:
        """The columns of ``gen``'s case table (none when it does not exist)."""
        self._run(
            c, "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (self.datastore.schema, f"teichaku_case_view_g{gen}"),  # type: ignore[attr-defined]
        )  # fmt: skip
        return {str(r["column_name"]) for r in c.fetchall()}

    def drop_views(self, gen: int) -> None:
        with self._tx(commit=True) as c:
            self._run(c, f"DROP TABLE IF EXISTS {self.case_table(gen)}")
            self._run(c, f"DROP TABLE IF EXISTS {self.month_table(gen)}")
            self._run(c, f"DROP TABLE IF EXISTS {self.office_table(gen)}")
            self._run(c, f"DROP TABLE IF EXISTS {self.known_table(gen)}")
            self._run(c, f"DROP TABLE IF EXISTS {self.clock_table(gen)}")
            self._run(c, f"DELETE FROM {self._q(PROGRESS)} WHERE generation = %s", (gen,))

    # -- generations -------------------------------------------------------------------

    def _live(self, c: Any, lock: str | None = None) -> int | None:
        """The live generation, read in transaction ``c`` (locked as ``pointer_lock``)."""
        lock = self.pointer_lock if lock is None else lock
        self._run(c, f"SELECT value FROM {self._q(META)} WHERE name = 'generation'{lock}")
        found = c.fetchone()
        return None if found is None else int(found["value"])

    def _resolve(self, c: Any, gen: int | None) -> int:
        """The generation transaction ``c`` addresses: ``gen`` unless a later one is live
        (a retired generation may be dropped; a later one, a rebuild's, is addressed as is)."""
        live = self._live(c)
        if live is None:  # no generation yet: only the very first (made by CaseViews)
            return 1 if gen is None else gen
        return live if gen is None else max(gen, live)

    def _read_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of one read-only statement (SQLite: in a read transaction; the
        PostgreSQL store reads it without one: one round trip, not three)."""
        with self._tx(commit=False) as c:
            self._run(c, sql, params)
            return c.fetchone()

    def _reading(self, gen: int | None, read: Callable[[Any, int], _T]) -> _T:
        """``read(cursor, generation)``: a read of the rows of generation ``gen`` or of the
        live one if later (:meth:`_resolve`), in one read transaction that holds the
        pointer (:attr:`pointer_lock`) against a switch. PostgreSQL reads without one
        (:meth:`PostgresViewStore._reading`)."""
        with self._tx(commit=False) as c:
            return read(c, self._resolve(c, gen))

    def meta(self, name: str) -> str | None:
        found = self._read_one(f"SELECT value FROM {self._q(META)} WHERE name = %s", (name,))
        return None if found is None else str(found["value"])

    def set_meta(self, name: str, value: str | None, c: Any = None) -> None:
        if c is None:
            with self._tx(commit=True) as tx:
                self.set_meta(name, value, tx)
            return
        if value is None:
            self._run(c, f"DELETE FROM {self._q(META)} WHERE name = %s", (name,))
        else:  # an update, not delete + insert: a reader waiting on the row sees the new value
            self._run(
                c, f"INSERT INTO {self._q(META)} VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value),
            )  # fmt: skip

    def active_generation(self) -> int | None:
        value = self.meta("generation")
        if value is None:
            return None
        return self.shaped(int(value))

    def shaped(self, gen: int) -> int:
        """``gen``, once its tables have every column and table this code reads (checked
        once per process and generation)."""
        self._ensure_index_columns(gen)
        self._ensure_later_tables(gen)
        return gen

    def switch(self, gen: int, behind: tuple[str, str] | None = None) -> bool:
        """Make ``gen`` the live generation, in one transaction.

        ``behind``: the tracking names of ``gen`` and of the live generation; the switch
        is then made only if ``gen`` has folded at least as far as the live one (else
        False, nothing changed), so a read never goes back in time across a switch. The
        pointer is locked first: every catch-up of the live generation has finished and
        none starts until this commits.
        """
        with self._tx(commit=True) as c:
            self._live(c, self.switch_lock)
            if behind is not None:
                new = self._max_tracking_id(behind[0], c) or 0  # type: ignore[attr-defined]
                old = self._max_tracking_id(behind[1], c) or 0  # type: ignore[attr-defined]
                if new < old:
                    return False
            self.set_meta("generation", str(gen), c)
            self.set_meta("rebuilding", None, c)
        return True

    # -- writing -----------------------------------------------------------------------

    def write(
        self, gen: int | None, rows: Sequence[CaseRow], tracking: Tracking | None
    ) -> int:
        """Upsert ``rows`` (newer only) and record ``tracking``, in one transaction, in
        generation ``gen`` or the live one if later; returns the generation written.

        With ``tracking`` (a catch-up: the position is ``gen``'s), a retired ``gen`` raises
        :class:`GenerationMoved` and nothing is written. Rows alone are state: they go to
        the live generation.
        """
        entries = self._prepared(rows)  # before the transaction: keys are read in their own
        with self._tx(commit=True) as c:
            used = self._resolve(c, gen)
            if tracking is not None and gen is not None and used != gen:
                raise GenerationMoved(gen, used)
            self._upsert(c, used, rows, entries)
            if tracking is not None:
                self._insert_tracking(c, tracking)  # type: ignore[attr-defined]
        return used

    def write_rebuilt(self, gen: int, rows: Sequence[CaseRow]) -> None:
        """Rows of a rebuild, with the rebuild's progress marks, in one transaction."""
        entries = self._prepared(rows)
        with self._tx(commit=True) as c:
            self._upsert(c, gen, rows, entries)
            self._insert_many(
                c, f"INSERT INTO {self._q(PROGRESS)} VALUES", 2,
                [(gen, str(row.case_id)) for row in rows], "ON CONFLICT DO NOTHING",
            )  # fmt: skip

    def rebuilt_cases(self, gen: int) -> set[str]:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT case_id FROM {self._q(PROGRESS)} WHERE generation = %s", (gen,))
            return {str(r["case_id"]) for r in c.fetchall()}

    def _stored_versions(self, c: Any, gen: int, rows: Sequence[CaseRow]) -> dict[UUID, int]:
        """The version stored of each row's case whose known rows and clock are stored
        with it (a row of an older shape has none: 0, everything is written)."""
        if not rows:
            return {}
        among, params = one_of("case_id", [str(r.case_id) for r in rows], array=self.arrays)
        self._run(
            c, f"SELECT case_id, version FROM {self.case_table(gen)} WHERE {among} "
            f"AND row_schema >= {TRAIL_SCHEMA}", params,
        )  # fmt: skip
        return {UUID(str(r["case_id"])): int(r["version"]) for r in c.fetchall()}

    def _upsert(
        self, c: Any, gen: int, rows: Sequence[CaseRow], entries: dict[UUID, _Prepared]
    ) -> None:
        """Each row stored unless a newer one is, with its offices, months, known rows and
        clock pages, in a few statements for all the rows together (issue 24: one round
        trip per table and transaction, not nine per case: a rebuild's writes were a third
        of its time)."""
        rows = _latest_of_each(rows)
        if not rows:
            return
        stored = self._stored_versions(c, gen, rows)
        table = self.case_table(gen)
        written: set[str] = set()
        for part in _parts(rows, MAX_PARAMETERS // 12):
            values = [v for row in part for v in self._case_values(row, entries[row.case_id])]
            marks = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(part))
            self._run(
                c,
                f"INSERT INTO {table} (case_id, office_id, opened_on, opened_at, version, "
                "computed_on, row_schema, segments, derived, person, number_ix, ix_kek) "
                f"VALUES {marks} "
                "ON CONFLICT (case_id) DO UPDATE SET office_id = excluded.office_id, "
                "opened_on = excluded.opened_on, opened_at = excluded.opened_at, "
                "version = excluded.version, computed_on = excluded.computed_on, "
                "row_schema = excluded.row_schema, segments = excluded.segments, "
                "derived = excluded.derived, person = excluded.person, "
                "number_ix = excluded.number_ix, ix_kek = excluded.ix_kek "
                f"WHERE excluded.version > {table}.version OR (excluded.version = {table}.version "
                f"AND excluded.computed_on >= {table}.computed_on) "
                f"OR excluded.row_schema <> {table}.row_schema "
                "RETURNING case_id",
                values,
            )
            written |= {str(r["case_id"]) for r in c.fetchall()}
        fresh = [row for row in rows if str(row.case_id) in written]  # else a newer is stored
        if not fresh:
            return
        ids = [str(row.case_id) for row in fresh]
        among, params = one_of("case_id", ids, array=self.arrays)
        offices, months = self.office_table(gen), self.month_table(gen)
        self._run(c, f"DELETE FROM {offices} WHERE {among}", params)
        self._insert_many(
            c, f"INSERT INTO {offices} VALUES", 2,
            [(office, str(row.case_id)) for row in fresh for office in row.offices],
        )  # fmt: skip
        self._run(c, f"DELETE FROM {months} WHERE {among}", params)
        self._insert_many(
            c, f"INSERT INTO {months} VALUES", 9,
            [
                (str(row.case_id), m.month, row.office_id, m.face_to_face, m.employer_contacts,
                 m.report_shared, m.billable, _json(m.reasons), _json(m.warnings))
                for row in fresh for m in row.months
            ],
        )  # fmt: skip
        self._write_trails(c, gen, fresh, stored)

    def _case_values(self, row: CaseRow, entry: _Prepared) -> tuple[Any, ...]:
        person, number_ix, ix_kek = entry
        return (
            str(row.case_id), row.office_id, row.opened_on.isoformat(),
            utc_text(row.opened_at), row.version, row.computed_on.isoformat(), ROW_SCHEMA,
            _segments_text(row.segments), _json(row.derived),
            self._seal(orjson.dumps(person)), number_ix, ix_kek,
        )  # fmt: skip

    def _write_trails(
        self, c: Any, gen: int, rows: Sequence[CaseRow], stored: dict[UUID, int]
    ) -> None:
        """Each case's known rows and clock pages that its records after the version stored
        change (:func:`projections.views.trail.changes`), in the rows' transaction."""
        found = []
        for row in rows:
            if row.trail is None:
                raise ValueError("a row read back from the store cannot be written")
            latest = Known(row.opened_at, row.office_id, row.opened_on, row.segments)
            found.append(
                (str(row.case_id), changes(row.trail, stored.get(row.case_id, 0),
                                           segments_as_known, latest))
            )  # fmt: skip
        since = [(case_id, utc_text(f.known_from)) for case_id, f in found if f.known_from]
        known = self.known_table(gen)
        for part in _parts(since, 200):
            where = " OR ".join(["(case_id = %s AND known_from >= %s)"] * len(part))
            self._run(c, f"DELETE FROM {known} WHERE {where}", [v for p in part for v in p])
        self._insert_many(
            c, f"INSERT INTO {known} VALUES", 5,
            [
                (case_id, utc_text(k.known_from), k.office_id,
                 None if k.opened_on is None else k.opened_on.isoformat(),
                 _segments_text(k.segments))
                for case_id, f in found if f.known_from is not None for k in f.known
            ],
            "ON CONFLICT DO NOTHING",
        )  # fmt: skip
        clock = self.clock_table(gen)
        self._insert_many(
            c, f"INSERT INTO {clock} VALUES", 5,
            [
                (case_id, p.page, utc_text(p.earliest), len(p.stamps),
                 _json([_micros(at) for at in p.stamps]))
                for case_id, f in found for p in f.pages
            ],
            f"ON CONFLICT (case_id, page) DO UPDATE SET earliest = excluded.earliest, "
            f"n = excluded.n, stamps = excluded.stamps WHERE excluded.n >= {clock}.n",
        )  # fmt: skip

    def _insert_many(
        self, c: Any, head: str, width: int, values: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        """``head`` (an ``INSERT … VALUES``) of each tuple in ``values`` (``width`` long), then
        ``tail``: one statement sent for all (the driver's ``executemany``: one parse and
        one round trip on PostgreSQL, psycopg's pipeline; SQLite's loop in C). A VALUES
        list of all the rows was parsed anew for each count of rows by psycopg, in Python
        (a fifth of a rebuild's writes)."""
        if not values:
            return
        marks = "(" + ", ".join([self.placeholder] * width) + ")"
        c.executemany(f"{head} {marks} {tail}".rstrip(), values)

    def _seal(self, data: bytes) -> bytes:
        """Personal data is encrypted with the store's cipher when the store has one."""
        return self.cipher.encrypt(data) if self.cipher is not None else data

    def _unseal(self, data: bytes | None) -> dict[str, Any]:
        """The person of a row, decrypted; its values still sealed (see :meth:`_opened`)."""
        if data is None:  # a light row: the person was not read
            return {}
        raw = bytes(data)
        stored: dict[str, Any] = orjson.loads(
            self.cipher.decrypt(raw) if self.cipher is not None else raw
        )
        return stored

    # -- the blind index of the 受給者証番号 (decision 0035) ------------------------------

    def index_kek(self) -> Kek | None:
        """The KEK the index is made under: the one every person key is wrapped under now
        (the key store's wrapping row, read in its own transaction, so a rotation made by
        another process is seen), found in the key file. ``None``: no KEKs wired."""
        if self.keks is None:
            return None
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT kek_id FROM {self._q(WRAPPING_TABLE)} WHERE id = 1")
            found = c.fetchone()
        if found is None:
            return self.keks.current()
        return self.keks.find(str(found["kek_id"]))

    def _prepared(self, rows: Sequence[CaseRow]) -> dict[UUID, _Prepared]:
        """Each row's person as stored (:func:`_boxed` when its key is at hand), its index
        entry and the KEK id the entry is under (none, '' without a KEK)."""
        if not rows:
            return {}
        kek = self.index_kek()
        keys = self._keys([(r.case_id, r.person) for r in rows], kek.id if kek else None)
        index = index_key(kek.key) if kek is not None else None
        prepared: dict[UUID, _Prepared] = {}
        for row in rows:
            key = keys.get(row.case_id)
            opened = _unboxed(row.person, key)
            entry = (self._blind(index, opened), kek.id) if index and kek else (None, "")
            prepared[row.case_id] = (_boxed(row.person, opened, key), *entry)
        return prepared

    def _blind(self, key: bytes, person: dict[str, Any]) -> str | None:
        """The entry of the person's 受給者証番号 (opened with the person's key): none when
        the key is destroyed (erased) or the row has no number."""
        number = person.get("recipient_number")
        return blind_number(key, number) if isinstance(number, str) else None

    def _persons(
        self, persons: Sequence[tuple[UUID, dict[str, Any]]], watermark: str | None
    ) -> dict[UUID, dict[str, Any]]:
        """Each person opened with its key, found under the erasure ``watermark`` (the
        store's KEK id, read after the caller began): read as erased once the key is gone."""
        keys = self._keys(persons, watermark)
        return {case_id: _unboxed(person, keys.get(case_id)) for case_id, person in persons}

    def _keys(
        self, persons: Sequence[tuple[UUID, dict[str, Any]]], watermark: str | None
    ) -> dict[UUID, PersonKey | None]:
        """The keys of the persons that hold sealed values, under the erasure watermark."""
        sealed = [case_id for case_id, person in persons if has_sealed(person)]
        return self.keys(sealed, watermark) if sealed and self.keys is not None else {}

    def reindex(self, gen: int | None, limit: int | None = None) -> int:
        """Index again every row whose entry is not under the current KEK (stored before
        the index, or before an erasure replaced the KEK), at most ``limit``; returns how
        many. Each is opened with its person's key, not folded; a row replaced meanwhile
        keeps the entry its writer made."""
        kek = self.index_kek()
        if kek is None:
            return 0
        key, done = index_key(kek.key), 0
        while limit is None or done < limit:
            size = REINDEX_BATCH if limit is None else min(REINDEX_BATCH, limit - done)
            with self._tx(commit=False) as c:
                used = self._resolve(c, gen)
                self._run(
                    c, f"SELECT case_id, version, person FROM {self.case_table(used)} "
                    f"WHERE {_STALE_INDEX} LIMIT {int(size)}", (kek.id, kek.id),
                )  # fmt: skip
                found = [(UUID(str(r["case_id"])), int(r["version"]), self._unseal(r["person"]))
                         for r in c.fetchall()]  # fmt: skip
            if not found:
                break
            opened = self._persons([(i, person) for i, _, person in found], kek.id)
            entries = [(self._blind(key, opened[i]), kek.id, str(i), v) for i, v, _ in found]
            with self._tx(commit=True) as c:
                if self._resolve(c, gen) != used:
                    continue  # switched: index the live generation's rows instead
                for entry in entries:
                    self._run(
                        c, f"UPDATE {self.case_table(used)} SET number_ix = %s, ix_kek = %s "
                        "WHERE case_id = %s AND version = %s", entry,
                    )  # fmt: skip
            done += len(found)
        return done

    def find_number(self, gen: int | None, number: str) -> tuple[int, list[UUID]] | None:
        """The cases whose 受給者証番号 is ``number`` (exact, its
        :func:`domain.finding.number_form`), found through the blind index alone, and the
        generation read; ``None`` when the store has no KEK to make the index with. Rows
        not indexed under the current KEK are indexed first (after an erasure: all, once)."""
        for _ in range(3):  # again if an erasure replaced the KEK between index and read
            self.reindex(gen)
            kek = self.index_kek()
            entry = blind_number(index_key(kek.key), number) if kek is not None else None
            if kek is None or entry is None:
                return None
            with self._tx(commit=False) as c:
                used = self._resolve(c, gen)
                table = self.case_table(used)
                # The number's index alone (a planner without statistics may prefer ix_kek's)
                self._run(c, f"SELECT case_id, ix_kek FROM {table} WHERE number_ix = %s", (entry,))
                ids = [UUID(str(r["case_id"])) for r in c.fetchall() if r["ix_kek"] == kek.id]
                self._run(c, f"SELECT 1 FROM {table} WHERE {_STALE_INDEX} LIMIT 1", (kek.id,) * 2)
                stale = c.fetchone() is not None
            if not stale:
                break
        return used, ids

    def _opened(self, rows: list[CaseRow], watermark: str | None) -> list[CaseRow]:
        """Rows with the person's values opened with the person's key (or read as erased
        once it is destroyed). Done after the rows' transaction: the keys are read in
        their own (an in-memory store has one connection). ``watermark``: the store's
        KEK id read in the statement that read the rows (:data:`_WATERMARK`)."""
        opened = self._persons([(r.case_id, r.person) for r in rows], watermark)
        return [r if opened[r.case_id] is r.person else replace(r, person=opened[r.case_id])
                for r in rows]  # fmt: skip

    def _watermark(self, found: Sequence[Any]) -> str | None:
        """The erasure watermark the rows' statement read beside them."""
        return None if not found or found[0]["kek_mark"] is None else str(found[0]["kek_mark"])

    # -- reading -----------------------------------------------------------------------

    def page(
        self, gen: int | None, office: str | None, after: Cursor | None, limit: int,
        months: Months = "*", persons: bool = True,
    ) -> tuple[int, list[CaseRow]]:  # fmt: skip
        """Rows in opening order, of one office (or all), after ``after``, and the
        generation they were read from (``gen`` or the live one if later).

        ``months``: "*" every month of each row, "YYYY-MM" that month only, a tuple those
        months only (``()``: a full row without month rows), None none — and then a light
        row: no derived dates and no person (what a plain list shows). An office page reads
        only the months it shows (issue 24: not every month of every case).

        ``persons=False``: rows whose ``person`` is empty, for an answer that shows no
        person (the due list of the API): no person key is read, no value opened.
        """
        where, params = [], []
        if office is not None:
            where.append("office_id = %s")
            params.append(office)
        if after is not None:
            where.append("(opened_at > %s OR (opened_at = %s AND case_id > %s))")
            params += [after.opened_at, after.opened_at, after.case_id]
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        columns = f"*, {self._mark()}" if months is not None else _LIGHT

        def read(c: Any, used: int) -> tuple[int, list[Any], list[CaseRow]]:
            inline, more = self._inline_months(used, months)
            sql = (
                f"SELECT {columns}{inline} FROM {self.case_table(used)} AS v {clause} "
                f"ORDER BY opened_at, case_id LIMIT {int(limit)}"
            )
            self._run(c, sql, [*more, *params])
            found = c.fetchall()
            return used, found, self._rows(c, used, found, months, persons=persons,
                                           inline=bool(inline))  # fmt: skip

        used, found, result = self._reading(gen, read)
        if not persons:
            return used, result
        return used, self._opened(result, self._watermark(found) if months is not None else None)

    def rows(self, gen: int | None, case_ids: Sequence[UUID]) -> list[CaseRow]:
        if not case_ids:
            return []
        among, params = one_of("case_id", [str(i) for i in case_ids], array=self.arrays)

        def read(c: Any, used: int) -> tuple[list[Any], list[CaseRow]]:
            inline, more = self._inline_months(used, "*")
            self._run(
                c, f"SELECT *, {self._mark()}{inline} FROM {self.case_table(used)} AS v "
                f"WHERE {among} ORDER BY opened_at, case_id", [*more, *params],
            )  # fmt: skip
            found = c.fetchall()
            return found, self._rows(c, used, found, inline=bool(inline))

        found, result = self._reading(gen, read)
        return self._opened(result, self._watermark(found))

    def _inline_months(self, gen: int, only: Months) -> tuple[str, list[Any]]:
        """A column of the rows' statement holding their month rows ``only`` (as
        :meth:`page`), and its parameters; ("", []) where the months are read in a
        statement of their own (SQLite: no round trip to save)."""
        return "", []

    def _mark(self) -> str:
        """A column of the erasure watermark (decision 0048), read in the rows' statement."""
        return f"(SELECT kek_id FROM {self._q(WRAPPING_TABLE)} WHERE id = 1) AS kek_mark"

    def stale(self, gen: int | None, on: dt.date, limit: int) -> list[UUID]:
        """Cases whose row was evaluated before ``on`` (a new day: dates may have passed)
        or stored in an older shape: two statements, each answered by its index
        (``computed_on``, ``row_schema``), never by reading every row."""
        with self._tx(commit=False) as c:
            table = self.case_table(self._resolve(c, gen))
            self._run(
                c, f"SELECT case_id FROM {table} WHERE computed_on < %s LIMIT {int(limit)}",
                (on.isoformat(),),
            )  # fmt: skip
            found = [UUID(str(r["case_id"])) for r in c.fetchall()]
            if len(found) < limit:
                rest = int(limit - len(found))  # two ranges: each read from the index
                self._run(
                    c, f"SELECT case_id FROM (SELECT case_id FROM {table} WHERE row_schema < %s "
                    f"LIMIT {rest}) AS older UNION ALL SELECT case_id FROM (SELECT case_id "
                    f"FROM {table} WHERE row_schema > %s LIMIT {rest}) AS newer",
                    (ROW_SCHEMA, ROW_SCHEMA),
                )  # fmt: skip
                found += [UUID(str(r["case_id"])) for r in c.fetchall()]
            return list(dict.fromkeys(found))

    def office_cases(
        self, gen: int | None, office: str | None, after: Cursor | None, limit: int
    ) -> list[tuple[UUID, dt.datetime]]:
        """Case ids and opening instants, in opening order after ``after``: of every case
        that has ever belonged to ``office`` (all cases when ``None``), from the views'
        indexes — what a read ``as_of`` an instant folds, instead of every case."""
        params: list[Any] = []
        if office is None:
            source = "SELECT case_id, opened_at FROM {case}"
        else:
            source = (
                "SELECT case_id, opened_at FROM {case} WHERE office_id = %s UNION "
                "SELECT v.case_id, v.opened_at FROM {offices} o JOIN {case} v "
                "ON v.case_id = o.case_id WHERE o.office_id = %s"
            )
            params += [office, office]
        where = ""
        if after is not None:
            where = "WHERE (opened_at > %s OR (opened_at = %s AND case_id > %s))"
            params += [after.opened_at, after.opened_at, after.case_id]
        with self._tx(commit=False) as c:
            used = self._resolve(c, gen)
            inner = source.format(case=self.case_table(used), offices=self.office_table(used))
            self._run(
                c, f"SELECT case_id, opened_at FROM ({inner}) AS known {where} "
                f"ORDER BY opened_at, case_id LIMIT {int(limit)}", params,
            )  # fmt: skip
            return [(UUID(str(r["case_id"])), dt.datetime.fromisoformat(str(r["opened_at"])))
                    for r in c.fetchall()]  # fmt: skip

    def known_at(
        self, gen: int | None, case_ids: Sequence[UUID], as_of: dt.datetime
    ) -> dict[UUID, KnownAt]:
        """Each case as known at ``as_of`` from its known rows and clock (decision 0062),
        in one statement: what ``GET /cases?as_of=…`` shows, without a fold. A case whose
        row is of an older shape (none stored) answers :data:`FOLD`."""
        if not case_ids:
            return {}
        among, params = one_of("v.case_id", [str(i) for i in case_ids], array=self.arrays)
        at = utc_text(as_of)

        def read(c: Any, used: int) -> dict[UUID, KnownAt]:
            known, clock = self.known_table(used), self.clock_table(used)
            self._run(
                c, "SELECT v.case_id, v.row_schema, k.office_id, k.opened_on, k.segments, "
                f"p.page, p.stamps FROM {self.case_table(used)} v "
                f"LEFT JOIN {known} k ON k.case_id = v.case_id AND k.known_from = "
                f"(SELECT MAX(known_from) FROM {known} WHERE case_id = v.case_id "
                "AND known_from <= %s) "
                f"LEFT JOIN {clock} p ON p.case_id = v.case_id AND p.page = "
                f"(SELECT MAX(page) FROM {clock} WHERE case_id = v.case_id AND earliest <= %s) "
                f"WHERE {among}", [at, at, *params],
            )  # fmt: skip
            return {UUID(str(r["case_id"])): _known_at(r, as_of) for r in c.fetchall()}

        return self._reading(gen, read)

    # -- the log, read by position (no scan) -------------------------------------------

    def _tracking_table(self) -> str:
        return "tracking"

    def positions(self, name: str, events: str) -> tuple[int, int]:
        """(the tracked position of ``name``, the log's newest notification id), in one
        statement: each a maximum read from the end of its index."""
        row = self._read_one(
            f"SELECT (SELECT MAX(notification_id) FROM {self._tracking_table()} "
            "WHERE application_name = %s) AS position, "
            f"(SELECT MAX({self.event_id}) FROM {self._q(events)}) AS head", (name,),
        )  # fmt: skip
        return int(row["position"] or 0), int(row["head"] or 0)

    def pointer_positions(self, prefix: str, events: str) -> tuple[int | None, int, int]:
        """(the live generation, the tracked position of ``prefix`` + that generation,
        the log's newest notification id), in one statement: what a read needs to know
        whether the views are current (issue 24: was two transactions, six round trips
        on PostgreSQL). The generation is None when there is none yet."""
        live = f"(SELECT value FROM {self._q(META)} WHERE name = 'generation')"
        row = self._read_one(
            f"SELECT {live} AS gen, (SELECT MAX(notification_id) FROM "
            f"{self._tracking_table()} WHERE application_name = %s || {live}) AS position, "
            f"(SELECT MAX({self.event_id}) FROM {self._q(events)}) AS head", (prefix,),
        )  # fmt: skip
        gen = None if row["gen"] is None else int(row["gen"])
        return gen, int(row["position"] or 0), int(row["head"] or 0)

    def case_events(
        self, events: str, start: int, topics: Sequence[str], limit: int
    ) -> list[tuple[int, UUID]]:
        """(notification id, case id) of the events of ``topics`` from ``start`` on, at
        most ``limit``, in log order: ids only, no event is decoded."""
        marks = ", ".join(["%s"] * len(topics))
        with self._tx(commit=False) as c:
            self._run(
                c, f"SELECT {self.event_id} AS id, originator_id FROM {self._q(events)} "
                f"WHERE {self.event_id} >= %s AND topic IN ({marks}) "
                f"ORDER BY {self.event_id} LIMIT {int(limit)}", (start, *topics),
            )  # fmt: skip
            return [(int(r["id"]), UUID(str(r["originator_id"]))) for r in c.fetchall()]

    def analyze(self, events: str, snapshots: str | None) -> None:
        """Fresh planner statistics for the events and the live views (after a bulk load
        or a rebuild), so no plan waits on autovacuum to find its index."""
        gen = self.active_generation() or 1
        tables = [self._q(events), *([self._q(snapshots)] if snapshots else []),
                  self.case_table(gen), self.month_table(gen), self.office_table(gen),
                  self.known_table(gen), self.clock_table(gen)]  # fmt: skip
        with self._tx(commit=True) as c:
            for table in tables:
                self._run(c, f"ANALYZE {table}")

    def offices(self, gen: int | None) -> list[str]:
        with self._tx(commit=False) as c:
            table = self.case_table(self._resolve(c, gen))
            self._run(c, f"SELECT DISTINCT office_id FROM {table}")
            return sorted(str(r["office_id"]) for r in c.fetchall() if r["office_id"])

    def count(self, gen: int | None) -> int:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT COUNT(*) AS n FROM {self.case_table(self._resolve(c, gen))}")
            return int(c.fetchone()["n"])

    def count_events(self, table: str, start: int, topics: Sequence[str], cap: int) -> int:
        """Events of ``topics`` among the ``cap`` notifications from id ``start`` on (one
        query on the events table ``table``, reading at most ``cap`` index entries in
        log order, whatever the planner's statistics; no event is decoded)."""
        marks = ", ".join(["%s"] * len(topics))
        with self._tx(commit=False) as c:
            self._run(
                c, f"SELECT COUNT(*) AS n FROM (SELECT topic FROM {self._q(table)} "
                f"WHERE {self.event_id} >= %s ORDER BY {self.event_id} LIMIT {int(cap)}) AS e "
                f"WHERE topic IN ({marks})", (start, *topics),
            )  # fmt: skip
            return int(c.fetchone()["n"])

    def _rows(
        self, c: Any, gen: int, found: Sequence[Any], only: Months = "*", *,
        persons: bool = True, inline: bool = False,
    ) -> list[CaseRow]:  # fmt: skip
        """The rows ``found``, with their month rows ``only`` (as :meth:`page`); without
        ``persons`` each row's person is left empty, not even decrypted. ``inline``: the
        month rows were read in the rows' statement (:meth:`_inline_months`)."""
        if not found:
            return []
        months: dict[str, list[MonthRow]] = {}
        wanted = _wanted(only)
        if inline:
            for r in found:
                read = orjson.loads(r["months_inline"]) if r["months_inline"] else ()
                months[str(r["case_id"])] = [
                    MonthRow(m, f2f, employer, bool(shared), bool(billable), tuple(reasons),
                             tuple(warnings))
                    for m, f2f, employer, shared, billable, reasons, warnings in read
                ]  # fmt: skip
        elif only == "*" or wanted:
            among, params = one_of(
                "case_id", [str(r["case_id"]) for r in found], array=self.arrays
            )
            if only != "*":
                in_months, more = one_of("month", wanted, array=self.arrays)
                among, params = f"{among} AND {in_months}", params + more
            self._run(
                c, f"SELECT * FROM {self.month_table(gen)} WHERE {among} ORDER BY month",
                params,
            )  # fmt: skip
            for m in c.fetchall():
                months.setdefault(str(m["case_id"]), []).append(_month_row(m))
        return [
            self._row(r, tuple(months.get(str(r["case_id"]), ())), persons) for r in found
        ]

    def _row(self, r: Any, months: tuple[MonthRow, ...], person: bool = True) -> CaseRow:
        return CaseRow(
            case_id=UUID(str(r["case_id"])),
            office_id=r["office_id"],
            opened_on=dt.date.fromisoformat(str(r["opened_on"])),
            opened_at=dt.datetime.fromisoformat(str(r["opened_at"])),
            version=int(r["version"]),
            computed_on=dt.date.fromisoformat(str(r["computed_on"])),
            segments=_segments_of(r["segments"]),
            derived=orjson.loads(r["derived"]),
            months=months,
            person=self._unseal(r["person"]) if person else {},
            schema=int(r["row_schema"]),
        )


class SQLiteViewStore(ViewStore, SQLiteTrackingRecorder):
    """The views in the SQLite file of the events (the library's ``tracking`` table).

    A read transaction is a WAL snapshot from its first statement (the pointer). A write
    transaction takes the database's write lock at ``BEGIN IMMEDIATE``: reading the
    pointer first and writing after would otherwise fail to upgrade ("database is
    locked") whenever another writer committed in between.
    """

    placeholder = "?"
    blob = "BLOB"
    event_id = "rowid"
    add_column = "ADD COLUMN"  # under BEGIN IMMEDIATE: no other process adds it meanwhile

    def _columns(self, c: Any, gen: int) -> set[str]:
        self._run(c, f"PRAGMA table_info({self.case_table(gen)})")
        return {str(r["name"]) for r in c.fetchall()}

    def _has_table(self, c: Any, name: str) -> bool:
        self._run(c, "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = %s",
                  (name,))  # fmt: skip
        return c.fetchone() is not None

    @contextmanager
    def _tx(self, *, commit: bool) -> Iterator[Any]:
        if not commit:
            with self.datastore.transaction(commit=False) as c:
                yield c
            return
        with (
            self.datastore.get_connection(commit=True) as conn,
            _Immediate(conn, commit=True) as c,
            c,
        ):
            yield c


class _Immediate(SQLiteTransaction):
    """The library's SQLite transaction (its rollback and error mapping), begun IMMEDIATE."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class PostgresViewStore(ViewStore, PostgresTrackingRecorder):
    """The views in the PostgreSQL schema of the events.

    The pointer is read ``FOR SHARE`` (many readers at once) and locked ``FOR UPDATE`` by
    a switch, which therefore waits for every transaction that read the old pointer; a
    transaction that reads it after the switch committed sees the new one.
    """

    pointer_lock = " FOR SHARE"
    switch_lock = " FOR UPDATE"
    arrays = True

    def _q(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{name}"'

    def _index(self, gen: int, what: str) -> str:
        return f"teichaku_view_g{gen}_{what}"  # an index lives in its table's schema

    def _tracking_table(self) -> str:
        return self._q(self.tracking_table_name)

    def _inline_months(self, gen: int, only: Months) -> tuple[str, list[Any]]:
        """The month rows as one JSON array a row, made by the server (issue 24: their
        own statement was one of an office page's four round trips, and psycopg built
        every month row's nine columns in Python)."""
        wanted = _wanted(only)
        if only != "*" and not wanted:
            return "", []
        condition, params = "m.case_id = v.case_id", []
        if only != "*":
            condition += " AND m.month = ANY(%s::text[])"
            params.append(text_array(wanted))
        return (
            ", (SELECT json_agg(json_build_array(m.month, m.face_to_face, "
            "m.employer_contacts, m.report_shared, m.billable, m.reasons::json, "
            f"m.warnings::json) ORDER BY m.month)::text FROM {self.month_table(gen)} AS m "
            f"WHERE {condition}) AS months_inline", params,
        )  # fmt: skip

    def _read_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.datastore.get_connection() as conn, conn.cursor() as c:
            c.execute(sql, tuple(params), prepare=True)
            return c.fetchone()

    def _reading(self, gen: int | None, read: Callable[[Any, int], _T]) -> _T:
        """The rows of ``gen`` (a read's generation, just caught up by it), read without a
        transaction: each statement is its own snapshot, as in the READ COMMITTED
        transaction it replaces (issue 24: BEGIN, the pointer ``FOR SHARE`` and ROLLBACK
        were three of an office page's round trips).

        Without the pointer's lock a switch may pass the read. The retired generation's
        rows are then still what this read caught up (read-your-writes holds), unless its
        tables were already dropped: then the read is made again on the live generation.
        """
        used = gen if gen is not None else (self.active_generation() or 1)
        try:
            return self._read_in(used, read)
        except ProgrammingError as exc:
            live = self.active_generation()
            gone = getattr(exc.__cause__, "sqlstate", None) == UNDEFINED_TABLE
            if not gone or live is None or live == used:
                raise
            return self._read_in(live, read)

    def _read_in(self, gen: int, read: Callable[[Any, int], _T]) -> _T:
        with self.datastore.get_connection() as conn, conn.cursor() as c:
            return read(c, gen)


#: A row's person as the store writes it: (person, blind index entry, its KEK id).
_Prepared = tuple[dict[str, Any], str | None, str]
#: The boxed fields' names, and the one sealed value holding them (:func:`_boxed`).
_BOXED, _BOX = "boxed", "box"


def _boxed(
    stored: dict[str, Any], opened: dict[str, Any], key: PersonKey | None
) -> dict[str, Any]:
    """The person of a row as written: the values the events hold sealed one by one,
    opened and sealed again as **one** value with the same person key, so that a read
    opens one box, not one per field (issue 24: an office page opened ~400). Erasure
    destroys that key: the box no longer opens and each boxed field reads as erased, as
    the fields did. Without the key (already erased), or when a value does not open, the
    fields are kept as the events hold them."""
    inside = {name: opened[name] for name, value in stored.items() if has_sealed(value)}
    if key is None or not inside or ERASED in inside.values():
        return stored
    plain = {name: value for name, value in stored.items() if name not in inside}
    return {**plain, _BOXED: sorted(inside), _BOX: key.seal(inside)}


def _unboxed(stored: dict[str, Any], key: PersonKey | None) -> dict[str, Any]:
    """The person of a row as read: opened with its key, or each sealed field erased."""
    if _BOX not in stored:  # fields sealed one by one (a row written without the key)
        return reveal(stored, key).payload  # the row itself where nothing is sealed
    plain = {name: value for name, value in stored.items() if name not in (_BOXED, _BOX)}
    inside = reveal({_BOX: stored[_BOX]}, key).payload[_BOX]  # ERASED: no key, or altered
    if inside == ERASED:
        return {**plain, **{name: ERASED for name in stored[_BOXED]}}
    return {**plain, **inside}


#: The columns of a light row (a list shows no dates, no names and no months).
_LIGHT = (
    "case_id, office_id, opened_on, opened_at, version, computed_on, row_schema, segments, "
    "'{}' AS derived, NULL AS person"
)


def _wanted(only: Months) -> tuple[str, ...]:
    """The months named by ``only`` (as :meth:`ViewStore.page`): none for "*" and None."""
    if only is None or only == "*":
        return ()
    return (only,) if isinstance(only, str) else tuple(only)


def _month_row(m: Any) -> MonthRow:
    return MonthRow(
        str(m["month"]),
        int(m["face_to_face"]),
        int(m["employer_contacts"]),
        bool(m["report_shared"]),
        bool(m["billable"]),
        tuple(orjson.loads(m["reasons"])),
        tuple(orjson.loads(m["warnings"])),
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _segments_text(segments: Sequence[tuple[dt.date, str]]) -> str:
    """Status segments as a row and a known row store them."""
    return _json([(day.isoformat(), status) for day, status in segments])


def _segments_of(text: str) -> tuple[tuple[dt.date, str], ...]:
    return tuple((dt.date.fromisoformat(day), str(status)) for day, status in orjson.loads(text))


#: The first row shape whose known rows and clock pages are stored with it.
TRAIL_SCHEMA = 6
#: A case as known at an instant (decision 0062): (office, opening day, status segments,
#: version); None: not opened then; :data:`FOLD`: no trail stored, fold it.
KnownAt = tuple[str | None, dt.date, tuple[tuple[dt.date, str], ...], int] | None | str
FOLD = "fold"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(at: dt.datetime) -> int:
    return (at - _EPOCH) // dt.timedelta(microseconds=1)


def _known_at(r: Any, as_of: dt.datetime) -> KnownAt:
    if int(r["row_schema"]) < TRAIL_SCHEMA:
        return FOLD
    if r["opened_on"] is None:  # no known row then, or the opening was not known
        return None
    if r["page"] is None:  # a known row's own version is in a page: never, but fold then
        return FOLD
    stamps = tuple(_EPOCH + dt.timedelta(microseconds=m) for m in orjson.loads(r["stamps"]))
    version = ClockPage(int(r["page"]), stamps).version_at(as_of)
    if version is None:
        return FOLD
    segments = _segments_of(r["segments"])
    return r["office_id"], dt.date.fromisoformat(str(r["opened_on"])), segments, version


def _parts(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _latest_of_each(rows: Sequence[CaseRow]) -> list[CaseRow]:
    """One row per case, the one the upsert's condition would keep of several: the highest
    version, then the latest day it was evaluated on (the later given, of equals)."""
    kept: dict[UUID, CaseRow] = {}
    for row in rows:
        held = kept.get(row.case_id)
        if held is None or (row.version, row.computed_on) >= (held.version, held.computed_on):
            kept[row.case_id] = row
    return list(kept.values())


def utc_text(instant: dt.datetime) -> str:
    """Sortable text of an instant: UTC, fixed width, microseconds."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
