"""``bench.bulk``: a tiny store written in bulk is a store the application reads and trusts.

Six cases over two offices, on an SQLite file and on a fresh PostgreSQL schema: every
case is there with all its planned events, the offices share them evenly, every chain
passes ``teichaku verify``, the personal fields are sealed with a person key per case
(as ``CaseLog`` writes them), the cases read back (from snapshot + events) as they were
built, a second run without ``--append`` is refused, and the cases do not depend on the
number of workers or the batch size (the sealed forms do: random keys and nonces).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from api.cli.main import main as teichaku
from bench import bulk
from tests.integration.conftest import Backend

SEED = 11


def test_tiny_store_is_complete_even_and_verified(
    backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = bulk.generate(backend.url, 6, 2, seed=SEED, batch=4, progress=False)

    spec = bulk.Spec(url=backend.url, offices=2, seed=SEED)
    planned = {n: 1 + len(bulk.case_plan(n, spec).entries) for n in range(6)}
    assert summary.cases == 6
    assert summary.events == sum(planned.values())
    [(rows,)] = backend.select(f"SELECT COUNT(*) FROM {backend.events_table}")
    assert rows == summary.events
    assert summary.snapshots > 0  # every case passes version 50 (and 100)

    app = backend.open()
    ids = app.case_ids()
    assert sorted(ids) == sorted(bulk.case_id(SEED, n) for n in range(6))
    offices = Counter(app.get_case(i).records[0].payload["office_id"] for i in ids)
    assert offices == {"1310100001": 3, "1310100002": 3}
    schema = backend.events_table.rpartition(".")[0]  # "" on SQLite
    keys_table = f"{schema}.teichaku_person_keys" if schema else "teichaku_person_keys"
    [(keys,)] = backend.select(f"SELECT COUNT(*) FROM {keys_table}")
    assert keys == 6
    for (state,) in backend.select(
        f"SELECT state FROM {backend.events_table} WHERE originator_version = 1"
    ):
        assert b'"sealed"' in bytes(state)  # the person's name and number, sealed
    for n in range(6):
        stored = app.get_case(bulk.case_id(SEED, n))  # from its latest snapshot + events
        name = bulk.case_plan(n, spec).opened["person"]["name"]
        assert stored.records[0].payload["person"]["name"] == name  # opened with its key
        built, _ = bulk.build_case(n, spec, app.mapper, app.keys.key(stored.id))
        assert stored.version == planned[n]
        assert _plain(stored.records) == _plain(built.records)
        assert _plain(app.stored_records(stored.id)) == _plain(built.records)  # row by row

    capsys.readouterr()
    assert teichaku(["verify", "--database", backend.url]) == 0
    out, err = capsys.readouterr()
    assert out.count(" OK ") == 6
    assert "6 件すべて OK" in err

    with pytest.raises(bulk.StoreNotEmpty):
        bulk.generate(backend.url, 6, 2, seed=SEED, progress=False)
    args = ["--cases", "6", "--offices", "2", "--url", backend.url, "--quiet"]
    assert bulk.main(args) == 2
    assert "--append" in capsys.readouterr().err
    [(still,)] = backend.select(f"SELECT COUNT(*) FROM {backend.events_table}")
    assert still == rows

    more = bulk.generate(backend.url, 2, 2, seed=SEED, append=True, progress=False)
    assert more.cases == 2
    assert set(app.case_ids()) - set(ids) == {bulk.case_id(SEED, 6), bulk.case_id(SEED, 7)}


def _plain(records: list[Any]) -> list[tuple[object, ...]]:
    """What a record says, without its sealed form and hashes (random salts and nonces)."""
    return [(r.case_id, r.version, r.type, r.payload, r.recorded_at, r.recorded_by)
            for r in records]  # fmt: skip


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        query = "SELECT originator_id, originator_version, topic FROM {} ORDER BY 1, 2"
        return (
            conn.execute(query.format("stored_events")).fetchall()
            + conn.execute(query.format("stored_snapshots")).fetchall()
        )


def test_same_seed_same_cases_whatever_the_workers(tmp_path: Path) -> None:
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    bulk.generate(f"sqlite:///{one}", 4, 2, seed=SEED, batch=4, progress=False)
    bulk.generate(f"sqlite:///{two}", 4, 2, seed=SEED, batch=1, workers=2, progress=False)
    assert _rows(one) == _rows(two)
    first, second = bulk.open_store(f"sqlite:///{one}"), bulk.open_store(f"sqlite:///{two}")
    try:
        for n in range(4):
            case = bulk.case_id(SEED, n)
            assert _plain(first.stored_records(case)) == _plain(second.stored_records(case))
    finally:
        first.close()
        second.close()
