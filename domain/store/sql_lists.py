"""``column`` is one of a list of values, as each backend reads it best.

SQLite: ``column IN (?, ?, …)``, one parameter a value. PostgreSQL:
``column = ANY(%s::text[])``, one array parameter (sent as its text literal), so the
statement's text is the same whatever the number of values: psycopg parses and caches a
statement's text only up to 50 parameters, and prepares it once (issue 24: the month
rows of a 100-case office were parsed again on every read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def one_of(column: str, values: Sequence[str], *, array: bool) -> tuple[str, list[Any]]:
    """The condition and its parameters (``array``: PostgreSQL's form)."""
    if array:
        return f"{column} = ANY(%s::text[])", [text_array(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def text_array(values: Sequence[str]) -> str:
    """PostgreSQL's literal of a ``text[]``: each value double-quoted, its ``\\`` and ``"``
    escaped. Sent as one text parameter, it costs half what psycopg's dumping of a
    Python list does (its element loop is Python: ~140 µs more for 100 case ids)."""
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"
