"""Making a PostgreSQL store's tables one process at a time.

Every way a store is opened goes through :class:`~domain.store.application.CaseLog` (the
library's tables, the person keys, the access log) and
:class:`~projections.views.follower.CaseViews` (the views): both make their tables inside
:func:`creation_lock`, so servers, workers, command lines and benches that open a new
schema at the same instant make its tables one after another.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


@contextmanager
def creation_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Processes opening one PostgreSQL schema at once make its tables one after the
    other. Two ``CREATE TABLE IF NOT EXISTS`` of one name at the same instant fail in
    PostgreSQL ("duplicate key value violates unique constraint pg_type_typname_nsp_index",
    "tuple concurrently updated"), so servers started together on a new schema (several
    workers, several hosts) could die at start-up. A session advisory lock per schema,
    on a connection of its own, held while the tables are made; nothing on SQLite,
    whose one write lock already serialises them. Not re-entrant: a holder must not
    open a second store of the same schema inside it."""
    if not str(env.get("PERSISTENCE_MODULE", "")).endswith("postgres"):
        yield
        return
    import psycopg

    name = f"teichaku create {env.get('POSTGRES_SCHEMA') or 'public'}"
    with psycopg.connect(**pg_connection(env), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))


def pg_connection(env: Mapping[str, str]) -> dict[str, Any]:
    """psycopg's connection arguments for the PostgreSQL store ``env`` names."""
    return {
        "dbname": env.get("POSTGRES_DBNAME"), "host": env.get("POSTGRES_HOST"),
        "port": env.get("POSTGRES_PORT"), "user": env.get("POSTGRES_USER"),
        "password": env.get("POSTGRES_PASSWORD") or None,
    }  # fmt: skip
