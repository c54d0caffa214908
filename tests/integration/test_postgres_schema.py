"""`--database postgresql://…?schema=NAME` works on a fresh database: the schema is created."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from api.app import open_cases
from api.settings import Settings
from domain.store.persistence import key_file_of
from tests.factories import case_opened_payload
from tests.integration.conftest import PG_DSN, PG_SKIP_REASON, postgres_reachable

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(not postgres_reachable(), reason=PG_SKIP_REASON)
def test_store_on_a_schema_that_does_not_exist_yet_creates_it_and_keeps_cases() -> None:
    import psycopg

    schema = f"teichaku_new_{uuid.uuid4().hex[:8]}"
    try:
        cases = open_cases(Settings(database_url=f"{PG_DSN}?schema={schema}"))
        case = cases.open_case(case_opened_payload("2024-03-01"), recorded_by="管理 者")
        reopened = open_cases(Settings(database_url=f"{PG_DSN}?schema={schema}"))
        assert reopened.case_ids() == [case.id]
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        key_file = key_file_of(Settings(database_url=f"{PG_DSN}?schema={schema}").persistence_env())
        Path(key_file or "").unlink(missing_ok=True)  # the schema's key file, in var/keys/
