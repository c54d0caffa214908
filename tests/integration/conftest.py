"""The store under test: a real ``CaseLog`` on SQLite (a file) and on PostgreSQL.

Every test that takes ``store`` (or ``backend``) runs once per backend. PostgreSQL is the
local server at 127.0.0.1:5432 (user ``postgres``, trust auth, database ``test``); each
test gets a fresh schema ``teichaku_test_<random>`` that is dropped afterwards, so tests
never see each other's cases. When the server is not reachable the PostgreSQL runs are
skipped with a reason that ``pytest -rs`` prints, so a green run never hides it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from domain.store.application import CaseLog, persistence_env
from domain.store.persistence import key_file_of

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_SKIP_REASON = "PostgreSQL not reachable at 127.0.0.1:5432 — PostgreSQL backend NOT tested"


@cache
def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_DSN, connect_timeout=2):
            return True
    except Exception:
        return False


@dataclass
class Backend:
    """One database holding one application's tables, with raw SQL access for assertions."""

    name: str  # "sqlite" | "postgresql"
    url: str
    events_table: str
    snapshots_table: str
    _extra_env: dict[str, str]
    _opened: list[CaseLog] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return {**persistence_env(self.url), **self._extra_env, **extra}

    def open(self, clock: Callable[[], datetime] | None = None, **extra: str) -> CaseLog:
        """A new application instance on this database (as a second process would open it)."""
        env = self.env(**extra)
        app = CaseLog(env=env) if clock is None else CaseLog(env=env, clock=clock)
        self._opened.append(app)
        return app

    def close_all(self) -> None:
        for app in self._opened:
            app.close()

    def select(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a raw SELECT outside the application (the way any other tool reads the store)."""
        if self.name == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            with sqlite3.connect(path) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(PG_DSN) as conn:
            return list(conn.execute(sql, params).fetchall())

    def state_bytes(self, raw: Any) -> bytes:
        """The ``state`` column as bytes (SQLite gives bytes, psycopg may give memoryview)."""
        return bytes(raw)


def _sqlite_backend(tmp_path: Path) -> Backend:
    url = f"sqlite:///{tmp_path / 'teichaku.db'}"
    return Backend("sqlite", url, "stored_events", "stored_snapshots", {})


@pytest.fixture
def _postgres_schema() -> Iterator[str]:
    if not postgres_reachable():
        pytest.skip(PG_SKIP_REASON)
    import psycopg
    from psycopg import sql

    schema = f"teichaku_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            drop = sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema))
            conn.execute(drop)
        # The schema's key file (the default place, shared by every process of the test).
        key_file = key_file_of(persistence_env(f"{PG_DSN}?schema={schema}"))
        Path(key_file or "").unlink(missing_ok=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The database; every application opened on it is closed after the test."""
    if request.param == "sqlite":
        found = _sqlite_backend(tmp_path)
    else:
        schema = request.getfixturevalue("_postgres_schema")
        # The pool is kept small: a test opens several application instances at once.
        extra = {"POSTGRES_POOL_SIZE": "4", "POSTGRES_MAX_OVERFLOW": "4"}
        url = f"{PG_DSN}?schema={schema}"
        found = Backend(
            "postgresql", url, f"{schema}.teichaku_events", f"{schema}.teichaku_snapshots", extra
        )
    try:
        yield found
    finally:
        found.close_all()


@pytest.fixture
def store(backend: Backend) -> CaseLog:
    """A ``CaseLog`` on the backend (SQLite file, or a fresh PostgreSQL schema)."""
    return backend.open()
