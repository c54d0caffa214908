"""The stored case views on SQLite and real PostgreSQL: current after every write, equal to
the fold, rebuilt beside the live view, and resumed after a rebuild is killed midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.sealing import reveal
from domain.store.application import CaseLog
from projections.entitlement import entitlement
from projections.views.follower import CaseViews
from projections.views.rebuild import rebuild
from projections.views.row import case_row
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend
from tests.integration.sample import EVENTS, OPENED, record_every_type

ROOT = Path(__file__).resolve().parents[2]
OFFICE = "1310100001"
DAYS = [date(2024, 3, 1), date(2024, 9, 30), date(2024, 10, 1), date(2025, 6, 1), date(2028, 1, 1)]


@pytest.fixture
def http(backend: Backend, store: CaseLog) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(cases=store)
    staff = app.state.tokens.create("staff", "担当 一郎", OFFICE)
    auditor = app.state.tokens.create("auditor", "監査 花子")
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {staff}"
        client.auditor = {"Authorization": f"Bearer {auditor}"}  # type: ignore[attr-defined]
        yield client, {"Authorization": f"Bearer {staff}"}


def _office(store: CaseLog, n: int, office: str = OFFICE) -> list[UUID]:
    """``n`` small cases: opened, hired, and every third one with a decision."""
    ids = []
    for k in range(n):
        opened = case_opened_payload(
            "2024-03-01", office_id=office, recipient_number=f"{k:010d}"
        )
        case = store.open_case(opened, recorded_by="担当")
        store.record(case.id, "hired", {"hired_on": "2024-04-01",
                     "employer": {"name": "株式会社サンプル"}}, recorded_by="担当")  # fmt: skip
        if k % 3 == 0:
            store.record(case.id, "decision_granted", {"decided_on": "2024-09-25",
                         "valid_from": "2024-10-01", "valid_to": "2025-09-30",
                         "municipality_code": "131016"}, recorded_by="担当")  # fmt: skip
        ids.append(case.id)
    return ids


def _assert_views_equal_the_fold(store: CaseLog, views: CaseViews, ids: list[UUID]) -> None:
    rows = {r.case_id: r for r in views.store.rows(views.generation, ids)}
    assert set(rows) == set(ids)
    for case_id in ids:
        records = store.get_case(case_id).records
        row = rows[case_id]
        folded = case_row(case_id, records, row.computed_on)
        # A fold keeps the person sealed; the store opens it with the person's key.
        opened = reveal(folded.person, store.keys.key(case_id)).payload
        assert row == replace(folded, person=opened)
        assert row.person["name"] != folded.person["name"]  # it was sealed, and opened
        for on in DAYS:
            assert row.status_on(on) == entitlement(records, on).status


def test_a_write_shows_in_the_list_right_after_its_201(
    http: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = http
    opened = client.post("/cases", json=OPENED)
    case_id = opened.json()["case_id"]

    listed = client.get("/cases", params={"on": "2025-01-15"}).json()["cases"]
    assert [(c["case_id"], c["status"], c["version"]) for c in listed] == [
        (case_id, "not_employed", 1)
    ]

    hire = {"type": EVENTS[0][0], **EVENTS[0][1]}
    assert client.post(f"/cases/{case_id}/events", json=hire).status_code == 201
    waiting = client.get("/cases", params={"on": "2024-06-01", "status": "waiting"})
    assert [c["case_id"] for c in waiting.json()["cases"]] == [case_id]
    assert waiting.json()["cases"][0]["version"] == 2
    assert waiting.headers["X-Views-Behind"] == "0"


def test_health_says_how_far_the_views_are_behind_the_log(
    http: tuple[TestClient, dict[str, str]], store: CaseLog
) -> None:
    client, _ = http
    _office(store, 2)  # written around the API: the views have not seen it yet

    before = client.get("/health").json()["views"]
    client.get("/cases")
    after = client.get("/health").json()["views"]

    # 2 cases opened and hired, one with a decision: 5 case events not yet folded
    assert before["behind"] == 5 and before["head"] > before["position"]
    assert after["behind"] == 0  # the listing's own access entry is no case event
    assert after["position"] > before["position"]


def test_pages_follow_the_cursor_through_every_case_once(
    http: tuple[TestClient, dict[str, str]], store: CaseLog
) -> None:
    client, _ = http
    ids = {str(i) for i in _office(store, 7)}
    _office(store, 2, office="2710100002")  # another office: never listed for this staff

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/cases", params=params).json()
        seen += [c["case_id"] for c in body["cases"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    everything = client.get("/cases", params={"limit": 100}).json()
    assert [c["case_id"] for c in everything["cases"]] == seen
    assert client.get("/cases", params={"cursor": "garbage"}).status_code == 422


def test_status_filter_pages_keep_only_matching_cases(
    http: tuple[TestClient, dict[str, str]], store: CaseLog
) -> None:
    client, _ = http
    ids = _office(store, 7)
    with_decision = {str(i) for k, i in enumerate(ids) if k % 3 == 0}

    first = client.get("/cases", params={"status": "in_support", "on": "2025-01-15", "limit": 2})
    rest = client.get("/cases", params={"status": "in_support", "on": "2025-01-15",
                                        "cursor": first.json()["next_cursor"]})  # fmt: skip

    found = [c["case_id"] for c in first.json()["cases"] + rest.json()["cases"]]
    assert sorted(found) == sorted(with_decision)


def test_one_listing_is_one_access_entry_naming_the_cases_it_showed(
    http: tuple[TestClient, dict[str, str]], store: CaseLog
) -> None:
    client, _ = http
    first, second = _office(store, 2)
    head = store.recorder.max_notification_id() or 0

    client.get("/cases", params={"limit": 1})

    assert store.recorder.max_notification_id() == head  # an access-table row, not an event
    (listing,) = store.access.streams()  # one entry, in the reader's listing stream
    assert listing.startswith("listing:") and store.access.verify(listing) == []
    log = client.get(f"/cases/{first}/access-log", headers=client.auditor).json()  # type: ignore[attr-defined]
    assert [e["endpoint"] for e in log["entries"]] == ["/cases"]
    other = client.get(f"/cases/{second}/access-log", headers=client.auditor).json()  # type: ignore[attr-defined]
    assert other["entries"] == []  # not on the page shown


def test_views_equal_the_fold_after_a_rebuild_in_two_processes(backend: Backend) -> None:
    store = backend.open()
    ids = _office(store, 9)
    views = CaseViews(store)
    live = views.generation
    views.catch_up()

    report = rebuild(backend.env(), workers=2)

    assert report.generation == live + 1 and report.cases == 9 and report.resumed == 0
    fresh = CaseViews(backend.open())
    assert fresh.generation == live + 1
    _assert_views_equal_the_fold(store, fresh, ids)
    assert fresh.lag().behind == 0
    tables = backend.select(_tables_sql(backend), ("teichaku_case%",))
    assert not any(name.endswith(f"_g{live}") for (name,) in tables)  # the old one dropped


def test_a_killed_rebuild_resumes_where_it_stopped(backend: Backend) -> None:
    store = backend.open()
    ids = _office(store, 70)
    views = CaseViews(store)
    views.catch_up()
    command = [sys.executable, "-m", "api.cli", "projections", "rebuild",
               "--database", backend.url, "--throttle-ms", "400"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        done = _wait_for_progress(backend, minimum=20)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 20 <= done < 70, done
    assert views.store.meta("rebuilding") is not None  # still the old generation live

    store.record(ids[0], "resigned", {"resigned_on": "2024-12-01"}, recorded_by="担当")
    report = rebuild(backend.env(), workers=1)

    assert report.resumed >= 20 and report.cases == 70
    resumed = CaseViews(backend.open())
    _assert_views_equal_the_fold(store, resumed, ids)  # the resignation too, after resuming


def _wait_for_progress(backend: Backend, minimum: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            (count,) = backend.select("SELECT COUNT(*) FROM " + _progress(backend))[0]
        except Exception:  # the table is not there yet
            count = 0
        if count >= minimum:
            return int(count)
        time.sleep(0.05)
    raise AssertionError("the rebuild made no progress within 60 s")


def _progress(backend: Backend) -> str:
    if backend.name == "sqlite":
        return "teichaku_view_rebuild"
    return backend.events_table.split(".")[0] + ".teichaku_view_rebuild"


def _tables_sql(backend: Backend) -> str:
    if backend.name == "sqlite":
        return "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE %s"
    schema = backend.events_table.split(".")[0]
    return (
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = '{schema}' AND table_name LIKE %s"
    )


def test_personal_data_in_the_view_is_encrypted_with_the_store_cipher(tmp_path: Path) -> None:
    from eventsourcing.cipher import AESCipher

    from domain.store.application import persistence_env

    key = AESCipher.create_key(32)
    url = f"sqlite:///{tmp_path / 'sealed.db'}"
    env = {**persistence_env(url), "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
           "CIPHER_KEY": key}  # fmt: skip
    store = CaseLog(env=env)
    try:
        (case_id,) = _office(store, 1)
        views = CaseViews(store)
        views.catch_up()
        import sqlite3

        with sqlite3.connect(tmp_path / "sealed.db") as conn:
            (person,) = conn.execute("SELECT person FROM teichaku_case_view_g1").fetchone()
        assert "試験".encode() not in bytes(person)
        (row,) = views.store.rows(1, [case_id])
        assert row.person["name"] == "試験 花子"
    finally:
        store.close()


def test_a_row_of_an_earlier_day_is_folded_again_for_today(backend: Backend) -> None:
    today = date(2025, 1, 15)
    store = backend.open()
    (case_id,) = _office(store, 1)
    views = CaseViews(store)
    views.store.write(views.generation, views.fold([case_id], today - timedelta(days=40)), None)

    (old,) = views.store.rows(views.generation, [case_id])
    (new,) = views.refresh([old], today)

    assert old.computed_on == today - timedelta(days=40) and new.computed_on == today
    assert new == case_row(case_id, store.get_case(case_id).records, today)
    (stored,) = views.store.rows(views.generation, [case_id])
    assert stored.computed_on == today


def test_month_rows_read_back_as_folded_whichever_months_a_read_asks_for(
    backend: Backend,
) -> None:
    # given: a case whose months differ in every column (contacts, employer contacts, a
    # shared report, billable or not, reasons and warnings), among other cases
    store = backend.open()
    case_id = record_every_type(store)
    store.record(case_id, "support_report_shared", {"month": "2024-11", "shared_on":
                 "2024-11-28", "shared_with": ["本人"]}, recorded_by="担当")  # fmt: skip
    store.record(case_id, "contact_recorded", {"contact_on": "2024-12-03", "counterpart":
                 "employer", "mode": "phone", "party": "株式会社さくら物流"},
                 recorded_by="担当")  # fmt: skip
    _office(store, 2)
    views = CaseViews(store)
    views.catch_up()
    (stored,) = views.store.rows(views.generation, [case_id])
    folded = case_row(case_id, store.get_case(case_id).records, stored.computed_on).months
    assert any(m.report_shared != m.billable for m in folded)  # the columns differ
    assert any(m.face_to_face != m.employer_contacts for m in folded)
    # when the rows are read with every month, some months, one month, or none
    some = (folded[0].month, folded[-1].month, "1999-01")
    reads = {"*": folded, some: (folded[0], folded[-1]), folded[1].month: (folded[1],),
             (): ()}  # fmt: skip
    for months, expected in reads.items():
        rows, _ = views.page(OFFICE, None, 10, months=months)
        (row,) = [r for r in rows if r.case_id == case_id]
        # then each read has exactly those months, each as the fold made it
        assert row.months == expected, months
        if months != "*":
            asked = {months} if isinstance(months, str) else set(months)
            assert all({m.month for m in r.months} <= asked for r in rows)
    assert stored.months == folded


def test_a_list_as_of_while_the_views_are_behind_folds_every_case(
    http: tuple[TestClient, dict[str, str]], store: CaseLog, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # given: two cases the views have folded, then a resignation they have not seen,
    # and a catch-up that leaves them one event behind (a far-behind store)
    client, _ = http
    ids = _office(store, 2)
    assert client.get("/cases").status_code == 200
    store.record(ids[0], "resigned", {"resigned_on": "2024-06-30"}, recorded_by="担当")
    views = client.app.state.views  # type: ignore[attr-defined]
    monkeypatch.setattr(views, "fresh", lambda limit: (views.generation, 1))
    # when the office is listed as of now
    now = (store.clock() + timedelta(minutes=1)).isoformat()
    listed = client.get("/cases", params={"as_of": now, "on": "2024-08-01"})
    # then the views' known rows were not trusted: the resignation shows, from the fold
    assert listed.status_code == 200 and listed.headers["X-Views-Behind"] == "1"
    found = {c["case_id"]: (c["version"], c["status"]) for c in listed.json()["cases"]}
    records = store.get_case(ids[0]).records
    assert found[str(ids[0])] == (records[-1].version,
                                  entitlement(records, date(2024, 8, 1)).status)  # fmt: skip
    assert found[str(ids[0])][1] != entitlement(records[:-1], date(2024, 8, 1)).status


def test_rows_written_together_are_stored_as_each_written_alone(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: one write stores all its rows' tables in a few statements. Whatever the
    statements' size, it keeps each case's newest row and stores the same months, offices,
    known rows and clock pages as writing each row alone."""
    import projections.views.store as view_store

    store = backend.open()
    ids = _office(store, 4)
    store.record(ids[3], "resigned", {"resigned_on": "2024-12-31", "reason": "自己都合"},
                 recorded_by="担当")  # fmt: skip
    views = CaseViews(store)
    today = date(2025, 1, 15)
    older, newer = views.fold(ids, today - timedelta(days=40)), views.fold(ids, today)
    together, alone = views.generation + 1, views.generation + 2
    for gen in (together, alone):
        views.store.create_views(gen)
    # a newer row of cases 0 and 1 is already stored in both generations
    views.store.write(together, newer[:2], None)
    for row in newer[:2]:
        views.store.write(alone, [row], None)

    monkeypatch.setattr(view_store, "MAX_PARAMETERS", 12)  # one case row per statement
    views.store.write(together, [*older, newer[2]], None)  # case 2 twice: the newer wins
    monkeypatch.undo()
    for row in [*older, newer[2]]:
        views.store.write(alone, [row], None)

    expected = {r.case_id: r for r in (newer[0], newer[1], newer[2], older[3])}
    written = views.store.rows(together, ids)
    assert written == views.store.rows(alone, ids)
    assert {r.case_id: (r.computed_on, r.months) for r in written} == {
        i: (r.computed_on, r.months) for i, r in expected.items()
    }
    assert older[0].months != newer[0].months  # the newer row's months were kept

    def contents(gen: int) -> list[list[tuple[Any, ...]]]:
        tables = (views.store.office_table(gen), views.store.month_table(gen),
                  views.store.known_table(gen), views.store.clock_table(gen))  # fmt: skip
        found = []
        with views.store._tx(commit=False) as c:
            for table in tables:
                views.store._run(c, f"SELECT * FROM {table}")
                found.append(sorted(tuple(str(v) for v in dict(r).values()) for r in c.fetchall()))
        return found

    stored = contents(together)
    assert stored == contents(alone)
    assert all(stored)  # every table holds rows: the comparison compared something
