"""The library's recorders, appending only while the writer is as it was read (issue 24).

A write names its caller: the principal of a token (and of the token's account). A
process remembers the tokens it has read (decision 0058). For a write it may go on with
a remembered token only if the write itself proves the token unchanged. The write passes
``unchanged`` to the library's ``save``: the (aggregate id, version) pairs of the token
and its account, as read. The library hands these keyword arguments to the recorder's
``insert_events``. These recorders check, in the transaction of the insert, that none of
those aggregates has a later event; if one has, the transaction rolls back and
:class:`CallerChanged` is raised, with nothing written. The caller is then read again
(:class:`api.http.deps.Caller`).

This is the write's twin of the reads' access entry, which checks the remembered caller
in its own statement (:meth:`domain.store.access_table.AccessTable.note_unless_changed`).
The library chooses these classes through its ``APPLICATION_RECORDER_TOPIC`` setting
(:meth:`domain.store.application.CaseLog.construct_env`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.store.access_table import changed_since

#: (aggregate id, version) pairs that must have no later event for a write to be made.
Unchanged = Sequence[tuple[UUID, int]]


class CallerChanged(Exception):
    """The writer's token or account has changed since it was read: nothing was written."""


class CheckedSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite's recorder, checking ``unchanged`` in the transaction of the insert."""

    checks_unchanged = True

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The insert first: it takes SQLite's write lock, so the check below reads the
        # latest commit and no other writer commits before this transaction ends.
        returning = super()._insert_events(c, stored_events, **kwargs)
        unchanged: Unchanged = kwargs.get("unchanged") or ()
        if unchanged:
            changed, params = changed_since(unchanged, lambda i: i.hex)  # ids as stored
            c.execute(
                f"SELECT 1 FROM {self.events_table_name} "
                f"WHERE {changed.replace('%s', '?')} LIMIT 1",
                params,
            )
            if c.fetchone() is not None:
                raise CallerChanged  # the library's transaction rolls back on an exception
        return returning


class CheckedPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL's recorder, checking ``unchanged`` in the transaction of the insert."""

    checks_unchanged = True

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # The library calls this inside its transaction, before the table lock and the
        # insert. Fetching syncs the pipeline (one round trip); raising here, outside
        # the library's own error handling, rolls the transaction back.
        unchanged: Unchanged = kwargs.get("unchanged") or ()
        if unchanged:
            changed, params = changed_since(unchanged, lambda i: i)
            query = SQL("SELECT 1 FROM {}.{} WHERE " + changed + " LIMIT 1")
            curs.execute(
                query.format(Identifier(self.datastore.schema), Identifier(self.events_table_name)),
                params,
            )
            if curs.fetchone() is not None:
                raise CallerChanged
        super()._insert_events(curs, stored_events, **kwargs)


#: The checked recorder of each of the library's persistence modules.
CHECKED = {
    "eventsourcing.sqlite": f"{__name__}:{CheckedSQLiteRecorder.__name__}",
    "eventsourcing.postgres": f"{__name__}:{CheckedPostgresRecorder.__name__}",
}
