"""Counting the SQL statements a piece of work sends, on SQLite and on PostgreSQL.

Counts what reaches the driver through a cursor (the library's and ours): on SQLite the
library's cursor wrapper, on PostgreSQL psycopg's ``Cursor.execute``/``executemany``.
The transaction's own ``BEGIN``/``COMMIT``/``ROLLBACK`` are not counted (psycopg sends
them itself, outside ``Cursor.execute``; on SQLite they are skipped to count alike);
:func:`counting_round_trips` counts them too, on PostgreSQL, where each is a round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def counting_statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Yield a list that collects every SQL statement sent inside the block."""
    import psycopg
    from eventsourcing.sqlite import SQLiteCursor

    sent: list[str] = []
    active = [True]

    def note(sql: Any) -> None:
        text = sql if isinstance(sql, str) else str(getattr(sql, "_obj", sql))
        if active[0] and not text.strip().upper().startswith(_TRANSACTION):
            sent.append(" ".join(text.split()))

    def wrap(cls: Any, name: str) -> None:
        original = getattr(cls, name)

        def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            note(query)
            return original(self, query, *args, **kwargs)

        monkeypatch.setattr(cls, name, counted)

    for cls in (SQLiteCursor, psycopg.Cursor):
        wrap(cls, "execute")
        wrap(cls, "executemany")
    try:
        yield sent
    finally:
        active[0] = False


@contextmanager
def counting_round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent to PostgreSQL inside the block, with the transactions' own
    ``BEGIN`` and ``COMMIT``/``ROLLBACK`` (each a round trip of its own: psycopg sends them
    outside ``Cursor.execute``, from its ``Transaction``)."""
    import psycopg

    with counting_statements(monkeypatch) as sent:
        enter, leave = psycopg.Transaction.__enter__, psycopg.Transaction.__exit__

        def begun(self: Any) -> Any:
            sent.append("BEGIN")
            return enter(self)

        def ended(self: Any, *exc: Any) -> Any:
            sent.append("END")
            return leave(self, *exc)

        monkeypatch.setattr(psycopg.Transaction, "__enter__", begun)
        monkeypatch.setattr(psycopg.Transaction, "__exit__", ended)
        try:
            yield sent
        finally:
            monkeypatch.setattr(psycopg.Transaction, "__enter__", enter)
            monkeypatch.setattr(psycopg.Transaction, "__exit__", leave)
