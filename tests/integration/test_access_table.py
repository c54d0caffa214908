"""The access log as an append-only table (decision 0052), on SQLite and on PostgreSQL.

Readers of one case never abort each other, every read is kept, the hash chain of each
stream names the row that was altered or removed in the database, a reader's history is
one indexed query, and a store written before the table (reads and lists as events) is
read with its old entries copied once, in order.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.store.access_table import INDEX_BATCH, AccessEntry, stream_of
from domain.store.application import CaseLog, persistence_env
from tests.factories import case_opened_payload
from tests.integration.conftest import PG_DSN, Backend

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _together(threads: list[threading.Thread]) -> None:
    """Start every thread, then wait for all of them."""
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _table(backend: Backend, name: str = "teichaku_access") -> str:
    if backend.name == "sqlite":
        return name
    return backend.events_table.split(".")[0] + "." + name


def _execute(backend: Backend, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change the table behind the application's back (as anyone with database access could)."""
    if backend.name == "sqlite":
        with sqlite3.connect(backend.url.removeprefix("sqlite:///")) as conn:
            conn.execute(sql.replace("%s", "?"), params)
        return
    import psycopg

    with psycopg.connect(PG_DSN) as conn:
        conn.execute(sql, params)  # type: ignore[arg-type]


def _read(store: CaseLog, case_id: UUID, n: int, reader: str = "監査 花子") -> None:
    store.note_access(case_id, reader=reader, role="auditor", endpoint=f"/cases/{{case_id}}/r{n}",
                      as_of=None, on=None)  # fmt: skip


def test_concurrent_reads_of_one_case_in_two_processes_are_all_kept_in_one_chain(
    backend: Backend, store: CaseLog
) -> None:
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当")
    other = backend.open()  # a second server process on the same database
    failures: list[BaseException] = []

    def reads(app: CaseLog, first: int) -> None:
        try:
            for n in range(first, first + 15):
                _read(app, case.id, n)
        except BaseException as exc:  # an abort would show here: there is no retry left
            failures.append(exc)

    _together([threading.Thread(target=reads, args=(app, k * 15))
               for k, app in enumerate((store, other, store, other))])  # fmt: skip

    assert failures == []
    endpoints = {e["endpoint"] for e in store.access_entries(case.id)}
    assert endpoints == {f"/cases/{{case_id}}/r{n}" for n in range(60)}
    assert store.access.verify(str(case.id)) == []
    rows = backend.select(f"SELECT seq FROM {_table(backend)} WHERE stream = %s ORDER BY seq",
                          (str(case.id),))  # fmt: skip
    assert [r[0] for r in rows] == list(range(1, 61))  # one chain, no gap, no fork


def test_checked_entries_racing_with_other_writers_in_two_processes_all_land(
    backend: Backend, store: CaseLog
) -> None:
    """An entry written only while its reader's token is unchanged (decisions 0058-0060)
    reads before it writes: on SQLite (WAL) a transaction that read first and then
    writes after another connection committed fails at once ("database is locked", no
    wait), so the write lock is taken first. Checked reads, plain reads and listings of
    two processes at once: none is refused, every one is kept."""
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当")
    other = backend.open()
    token = UUID("00000000-0000-4000-8000-00000000beef")  # no event: unchanged at version 0
    failures: list[BaseException] = []

    def reads(app: CaseLog, first: int, checked: bool) -> None:
        try:
            for n in range(first, first + 60):
                if checked:
                    noted = app.note_access(case.id, reader="監査 次郎", role="auditor",
                                            endpoint=f"c{n}", as_of=None, on=None,
                                            unchanged=[(token, 0)])  # fmt: skip
                    assert noted
                else:
                    app.note_listing([case.id], reader="担当 一郎", role="staff",
                                     endpoint=f"l{n}", on=None)  # fmt: skip
        except BaseException as exc:
            failures.append(exc)

    _together([threading.Thread(target=reads, args=(app, k * 60, k % 2 == 0))
               for k, app in enumerate((store, other, other, store))])  # fmt: skip

    assert failures == []
    endpoints = {e["endpoint"] for e in store.access_entries(case.id)}
    assert endpoints == {f"{'c' if k % 2 == 0 else 'l'}{n}"
                         for k in range(4) for n in range(k * 60, k * 60 + 60)}  # fmt: skip
    assert store.access.verify(str(case.id)) == []


def test_a_row_altered_in_the_database_is_named_by_the_chain_check(
    backend: Backend, store: CaseLog
) -> None:
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当")
    for n in range(4):
        _read(store, case.id, n)
    stream = str(case.id)
    assert store.access.verify(stream) == []

    _execute(backend, f"UPDATE {_table(backend)} SET principal_name = %s "
             "WHERE stream = %s AND seq = 2", ("別人", stream))  # fmt: skip
    (altered,) = store.access.verify(stream)
    assert altered.seq == 2 and "ハッシュ" in altered.problem and altered.entry_id is not None


def test_a_removed_row_is_named_in_the_middle_and_at_the_end(
    backend: Backend, store: CaseLog
) -> None:
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当")
    for n in range(5):
        _read(store, case.id, n)
    stream = str(case.id)
    _execute(backend, f"DELETE FROM {_table(backend)} WHERE stream = %s AND seq = 3", (stream,))
    breaks = store.access.verify(stream)
    assert {b.seq for b in breaks} == {4} and any("第3件" in b.problem for b in breaks)

    _execute(backend, f"DELETE FROM {_table(backend)} WHERE stream = %s AND seq = 5", (stream,))
    assert any(b.entry_id is None and "第5件" in b.problem for b in store.access.verify(stream))


def test_entries_of_every_shape_verify_however_the_backend_hashed_them(
    backend: Backend, store: CaseLog
) -> None:
    """PostgreSQL hashes an entry in SQL, SQLite in Python: both chains verify with names
    and endpoints that JSON must escape, ``as_of`` and ``on`` set or not, and a listing."""
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当")
    odd = ['監査 "花子"', "back\\slash", "改行\nあり", "\u2028区切り", "絵文字🙂", "tab\tx"]
    for n, name in enumerate(odd):
        store.note_access(case.id, reader=name, role="auditor", endpoint=f"/r/{name}",
                          as_of=None if n % 2 else datetime(2025, 1, n + 1, 9, tzinfo=UTC),
                          on=None if n % 3 else date(2025, 2, n + 1))  # fmt: skip
    store.note_listing([case.id], reader=odd[0], role="auditor", endpoint="/cases", on=None)
    assert store.access.verify(str(case.id)) == []
    assert store.access.verify(f"listing:{odd[0]}") == []
    assert [e["principal_name"] for e in store.access_entries(case.id)] == [*odd, odd[0]]
    _execute(backend, f"UPDATE {_table(backend)} SET endpoint = %s WHERE stream = %s AND seq = 6",
             ("/elsewhere", str(case.id)))  # fmt: skip
    assert [b.seq for b in store.access.verify(str(case.id))] == [6]


def _two_cases(store: CaseLog) -> tuple[UUID, UUID]:
    first = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当").id
    second = store.open_case(
        case_opened_payload("2024-03-01", recipient_number="1000000099"), recorded_by="担当"
    ).id
    return first, second


def test_a_case_log_shows_its_reads_and_the_lists_that_named_it_and_a_reader_s_history(
    backend: Backend, store: CaseLog
) -> None:
    first, second = _two_cases(store)
    _read(store, first, 1, reader="支援員 一")
    store.note_listing([first, second], reader="支援員 一", role="staff", endpoint="/cases",
                       on=None)  # fmt: skip
    _read(store, second, 2, reader="支援員 一")
    _read(store, first, 3, reader="支援員 二")

    assert [e["endpoint"] for e in store.access_entries(first)] == [
        "/cases/{case_id}/r1", "/cases", "/cases/{case_id}/r3"]  # fmt: skip
    assert [e["endpoint"] for e in store.access_entries(second)] == [
        "/cases", "/cases/{case_id}/r2"]  # fmt: skip
    mine = store.access.reads_by("支援員 一", 10)  # case reads only, newest first
    assert [(r["case_id"], r["endpoint"]) for r in mine] == [
        (str(second), "/cases/{case_id}/r2"), (str(first), "/cases/{case_id}/r1")]  # fmt: skip
    listing = stream_of(AccessEntry("listing", store.clock(), "", "支援員 一", "staff", None, None))
    assert store.access.verify(listing) == []


def test_a_listing_is_indexed_after_the_answer_and_found_before_and_after(
    backend: Backend, store: CaseLog
) -> None:
    first, second = _two_cases(store)
    store.note_listing([first, second], reader="支援員 一", role="staff", endpoint="/cases",
                       on=None)  # fmt: skip
    cases = _table(backend, "teichaku_access_cases")
    # The read wrote one row, its entry: no index row of its cases (issue 24)
    assert backend.select(f"SELECT COUNT(*) FROM {cases}")[0][0] == 0
    assert [e["endpoint"] for e in store.access_entries(first)] == ["/cases"]  # found by id
    # The follower's indexer indexes it, up to the horizon; found once, through the index
    assert store.access.index_listings() == 1
    assert store.access.index_listings() == 0  # nothing left: the position moved
    pairs = {(str(c), int(e)) for c, e in backend.select(f"SELECT case_id, entry_id FROM {cases}")}
    assert {c for c, _ in pairs} == {str(first), str(second)}
    assert [e["endpoint"] for e in store.access_entries(first)] == ["/cases"]
    assert [e["endpoint"] for e in store.access_entries(second)] == ["/cases"]
    # A later listing, not indexed yet, is found beside the indexed one
    store.note_listing([second], reader="支援員 二", role="staff", endpoint="web:dashboard",
                       on=None)  # fmt: skip
    assert [e["endpoint"] for e in store.access_entries(second)] == ["/cases", "web:dashboard"]
    assert [e["endpoint"] for e in store.access_entries(first)] == ["/cases"]


def test_a_backlog_of_listings_is_indexed_in_batches_each_found_once(
    backend: Backend, store: CaseLog
) -> None:
    """Listings left unindexed (a process without a follower wrote them) are indexed a
    batch per transaction (:data:`INDEX_BATCH`): every one, each pair once, in order."""
    first, second = _two_cases(store)
    total = INDEX_BATCH * 2 + 7  # three batches, the last one short
    for n in range(total):
        store.note_listing([first, second] if n % 2 else [first], reader="支援員 一",
                           role="staff", endpoint=f"/l{n}", on=None)  # fmt: skip
    assert store.access.index_listings(INDEX_BATCH + 1) == INDEX_BATCH + 1  # up to the limit
    assert store.access.index_listings() == total - INDEX_BATCH - 1
    assert store.access.index_listings() == 0
    cases = _table(backend, "teichaku_access_cases")
    assert backend.select(f"SELECT COUNT(*) FROM {cases}")[0][0] == total + total // 2
    assert [e["endpoint"] for e in store.access_entries(first)] == [f"/l{n}" for n in range(total)]
    assert [e["endpoint"] for e in store.access_entries(second)] == [
        f"/l{n}" for n in range(total) if n % 2]  # fmt: skip


def test_the_listings_not_yet_indexed_are_read_by_index(backend: Backend, store: CaseLog) -> None:
    store.note_listing([], reader="x", role="staff", endpoint="/cases", on=None)
    query = (f"SELECT id FROM {_table(backend)} WHERE kind = 'listing' AND id > %s "
             "AND case_ids LIKE %s")  # fmt: skip
    if backend.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in backend.select("EXPLAIN QUERY PLAN " + query, (0, "%")))
        assert "teichaku_access_listings" in plan and "SCAN teichaku_access" not in plan
    else:
        import psycopg

        with psycopg.connect(PG_DSN) as conn:
            conn.execute("SET enable_seqscan = off")
            rows = conn.execute("EXPLAIN " + query, (0, "%")).fetchall()  # type: ignore[call-overload]
        assert "teichaku_access_listings" in " ".join(str(r[0]) for r in rows)


def test_a_reader_s_history_is_an_indexed_query(backend: Backend, store: CaseLog) -> None:
    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当")
    _read(store, case.id, 1)
    query = (f"SELECT stream FROM {_table(backend)} WHERE principal_name = %s AND kind = 'case' "
             "ORDER BY id DESC LIMIT 200")  # fmt: skip
    if backend.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in backend.select("EXPLAIN QUERY PLAN " + query, ("x",)))
        assert "teichaku_access_by_reader" in plan and "SCAN teichaku_access" not in plan
    else:
        import psycopg

        with psycopg.connect(PG_DSN) as conn:
            conn.execute("SET enable_seqscan = off")
            rows = conn.execute("EXPLAIN " + query, ("x",)).fetchall()  # type: ignore[call-overload]
        assert "teichaku_access_by_reader" in " ".join(str(r[0]) for r in rows)


def test_a_store_written_before_the_table_shows_its_old_reads_and_lists(tmp_path: Path) -> None:
    made = json.loads((FIXTURES / "access_before_0052.json").read_text())
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "access_before_0052.db", path)  # the fixture itself is never written
    # its key file (keys of fictional people only): the store refuses to open without it
    shutil.copy(FIXTURES / "access_before_0052.db.keys", tmp_path / "old.db.keys")
    env = persistence_env(f"sqlite:///{path}")
    first, second = UUID(made["first"]), UUID(made["second"])

    store = CaseLog(env=env)
    staff, auditor = "支援員 旧記録", "監査員 旧記録"
    old_first = [(e["endpoint"], e["principal_name"]) for e in store.access_entries(first)]
    assert old_first == [
        ("/cases/{case_id}/entitlement", staff), ("/cases/{case_id}/timeline", staff),
        ("/cases/{case_id}/audit", auditor), ("/cases", staff)]  # fmt: skip
    assert [e["endpoint"] for e in store.access_entries(second)] == [
        "/cases/{case_id}/entitlement", "/cases"]  # fmt: skip
    assert all(store.access.verify(s) == [] for s in store.access.streams())
    _read(store, first, 9)  # a new read is chained after the copied ones
    store.close()

    again = CaseLog(env=env)  # the next process does not copy them a second time
    assert len(again.access_entries(first)) == 5
    assert again.access.verify(str(first)) == []
    again.close()


def test_entries_written_as_events_are_copied_once_on_both_backends(
    backend: Backend, store: CaseLog
) -> None:
    from domain.access import CaseAccessLog
    from domain.listing_access import ListingRead

    case = store.open_case(case_opened_payload("2024-03-01"), recorded_by="担当").id
    log = CaseAccessLog.start(case, store.clock())  # as the code before decision 0052 wrote them
    for n in range(3):
        log.note(endpoint=f"/old/{n}", principal_name="旧 読者", role="staff", as_of=None,
                 on=None, at=store.clock())  # fmt: skip
    store.save(log)
    store.save(ListingRead.note(endpoint="/cases", principal_name="旧 読者", role="staff",
                                on=None, case_ids=[case], at=store.clock()))  # fmt: skip
    tables = ("teichaku_access", "teichaku_access_heads", "teichaku_access_cases",
              "teichaku_access_meta")  # fmt: skip
    for table in tables:  # the store as it was before the table existed
        _execute(backend, f"DROP TABLE {_table(backend, table)}")
    store.close()

    upgraded = backend.open()
    expected = ["/old/0", "/old/1", "/old/2", "/cases"]
    assert [e["endpoint"] for e in upgraded.access_entries(case)] == expected
    assert [r["endpoint"] for r in upgraded.access.reads_by("旧 読者", 10)] == expected[2::-1]
    assert upgraded.access.verify(str(case)) == []
    assert [e["endpoint"] for e in backend.open().access_entries(case)] == expected  # once
