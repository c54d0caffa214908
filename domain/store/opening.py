"""Opening the store: the one place a door turns a database's settings into a CaseLog.

The doors (HTTP, web, command line) never connect to a database themselves: they call
:func:`open_case_log` (or :func:`check_reachable` first, for a quick answer instead of
the library's 30-second pool wait).
"""

from __future__ import annotations

from pathlib import Path

from domain.store.application import CaseLog
from domain.store.creation import creation_lock, pg_connection


class StoreUnreachable(Exception):
    """The database server did not answer; the message is the driver's first line."""


def open_case_log(env: dict[str, str]) -> CaseLog:
    """The CaseLog on the store ``env`` names (an SQLite file's folder is created)."""
    path = env.get("SQLITE_DBNAME", "")
    if env["PERSISTENCE_MODULE"].endswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    if env.get("POSTGRES_SCHEMA"):
        with creation_lock(env):
            _create_schema(env)
    return CaseLog(env=env)  # makes its tables under the same lock


def check_reachable(env: dict[str, str], timeout_seconds: int = 5) -> None:
    """Connect once to a PostgreSQL store with a short timeout (SQLite needs no check)."""
    if not env["PERSISTENCE_MODULE"].endswith("postgres"):
        return
    import psycopg

    try:
        psycopg.connect(**pg_connection(env), connect_timeout=timeout_seconds).close()
    except psycopg.Error as exc:
        text = str(exc).strip().splitlines()
        raise StoreUnreachable(text[0] if text else type(exc).__name__) from None


def _create_schema(env: dict[str, str]) -> None:
    """The library creates its tables in POSTGRES_SCHEMA but not the schema itself."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**pg_connection(env), autocommit=True) as conn:
        schema = sql.Identifier(env["POSTGRES_SCHEMA"])
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
