"""The blind index of the 受給者証番号 on SQLite and real PostgreSQL (decision 0035): a view
stored before the index gets it, a rebuild keeps it, an erasure made by another process
(which replaces the KEK) neither breaks it for the others nor leaves the erased entry."""

from __future__ import annotations

import sqlite3

from domain.finding import blind_number, index_key
from projections.views.follower import CaseViews
from projections.views.rebuild import rebuild
from tests.factories import case_opened_payload
from tests.integration.conftest import PG_DSN, Backend
from tests.integration.test_views import _office


def _execute(backend: Backend, *statements: str) -> None:
    """DDL outside the application, as an older version of it left the tables."""
    if backend.name == "sqlite":
        with sqlite3.connect(backend.url.removeprefix("sqlite:///")) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    import psycopg

    with psycopg.connect(PG_DSN) as conn:
        for sql in statements:
            conn.execute(sql)


def _table(backend: Backend, gen: int) -> str:
    schema = "" if backend.name == "sqlite" else backend.events_table.split(".")[0] + "."
    return f"{schema}teichaku_case_view_g{gen}"


def _entries(backend: Backend, gen: int) -> dict[str, tuple[str | None, str | None]]:
    rows = backend.select(f"SELECT case_id, number_ix, ix_kek FROM {_table(backend, gen)}")
    return {str(case_id): (ix, kek) for case_id, ix, kek in rows}


def test_a_view_stored_before_the_index_gets_it_and_a_rebuild_keeps_it(backend: Backend) -> None:
    # Given views stored by a version without the index (its columns and indexes absent)
    store = backend.open()
    ids = _office(store, 3)
    views = CaseViews(store)
    views.catch_up()
    gen = views.generation
    table = _table(backend, gen)
    prefix = table.removesuffix(f"teichaku_case_view_g{gen}")
    _execute(
        backend,
        f"DROP INDEX {prefix}teichaku_view_g{gen}_number",
        f"DROP INDEX {prefix}teichaku_view_g{gen}_ixkek",
        f"ALTER TABLE {table} DROP COLUMN number_ix",
        f"ALTER TABLE {table} DROP COLUMN ix_kek",
    )
    # When a process of this version opens the store
    later = backend.open()
    found = CaseViews(later).store.find_number(None, "0000000001")
    # Then the table has the columns, every row is indexed, and the number is found
    assert found is not None and found[1] == [ids[1]]
    kek = later.keys.keks.current()
    expected = blind_number(index_key(kek.key), "0000000001")
    assert _entries(backend, gen)[str(ids[1])] == (expected, kek.id)
    assert all(ix is not None and k == kek.id for ix, k in _entries(backend, gen).values())
    # And a rebuild writes the next generation with its index
    report = rebuild(backend.env(), workers=1)
    assert report.generation == gen + 1
    assert CaseViews(backend.open()).store.find_number(None, "0000000002") == (gen + 1, [ids[2]])
    assert all(ix is not None for ix, _ in _entries(backend, gen + 1).values())


def test_an_erasure_in_another_process_leaves_no_entry_and_the_rest_found(
    backend: Backend,
) -> None:
    # Given a server process that has indexed every row under the KEK it knows
    server = backend.open()
    ids = _office(server, 3)
    views = CaseViews(server)
    views.catch_up()
    before = server.keys.keks.current().id
    assert views.store.find_number(None, "0000000000") == (views.generation, [ids[0]])
    # When another process (the command line) erases one person: the KEK is replaced
    command = backend.open()
    command.erase_person(ids[0], reason="本人からの削除請求", recorded_by="管理者")
    CaseViews(command).catch_up()
    # Then the erased case's entry is gone
    assert _entries(backend, views.generation)[str(ids[0])][0] is None
    # and the server, still holding the old KEK in memory, finds the others under the new one
    assert views.store.find_number(None, "0000000002") == (views.generation, [ids[2]])
    assert views.store.find_number(None, "0000000000") == (views.generation, [])
    after = {kek for _, kek in _entries(backend, views.generation).values()}
    assert after == {command.keys.keks.current().id} and before not in after


def test_the_erased_entry_goes_even_when_a_follower_folded_the_erasure_before_the_key_went(
    backend: Backend,
) -> None:
    # Given the erasure's event folded while the person key still existed (a server's
    # follower between the event and the key's destruction): an entry was made
    store = backend.open()
    (case_id,) = _office(store, 1)
    views = CaseViews(store)
    views.catch_up()
    keys = store.keys
    destroy = keys.destroy
    keys.destroy = lambda c: views.catch_up() >= 0 and destroy(c)  # type: ignore[method-assign]
    store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")
    (number_ix, kek_id) = _entries(backend, views.generation)[str(case_id)]
    assert number_ix is not None and kek_id != keys.keks.current().id  # under a KEK now gone
    # When the views are next followed (or searched), the entry is gone
    assert views.store.reindex(None) == 1
    assert _entries(backend, views.generation)[str(case_id)] == (None, keys.keks.current().id)
    assert views.store.find_number(None, "0000000000") == (views.generation, [])


def test_a_corrected_number_is_found_and_the_number_it_replaced_is_not(backend: Backend) -> None:
    store = backend.open()
    (case_id,) = _office(store, 1)
    views = CaseViews(store)
    views.catch_up()
    assert views.store.find_number(None, "0000000000") == (views.generation, [case_id])
    # When the opening is corrected with the right number (the view row is folded again)
    opened = case_opened_payload("2024-03-01", office_id="1310100001",
                                 recipient_number="5550000000")  # fmt: skip
    store.record(case_id, "event_corrected", {"target_version": 1, "reason": "番号の誤り",
                 "replacement": opened}, recorded_by="管理者")  # fmt: skip
    views.catch_up()
    # Then the index follows the fold: the new number finds the case, the old one nothing
    assert views.store.find_number(None, "5550000000") == (views.generation, [case_id])
    assert views.store.find_number(None, "0000000000") == (views.generation, [])
