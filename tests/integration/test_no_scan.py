"""Nothing on a request path scans the store (issue 24, decision 0049).

Every statement that ``/health``, a list's catch-up, the background refresh of stale
rows and a list ``as_of`` an instant send is recorded, and the database is asked for its
plan: on PostgreSQL ``EXPLAIN`` with sequential scans priced out (so a plan without an
index shows a ``Seq Scan`` node), on SQLite ``EXPLAIN QUERY PLAN`` (a ``SCAN`` of a table
or of a whole index). No plan may read a table of the store from end to end. A store
whose log ends in many access-log entries (reads after the last case event) is the one
where a count of "case events after the position" used to read every one of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.listing_access import ListingRead
from domain.store.application import CaseLog
from projections.views.follower import CaseViews
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend

OFFICES = ("1310100001", "1310100002")
#: Catalogue reads (checking a table's shape once per process) are not the store's data.
CATALOGUE = re.compile(r"information_schema|sqlite_master|pg_|PRAGMA", re.IGNORECASE)


@contextmanager
def recorded(backend: Backend) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT sent to the database in the block, with its parameters."""
    seen: list[tuple[str, Any]] = []
    if backend.name == "sqlite":
        from eventsourcing.sqlite import SQLiteCursor

        cls: Any = SQLiteCursor
    else:
        import psycopg

        cls = psycopg.Cursor
    original = cls.execute

    def execute(self: Any, query: Any, *args: Any, **kw: Any) -> Any:
        text = query if isinstance(query, str) else query.as_string(None)
        if text.lstrip().upper().startswith("SELECT") and not CATALOGUE.search(text):
            seen.append((text, args[0] if args else kw.get("params")))
        return original(self, query, *args, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cls, "execute", execute)
        yield seen


def full_scans(backend: Backend, statements: list[tuple[str, Any]]) -> list[str]:
    """The statements whose plan reads a whole table (or a whole index), with the node."""
    found = []
    if backend.name == "sqlite":
        import sqlite3

        with sqlite3.connect(backend.url.removeprefix("sqlite:///")) as conn:
            for sql, params in statements:
                plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params or ()).fetchall()
                found += [f"{row[-1]} ← {sql}" for row in plan if _sqlite_scan(str(row[-1]))]
        return found
    import psycopg

    schema = backend.events_table.split(".")[0]
    with psycopg.connect(backend.url.split("?")[0]) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute("SET enable_seqscan = off")  # a plan with no index shows a Seq Scan
        for sql, params in statements:
            (plan,) = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
            found += [f"{node} ← {sql}" for node in _pg_nodes(plan[0]["Plan"])
                      if node.startswith(("Seq Scan", "Index Scan full"))]  # fmt: skip
    return found


def _sqlite_scan(detail: str) -> bool:
    # "SCAN t" reads every row; "SCAN t USING [COVERING] INDEX i" every index entry. A
    # subquery's own result ("SCAN known", a CTE or a derived table) is not a table.
    if not detail.startswith("SCAN "):
        return False
    derived = {"known", "e", "older", "newer"}
    return detail.split()[1] not in derived and "CONSTANT ROW" not in detail


def _pg_nodes(node: dict[str, Any]) -> Iterator[str]:
    kind = node["Node Type"]
    relation = node.get("Relation Name", "")
    if kind in ("Index Scan", "Index Only Scan") and not node.get("Index Cond"):
        # An index read from end to end with no condition: still every entry, unless a
        # LIMIT above stops it (a MAX reads one entry from the end); the caller judges.
        kind = "Index Scan full" if node.get("Scan Direction") != "Backward" else kind
    yield f"{kind} {relation}".strip()
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


def _store(backend: Backend) -> tuple[CaseLog, CaseViews]:
    store = backend.open()
    for n in range(6):
        opened = case_opened_payload("2024-03-01", office_id=OFFICES[n % 2],
                                     recipient_number=f"10000000{n:02d}")  # fmt: skip
        case = store.open_case(opened, recorded_by="担当")
        store.record(case.id, "hired", {"hired_on": "2024-04-01", "employer": {"name": "株式会社"},
                                        "job_title": "事務", "weekly_hours": 30,
                                        "disclosed": True}, recorded_by="担当")  # fmt: skip
    views = CaseViews(store)
    views.catch_up()
    # Events after the last case event that are not a case's (reads are no longer events,
    # decision 0052: the log's tail is 60 listing events as stores before it kept them).
    for _ in range(60):
        store.save(ListingRead.note(endpoint="/cases", principal_name="監査", role="auditor",
                                    on=None, case_ids=[case.id], at=store.clock()))  # fmt: skip
    return store, views


def _explained(backend: Backend, work: Callable[[], Any]) -> list[str]:
    with recorded(backend) as statements:
        work()
    assert statements, "nothing was read"
    return full_scans(backend, statements)


def test_health_a_read_s_catch_up_and_the_stale_refresh_use_indexes_only(
    backend: Backend,
) -> None:
    store, views = _store(backend)
    views.analyze()  # as after a bulk load: the planner knows the tables are small …
    # … and is still shown to have an index for every statement (see full_scans)
    assert _explained(backend, views.lag) == []
    assert _explained(backend, lambda: views.fresh(5_000)) == []
    assert _explained(backend, lambda: views.refresh_stale(limit=200)) == []
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert _explained(backend, lambda: views.store.stale(None, tomorrow, 200)) == []
    # The lag is right, without reading the access-log entries after the position one by
    # one: the catch-up saw the head, so /health counts nothing (one statement)
    with recorded(backend) as statements:
        lag = views.lag()
    assert lag.behind == 0 and lag.head >= lag.position + 60
    assert [sql for sql, _ in statements if "topic" in sql] == []
    # A new case event is counted, reading from the head seen (not from the position)
    case_id = store.case_ids()[0]
    store.record(case_id, "evidence_received", {"received_on": "2024-11-01", "kind": "payslip",
                 "covers_on": "2024-10-31"}, recorded_by="担当")  # fmt: skip
    with recorded(backend) as statements:
        assert views.lag().behind == 1
    (count,) = [params for sql, params in statements if "topic" in sql]
    assert count[0] > lag.position + 60  # the first notification id it reads


def test_a_list_as_of_an_instant_reads_only_the_office_s_known_rows_found_by_index(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = _store(backend)
    app = create_app(cases=store)
    token = app.state.tokens.create("admin", "管理 者", None)
    folded: list[Any] = []
    get_case = store.get_case
    monkeypatch.setattr(store, "get_case", lambda i, *a: folded.append(i) or get_case(i, *a))
    monkeypatch.setattr(store, "case_ids", lambda: pytest.fail("read every case id"))
    as_of = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    with TestClient(app) as client, recorded(backend) as statements:
        listed = client.get("/cases", params={"as_of": as_of, "office_id": OFFICES[0]},
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert listed.status_code == 200, listed.text
    ids = [c["case_id"] for c in listed.json()["cases"]]
    assert len(ids) == 3 and {c["office_id"] for c in listed.json()["cases"]} == {OFFICES[0]}
    assert folded == []  # each read from its known rows and clock (decision 0062)
    view_reads = [s for s in statements if "teichaku_case" in s[0]]
    assert any("teichaku_case_known" in sql for sql, _ in view_reads)
    assert full_scans(backend, view_reads) == []


def test_a_rebuild_leaves_planner_statistics_for_the_events_and_the_new_views(
    backend: Backend,
) -> None:
    from projections.views.rebuild import rebuild

    _store(backend)
    report = rebuild(backend.env())
    tables = {"events": backend.events_table.split(".")[-1],
              "cases": f"teichaku_case_view_g{report.generation}",
              "months": f"teichaku_case_month_g{report.generation}"}  # fmt: skip
    if backend.name == "sqlite":
        analysed = {str(r[0]) for r in backend.select("SELECT tbl FROM sqlite_stat1")}
    else:
        schema = backend.events_table.split(".")[0]
        analysed = {str(r[0]) for r in backend.select(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s "
            "AND last_analyze IS NOT NULL", (schema,))}  # fmt: skip
    assert set(tables.values()) <= analysed
