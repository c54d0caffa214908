"""The access log as an append-only table: one row per read, a hash chain per stream.

Decision 0052 (docs/access-log.md). Every read of a case is one row of
``teichaku_access`` in the case's stream (the stream is the case id); every list or
dashboard read is one row in its reader's listing stream (``listing:`` + the reader's
name) and names the cases it showed in ``teichaku_access_cases`` (indexed by case), so
the access log of a case is one indexed query, and a reader's history another
(``principal_name`` is indexed).

Appending is two statements in one transaction on SQLite, and one statement on PostgreSQL
(the database hashes the entry there: :meth:`PostgresAccessTable.note`); either way
readers never abort each other:

1. the stream's head row in ``teichaku_access_heads`` is taken (an upsert that changes
   nothing and returns the head: it locks that one row on PostgreSQL and takes the
   write lock on SQLite, so a concurrent reader of the same case waits a moment instead
   of losing a version race; readers of other cases do not wait at all on PostgreSQL);
2. the entry is inserted with ``seq`` = head + 1, ``previous_hash`` = the head's hash and
   its own ``hash`` = SHA-256 of its canonical content and ``previous_hash``;
3. the insert's trigger moves the head to the new entry, inside the same statement.

A listing's cases are indexed in ``teichaku_access_cases`` after the answer, not inside
it (issue 24: the 100 index rows of a 100-case page were most of the page's access entry):
:meth:`AccessTable.index_listings` (a server's view follower calls it every second) indexes
the listings up to a horizon below which every entry is committed, and a case's access log
also reads, by id, the listings above that horizon that name it. The entry itself, with
every case it named, is in the chain before the answer, as before.

The chain makes the table tamper-evident: :meth:`AccessTable.verify` recomputes each
entry's hash, its link to the one before, the sequence without gaps, and the head (so
removing the newest rows shows too), and names the entry where it breaks.

Entries written before this table existed (``CaseAccessLog`` and ``ListingRead`` events in
the event store) are copied into it once, when the table is first created, in their stored
order (:func:`open_access_table`): the events stay where they are, unchanged.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

TABLE = "teichaku_access"
CASES_TABLE = "teichaku_access_cases"
HEADS_TABLE = "teichaku_access_heads"
META_TABLE = "teichaku_access_meta"
#: The ``previous_hash`` of a stream's first entry.
GENESIS = "0" * 64
#: The meta row that says the entries written as events were copied (once per store).
LEGACY_COPIED = "legacy-events-copied"
#: The meta row holding the id up to which every listing's cases are indexed.
INDEXED_TO = "listings-indexed-to"
#: Listings indexed per transaction by :meth:`AccessTable.index_listings`. On SQLite the
#: transaction holds the write lock, and every read's entry waits for it: 500 listings of
#: 100 cases took 236 ms, 100 take ~50 ms (SQLite 1k, a backlog; issue 24).
INDEX_BATCH = 100
_COLUMNS = (
    "stream, seq, kind, at, endpoint, principal_name, role, as_of, on_day, case_ids, "
    "previous_hash, hash"
)


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One read: a case's (``kind`` ``"case"``) or a list's naming ``case_ids``."""

    kind: str  # "case" | "listing"
    at: datetime
    endpoint: str
    principal_name: str
    role: str
    as_of: str | None
    on: str | None
    case_ids: tuple[str, ...] = ()

    @property
    def at_text(self) -> str:
        return self.at.astimezone(UTC).isoformat()


def stream_of(entry: AccessEntry) -> str:
    """A case read is chained in its case's stream, a listing in its reader's stream."""
    if entry.kind == "case":
        return entry.case_ids[0]
    return "listing:" + entry.principal_name


def entry_hash(stream: str, seq: int, row: dict[str, Any], previous_hash: str) -> str:
    """SHA-256 of an entry's canonical content and the hash of the one before it."""
    content = {**_content(stream, row), "seq": seq, "previous_hash": previous_hash}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content(stream: str, row: dict[str, Any]) -> dict[str, Any]:
    """What an entry's hash covers, but its place in the chain (``seq``, ``previous_hash``)."""
    return {
        "stream": stream, "kind": row["kind"], "at": row["at"], "endpoint": row["endpoint"],
        "principal_name": row["principal_name"], "role": row["role"], "as_of": row["as_of"],
        "on": row["on_day"], "case_ids": row["case_ids"],
    }  # fmt: skip


def hash_parts(stream: str, row: dict[str, Any]) -> tuple[str, str, str]:
    """The canonical text of :func:`entry_hash` around its two values known only at the
    head: ``parts[0] + previous_hash + parts[1] + str(seq) + parts[2]`` is that text, so
    the database can hash an entry in the statement that reads its head (PostgreSQL's
    one-statement append). ``json.dumps(sort_keys=True)`` of a flat dict is its pairs in
    key order, each ``"key":value``, joined by commas; the two cut points fall inside the
    ``previous_hash`` string and at the ``seq`` number."""
    content = _content(stream, row)
    pieces: list[str] = []
    for key in sorted([*content, "previous_hash", "seq"]):
        if key == "previous_hash":
            value = '"\0"'  # 64 hex digits, nothing to escape
        elif key == "seq":
            value = "\0"
        else:  # json.dumps escapes every control character: no NUL comes out of it
            value = json.dumps(content[key], ensure_ascii=False)
        pieces.append(f"{json.dumps(key)}:{value}")
    first, second, third = ("{" + ",".join(pieces) + "}").split("\0")
    return first, second, third


def changed_since(
    unchanged: Sequence[tuple[UUID, int]], as_id: Callable[[UUID], Any]
) -> tuple[str, list[Any]]:
    """The condition that one of the aggregates (id, version) has a later event (read
    through the events table's primary key), and its parameters (ids as ``as_id``)."""
    condition = " OR ".join(["(originator_id = %s AND originator_version > %s)"] * len(unchanged))
    return condition, [v for i, version in unchanged for v in (as_id(i), version)]


def _row(entry: AccessEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind, "at": entry.at_text, "endpoint": entry.endpoint,
        "principal_name": entry.principal_name, "role": entry.role, "as_of": entry.as_of,
        "on_day": entry.on, "case_ids": json.dumps(list(entry.case_ids)),
    }  # fmt: skip


def shown(row: Any) -> dict[str, Any]:
    """A stored row as the access-log endpoint shows an entry."""
    return {
        "at": str(row["at"]), "endpoint": str(row["endpoint"]),
        "principal_name": str(row["principal_name"]), "role": str(row["role"]),
        "as_of": row["as_of"], "on": row["on_day"],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Break:
    """Where a stream's chain does not hold: the entry (row id, seq) and what is wrong."""

    stream: str
    entry_id: int | None
    seq: int
    problem: str


class AccessTable:
    """Appends and reads access entries (the SQL flavours below; :class:`MemoryAccessTable`
    for a store without a database)."""

    def note(self, entry: AccessEntry) -> None:
        raise NotImplementedError

    #: Can :meth:`note_unless_changed` see the store's events (else it always refuses)?
    checks_unchanged = True

    def note_unless_changed(
        self, entry: AccessEntry, unchanged: Sequence[tuple[UUID, int]], events: str
    ) -> bool:
        """Append ``entry`` only if no aggregate of ``unchanged`` (id, version) has an event
        after that version in the events table ``events``, checked in the same statement
        or transaction; False, with nothing written, when one has (decision 0058: a
        caller's token read in an earlier request is used only while it is unchanged)."""
        raise NotImplementedError

    def copy_once(self, entries: Sequence[AccessEntry]) -> bool:
        """Append the entries written as events, in order, unless a process did before:
        the claim and the copy are one transaction (False: copied before)."""
        raise NotImplementedError

    def case_entries(self, case_id: str) -> list[dict[str, Any]]:
        """Reads of the case and the listings that showed it, oldest first."""
        raise NotImplementedError

    def reads_by(self, principal_name: str, limit: int) -> list[dict[str, Any]]:
        """The newest case reads under ``principal_name`` (with ``case_id``), newest first."""
        raise NotImplementedError

    def index_listings(self, limit: int = 5_000) -> int:
        """Index the cases of the listings not yet indexed (at most ``limit`` listings),
        up to a horizon below which every entry is committed; returns how many."""
        return 0

    def verify(self, stream: str) -> list[Break]:
        """Every place the stream's chain does not hold (empty: intact)."""
        raws, head = self._stream_rows(stream)
        return check_chain(stream, raws, head)

    def streams(self) -> list[str]:
        raise NotImplementedError

    def legacy_copied(self) -> bool:
        raise NotImplementedError

    def _stream_rows(self, stream: str) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
        raise NotImplementedError


def check_chain(
    stream: str, rows: Sequence[dict[str, Any]], head: tuple[int, str] | None
) -> list[Break]:
    """The chain check of one stream's rows in ``seq`` order against its head."""
    breaks: list[Break] = []
    previous, expected = GENESIS, 1
    for row in rows:
        seq, rid = int(row["seq"]), row.get("id")
        if seq != expected:
            missing = f"第{expected}件" if seq == expected + 1 else f"第{expected}〜{seq - 1}件"
            breaks.append(Break(stream, rid, seq, f"この前の{missing}が欠けています"))
        expected = seq + 1
        if row["previous_hash"] != previous:
            breaks.append(Break(stream, rid, seq, "前の記録とのつながりが一致しません"))
        if entry_hash(stream, seq, row, str(row["previous_hash"])) != row["hash"]:
            breaks.append(Break(stream, rid, seq, "記録の内容がハッシュと一致しません"))
        previous = str(row["hash"])
    last = int(rows[-1]["seq"]) if rows else 0
    if head is not None and (head[0] != last or head[1] != (previous if rows else GENESIS)):
        breaks.append(Break(stream, None, head[0], f"最新の第{head[0]}件が見つかりません"))
    return breaks


class _Changed(Exception):
    """A checked aggregate has an event since: the entry's transaction is rolled back."""


class SQLAccessTable(AccessTable):
    """The access log in the event store's own database, through the library's datastore."""

    placeholder = "%s"
    serial = "BIGSERIAL PRIMARY KEY"

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def name(self, table: str) -> str:
        return table

    @contextmanager
    def _tx(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _run(self, c: Any, sql: str, params: Sequence[Any] = ()) -> None:
        c.execute(sql.replace("%s", self.placeholder), tuple(params))

    def create(self) -> None:
        t, cases = self.name(TABLE), self.name(CASES_TABLE)
        heads, meta = self.name(HEADS_TABLE), self.name(META_TABLE)
        with self._tx(commit=True) as c:
            self._run(c, f"CREATE TABLE IF NOT EXISTS {t} (id {self.serial}, stream TEXT NOT NULL, "
                      "seq INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, "
                      "endpoint TEXT NOT NULL, principal_name TEXT NOT NULL, role TEXT NOT NULL, "
                      "as_of TEXT, on_day TEXT, case_ids TEXT NOT NULL, previous_hash TEXT "
                      "NOT NULL, hash TEXT NOT NULL, UNIQUE (stream, seq))")  # fmt: skip
            self._run(c, f"CREATE INDEX IF NOT EXISTS {TABLE}_by_reader "
                      f"ON {t} (principal_name, kind, id)")  # fmt: skip
            self._run(c, f"CREATE INDEX IF NOT EXISTS {TABLE}_listings ON {t} (id) "
                      "WHERE kind = 'listing'")  # fmt: skip
            self._run(c, f"CREATE TABLE IF NOT EXISTS {cases} (case_id TEXT NOT NULL, "
                      "entry_id BIGINT NOT NULL, PRIMARY KEY (case_id, entry_id))")  # fmt: skip
            self._run(c, f"CREATE TABLE IF NOT EXISTS {heads} (stream TEXT PRIMARY KEY, "
                      "seq INTEGER NOT NULL, hash TEXT NOT NULL)")  # fmt: skip
            self._run(c, f"CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, "
                      "value TEXT NOT NULL)")  # fmt: skip
            self._create_trigger(c)

    def _create_trigger(self, c: Any) -> None:
        """After an entry is inserted, the database moves its stream's head to it and
        indexes the cases a listing names (so an append is two statements)."""
        raise NotImplementedError

    def note(self, entry: AccessEntry) -> None:
        with self._tx(commit=True) as c:
            self._append(c, entry)

    def note_unless_changed(
        self, entry: AccessEntry, unchanged: Sequence[tuple[UUID, int]], events: str
    ) -> bool:
        """The entry first, then the check, in one transaction rolled back if it fails.

        In that order on purpose: the entry's first statement takes SQLite's write lock
        (waiting for it as any writer does), so the check reads the latest commit and no
        one commits before this transaction does. Checking first began a read snapshot
        that another connection's commit made stale, and SQLite (WAL) then refuses the
        write at once ("database is locked", without waiting): a read refused with 500."""
        try:
            with self._tx(commit=True) as c:
                self._append(c, entry)
                if unchanged:
                    changed, params = changed_since(unchanged, lambda i: i.hex)  # as stored
                    self._run(c, f"SELECT 1 AS changed FROM {self.name(events)} "
                              f"WHERE {changed} LIMIT 1", params)  # fmt: skip
                    if c.fetchone() is not None:
                        raise _Changed
        except _Changed:
            return False  # rolled back: nothing written
        return True

    def copy_once(self, entries: Sequence[AccessEntry]) -> bool:
        at = datetime.now(UTC).isoformat()
        with self._tx(commit=True) as c:
            self._run(c, f"INSERT INTO {self.name(META_TABLE)} (name, value) VALUES (%s, %s) "
                      "ON CONFLICT (name) DO NOTHING RETURNING name",
                      (LEGACY_COPIED, at))  # fmt: skip
            if c.fetchone() is None:
                return False
            for entry in entries:
                self._append(c, entry)
        return True

    def _append(self, c: Any, entry: AccessEntry) -> None:
        stream = stream_of(entry)
        heads = self.name(HEADS_TABLE)
        # 1. Take the stream's head (a no-op upsert: a row lock, not a version race).
        self._run(c, f"INSERT INTO {heads} AS h (stream, seq, hash) VALUES (%s, 0, %s) "
                  "ON CONFLICT (stream) DO UPDATE SET seq = h.seq RETURNING seq, hash",
                  (stream, GENESIS))  # fmt: skip
        head = c.fetchone()
        seq, previous = int(head["seq"]) + 1, str(head["hash"])
        row = _row(entry)
        digest = entry_hash(stream, seq, row, previous)
        # 2. The entry, chained to the head.
        self._run(c, f"INSERT INTO {self.name(TABLE)} ({_COLUMNS}) VALUES "
                  "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                  (stream, seq, row["kind"], row["at"], row["endpoint"], row["principal_name"],
                   row["role"], row["as_of"], row["on_day"], row["case_ids"], previous,
                   digest))  # fmt: skip
        # 3. (the insert's trigger) the head moves to it; a listing's cases are indexed.

    def case_entries(self, case_id: str) -> list[dict[str, Any]]:
        t, cases, meta = self.name(TABLE), self.name(CASES_TABLE), self.name(META_TABLE)
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT value FROM {meta} WHERE name = %s", (INDEXED_TO,))
            found = c.fetchone()
            indexed = int(found["value"]) if found is not None else 0
            # The case's reads; the listings indexed as naming it; the listings above the
            # horizon (not indexed yet: at most a few seconds' worth) that name it.
            self._run(c, f"SELECT at, endpoint, principal_name, role, as_of, on_day, id FROM {t} "
                      f"WHERE stream = %s UNION SELECT at, endpoint, principal_name, role, "
                      f"as_of, on_day, id FROM {t} WHERE id IN (SELECT entry_id FROM {cases} "
                      f"WHERE case_id = %s) UNION SELECT at, endpoint, principal_name, role, "
                      f"as_of, on_day, id FROM {t} WHERE kind = 'listing' AND id > %s "
                      "AND case_ids LIKE %s ORDER BY at, id",
                      (case_id, case_id, indexed, f'%"{case_id}"%'))  # fmt: skip
            return [shown(r) for r in c.fetchall()]

    def index_listings(self, limit: int = 5_000) -> int:
        t, cases, meta = self.name(TABLE), self.name(CASES_TABLE), self.name(META_TABLE)
        with self._tx(commit=False) as c:  # anything to do? (no lock taken when not)
            self._run(c, f"SELECT 1 AS found FROM {t} WHERE kind = 'listing' AND id > "
                      f"COALESCE((SELECT CAST(value AS BIGINT) FROM {meta} WHERE name = %s), 0) "
                      "LIMIT 1", (INDEXED_TO,))  # fmt: skip
            if c.fetchone() is None:
                return 0
        horizon = self._horizon()
        done = 0
        while done < limit:
            with self._tx(commit=True) as c:
                self._run(c, f"INSERT INTO {meta} (name, value) VALUES (%s, '0') "
                          "ON CONFLICT (name) DO NOTHING", (INDEXED_TO,))  # fmt: skip
                self._run(c, f"SELECT value FROM {meta} WHERE name = %s{self.row_lock}",
                          (INDEXED_TO,))  # fmt: skip
                start = int(c.fetchone()["value"])
                if start >= horizon:
                    return done
                size = min(INDEX_BATCH, limit - done)
                self._run(c, f"SELECT id, case_ids FROM {t} WHERE kind = 'listing' "
                          f"AND id > %s AND id <= %s ORDER BY id LIMIT {int(size)}",
                          (start, horizon))  # fmt: skip
                rows = c.fetchall()
                pairs = [(str(i), int(r["id"])) for r in rows for i in json.loads(r["case_ids"])]
                self._index(c, cases, pairs)
                end = int(rows[-1]["id"]) if len(rows) == size else horizon
                self._run(c, f"UPDATE {meta} SET value = %s WHERE name = %s",
                          (str(end), INDEXED_TO))  # fmt: skip
                done += len(rows)
            if end >= horizon:
                return done
        return done

    def _index(self, c: Any, cases: str, pairs: Sequence[tuple[str, int]]) -> None:
        """Index ``(case_id, entry_id)`` pairs, 400 rows a statement."""
        for k in range(0, len(pairs), 400):
            chunk = pairs[k : k + 400]
            marks = ", ".join(["(%s, %s)"] * len(chunk))
            self._run(c, f"INSERT INTO {cases} (case_id, entry_id) VALUES {marks} "
                      "ON CONFLICT DO NOTHING", [v for p in chunk for v in p])  # fmt: skip

    #: How :meth:`index_listings` locks its position row against another indexer.
    row_lock = ""

    def _horizon(self) -> int:
        """The newest entry id below which every entry is committed (SQLite: one writer
        at a time, so the newest id)."""
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT COALESCE(MAX(id), 0) AS top FROM {self.name(TABLE)}")
            return int(c.fetchone()["top"])

    def reads_by(self, principal_name: str, limit: int) -> list[dict[str, Any]]:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT at, endpoint, principal_name, role, as_of, on_day, stream "
                      f"FROM {self.name(TABLE)} WHERE principal_name = %s AND kind = 'case' "
                      "ORDER BY id DESC LIMIT %s", (principal_name, limit))  # fmt: skip
            return [{**shown(r), "case_id": str(r["stream"])} for r in c.fetchall()]

    def streams(self) -> list[str]:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT stream FROM {self.name(HEADS_TABLE)} ORDER BY stream")
            return [str(r["stream"]) for r in c.fetchall()]

    def _stream_rows(self, stream: str) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT id, {_COLUMNS} FROM {self.name(TABLE)} WHERE stream = %s "
                      "ORDER BY seq", (stream,))  # fmt: skip
            rows = [dict(r) for r in c.fetchall()]
            self._run(c, f"SELECT seq, hash FROM {self.name(HEADS_TABLE)} WHERE stream = %s",
                      (stream,))  # fmt: skip
            head = c.fetchone()
        return rows, None if head is None else (int(head["seq"]), str(head["hash"]))

    def legacy_copied(self) -> bool:
        with self._tx(commit=False) as c:
            self._run(c, f"SELECT value FROM {self.name(META_TABLE)} WHERE name = %s",
                      (LEGACY_COPIED,))  # fmt: skip
            return c.fetchone() is not None


class SQLiteAccessTable(SQLAccessTable):
    placeholder = "?"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def _create_trigger(self, c: Any) -> None:
        self._run(c, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                  (f"{TABLE}_appended",))  # fmt: skip
        found = c.fetchone()
        if found is not None and CASES_TABLE not in str(found["sql"]):
            return  # as made: a schema change at every start would hold every writer
        # Missing, or made before decision 0055 (it indexed a listing's cases inside the
        # read; now :meth:`index_listings` does, after the answer): made (again).
        self._run(c, f"DROP TRIGGER IF EXISTS {TABLE}_appended")
        self._run(c, f"CREATE TRIGGER {TABLE}_appended AFTER INSERT ON {TABLE} "
                  f"BEGIN UPDATE {HEADS_TABLE} SET seq = NEW.seq, hash = NEW.hash "
                  "WHERE stream = NEW.stream; END")  # fmt: skip


class PostgresAccessTable(SQLAccessTable):
    row_lock = " FOR UPDATE"

    def _index(self, c: Any, cases: str, pairs: Sequence[tuple[str, int]]) -> None:
        """Every pair in one statement of two array parameters: its text is the same for
        any number of pairs, so psycopg parses it once (800 marks were parsed again for
        each batch: ~7 % of a server under a loop of dashboards, issue 24)."""
        if pairs:
            c.execute(f"INSERT INTO {cases} (case_id, entry_id) SELECT * FROM "
                      "unnest(%s::text[], %s::bigint[]) ON CONFLICT DO NOTHING",
                      ([p[0] for p in pairs], [p[1] for p in pairs]))  # fmt: skip

    def note(self, entry: AccessEntry) -> None:
        """One statement, one round trip, committed on its own (issue 24: the four round
        trips of a transaction were a fifth of a case read's time).

        The head is taken as in :meth:`SQLAccessTable._append` (the no-op upsert locks its
        row; a concurrent append to the same stream waits and then reads the head it
        left), the entry's hash is computed by the database from :func:`hash_parts`, and
        the insert's trigger moves the head at the end of the statement. The text hashed
        is the one :func:`entry_hash` hashes, so :meth:`verify` checks it unchanged."""
        self._insert(entry, (), "")

    def note_unless_changed(
        self, entry: AccessEntry, unchanged: Sequence[tuple[UUID, int]], events: str
    ) -> bool:
        """The same one statement, its insert made only where the aggregates are unchanged
        (``WHERE NOT EXISTS``: no round trip more than :meth:`note`)."""
        return self._insert(entry, unchanged, events)

    def _insert(
        self, entry: AccessEntry, unchanged: Sequence[tuple[UUID, int]], events: str
    ) -> bool:
        stream = stream_of(entry)
        row = _row(entry)
        first, second, third = hash_parts(stream, row)
        condition, more = "", list[Any]()
        if unchanged:
            changed, more = changed_since(unchanged, lambda i: i)
            condition = f" WHERE NOT EXISTS (SELECT 1 FROM {self.name(events)} WHERE {changed})"
        with self.datastore.get_connection() as conn, conn.cursor() as c:
            c.execute(
                f"WITH head AS (INSERT INTO {self.name(HEADS_TABLE)} AS h (stream, seq, hash) "
                "VALUES (%s, 0, %s) ON CONFLICT (stream) DO UPDATE SET seq = h.seq "
                f"RETURNING seq, hash) INSERT INTO {self.name(TABLE)} ({_COLUMNS}) "
                "SELECT %s, head.seq + 1, %s, %s, %s, %s, %s, %s, %s, %s, head.hash, "
                "encode(sha256(convert_to(%s || head.hash || %s || (head.seq + 1)::text "
                f"|| %s, 'UTF8')), 'hex') FROM head{condition}",
                (stream, GENESIS, stream, row["kind"], row["at"], row["endpoint"],
                 row["principal_name"], row["role"], row["as_of"], row["on_day"],
                 row["case_ids"], first, second, third, *more),
                prepare=True,
            )  # fmt: skip
            return bool(c.rowcount == 1)

    def name(self, table: str) -> str:
        return f'"{self.datastore.schema}"."{table}"'

    def _horizon(self) -> int:
        """Ids are taken at insert and committed in any order: ``SHARE`` mode waits for
        every transaction inserting now (and holds new ones for the moment of a MAX), so
        every entry up to the id read is committed or gone."""
        with self._tx(commit=True) as c:
            c.execute(f"LOCK TABLE {self.name(TABLE)} IN SHARE MODE")
            c.execute(f"SELECT COALESCE(MAX(id), 0) AS top FROM {self.name(TABLE)}")
            return int(c.fetchone()["top"])

    def _create_trigger(self, c: Any) -> None:
        function = self.name(f"{TABLE}_appended")
        c.execute(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE {self.name(HEADS_TABLE)} SET seq = NEW.seq, hash = NEW.hash "
            "WHERE stream = NEW.stream; RETURN NEW; END $$"
        )
        c.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = "
            f"'{TABLE}_appended' AND tgrelid = '{self.name(TABLE)}'::regclass) THEN "
            f"CREATE TRIGGER {TABLE}_appended AFTER INSERT ON {self.name(TABLE)} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}(); END IF; END $$"
        )


class MemoryAccessTable(AccessTable):
    """The same table in memory, for a store in memory (no database)."""

    checks_unchanged = False

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.heads: dict[str, tuple[int, str]] = {}
        self.meta: dict[str, str] = {}
        self._lock = threading.Lock()

    def note(self, entry: AccessEntry) -> None:
        with self._lock:
            self._append(entry)

    def note_unless_changed(
        self, entry: AccessEntry, unchanged: Sequence[tuple[UUID, int]], events: str
    ) -> bool:
        """This table cannot see the store's events: with anything to check it says it
        may have changed (the caller then reads it again) and writes nothing."""
        if unchanged:
            return False
        self.note(entry)
        return True

    def _append(self, entry: AccessEntry) -> None:
        stream = stream_of(entry)
        seq, previous = self.heads.get(stream, (0, GENESIS))
        row = _row(entry)
        digest = entry_hash(stream, seq + 1, row, previous)
        self.rows.append({**row, "id": len(self.rows) + 1, "stream": stream, "seq": seq + 1,
                          "previous_hash": previous, "hash": digest,
                          "names": set(entry.case_ids)})  # fmt: skip
        self.heads[stream] = (seq + 1, digest)

    def case_entries(self, case_id: str) -> list[dict[str, Any]]:
        found = [r for r in self.rows if r["stream"] == case_id or case_id in r["names"]]
        return [shown(r) for r in sorted(found, key=lambda r: (r["at"], r["id"]))]

    def reads_by(self, principal_name: str, limit: int) -> list[dict[str, Any]]:
        found = [r for r in reversed(self.rows)
                 if r["principal_name"] == principal_name and r["kind"] == "case"]  # fmt: skip
        return [{**shown(r), "case_id": r["stream"]} for r in found[:limit]]

    def streams(self) -> list[str]:
        return sorted(self.heads)

    def _stream_rows(self, stream: str) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
        rows = sorted((r for r in self.rows if r["stream"] == stream), key=lambda r: r["seq"])
        return rows, self.heads.get(stream)

    def legacy_copied(self) -> bool:
        return LEGACY_COPIED in self.meta

    def copy_once(self, entries: Sequence[AccessEntry]) -> bool:
        with self._lock:
            if LEGACY_COPIED in self.meta:
                return False
            self.meta[LEGACY_COPIED] = datetime.now(UTC).isoformat()
            for entry in entries:
                self._append(entry)
            return True


def open_access_table(
    module: str, recorder: Any, legacy: Callable[[], Iterable[AccessEntry]]
) -> AccessTable:
    """The access table beside an application's event store (same database).

    ``legacy`` yields the entries written as events before the table existed, oldest
    first; they are copied once per store (the first process to claim the copy does it).
    """
    datastore = getattr(recorder, "datastore", None)
    table: AccessTable
    if module.endswith("postgres") and datastore is not None:
        table = PostgresAccessTable(datastore)
    elif module.endswith("sqlite") and datastore is not None:
        table = SQLiteAccessTable(datastore)
    else:
        table = MemoryAccessTable()
    if isinstance(table, SQLAccessTable):
        table.create()
    if not table.legacy_copied():
        table.copy_once(list(legacy()))  # read before the write transaction
    return table
