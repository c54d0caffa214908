"""Opening the store: the one place a door turns a database's settings into a CaseLog.

The doors (HTTP, web, command line) never connect to a database themselves: they call
:func:`open_case_log` (or :func:`check_reachable` first, for a quick answer instead of
the library's 30-second pool wait).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from domain.store.application import CaseLog


class StoreUnreachable(Exception):
    """The database server did not answer; the message is the driver's first line."""


def open_case_log(env: dict[str, str]) -> CaseLog:
    """The CaseLog on the store ``env`` names (an SQLite file's folder is created)."""
    path = env.get("SQLITE_DBNAME", "")
    if env["PERSISTENCE_MODULE"].endswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    with creation_lock(env):
        if env.get("POSTGRES_SCHEMA"):
            _create_schema(env)
        return CaseLog(env=env)


@contextmanager
def creation_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Processes opening one PostgreSQL schema at once make its tables one after the
    other. Two ``CREATE TABLE IF NOT EXISTS`` of one name at the same instant fail in
    PostgreSQL ("duplicate key value violates unique constraint pg_type_typname_nsp_index",
    "tuple concurrently updated"), so servers started together on a new schema (several
    workers, several hosts) could die at start-up. A session advisory lock per schema,
    on a connection of its own, held while the tables are made; nothing on SQLite,
    whose one write lock already serialises them."""
    if not str(env.get("PERSISTENCE_MODULE", "")).endswith("postgres"):
        yield
        return
    import psycopg

    name = f"teichaku create {env.get('POSTGRES_SCHEMA') or 'public'}"
    with psycopg.connect(**_connection(env), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))


def check_reachable(env: dict[str, str], timeout_seconds: int = 5) -> None:
    """Connect once to a PostgreSQL store with a short timeout (SQLite needs no check)."""
    if not env["PERSISTENCE_MODULE"].endswith("postgres"):
        return
    import psycopg

    try:
        psycopg.connect(**_connection(env), connect_timeout=timeout_seconds).close()
    except psycopg.Error as exc:
        text = str(exc).strip().splitlines()
        raise StoreUnreachable(text[0] if text else type(exc).__name__) from None


def _create_schema(env: dict[str, str]) -> None:
    """The library creates its tables in POSTGRES_SCHEMA but not the schema itself."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(**_connection(env), autocommit=True) as conn:
        schema = sql.Identifier(env["POSTGRES_SCHEMA"])
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))


def _connection(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "dbname": env["POSTGRES_DBNAME"], "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"], "user": env["POSTGRES_USER"],
        "password": env.get("POSTGRES_PASSWORD") or None,
    }  # fmt: skip
