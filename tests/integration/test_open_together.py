"""Servers started together on a new PostgreSQL schema all start (the tables are made one
process after the other, ``domain.store.creation.creation_lock``): before, two processes'
``CREATE TABLE IF NOT EXISTS`` of one name at the same instant failed one of them
("duplicate key value violates unique constraint pg_type_typname_nsp_index"). The lock is
taken by ``CaseLog`` itself, so a store opened without the door (a bench, a script) is
covered too."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

import pytest

from tests.integration.conftest import PG_DSN

PROCESSES = 6


def _open(url: str) -> str:
    """What a server process does at start-up: the store, then its views."""
    try:
        from domain.store.opening import open_case_log
        from domain.store.persistence import persistence_env
        from projections.views.follower import CaseViews

        cases = open_case_log(persistence_env(url))
        CaseViews(cases)
        cases.close()
        return "ok"
    except Exception as exc:  # reported to the test, not raised in the worker
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def _open_directly(url: str) -> str:
    """A CaseLog made without the door (as ``bench.bulk`` and scripts do)."""
    try:
        from domain.store.application import CaseLog
        from domain.store.persistence import persistence_env

        CaseLog(env=persistence_env(url)).close()
        return "ok"
    except Exception as exc:  # reported to the test, not raised in the worker
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", [1, 2])  # the race is timing: two fresh schemas
@pytest.mark.parametrize("opener", [_open, _open_directly], ids=["door", "directly"])
def test_six_processes_open_a_new_schema_at_once(
    _postgres_schema: str, attempt: int, opener: Callable[[str], str]
) -> None:
    import psycopg
    from psycopg import sql

    schema = sql.Identifier(_postgres_schema)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:  # as a new install finds it
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))
        if opener is _open_directly:  # CaseLog makes tables, not the schema (the door does)
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
    url = f"{PG_DSN}?schema={_postgres_schema}"
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        started = pool.map(opener, [url] * PROCESSES)
    assert started == ["ok"] * PROCESSES
