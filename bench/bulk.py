"""A store at national scale for benchmarks: N cases over M offices, written in bulk.

    .venv/bin/python -m bench.bulk --cases 10000 --offices 100 \\
        --url 'postgresql://postgres@127.0.0.1:5432/test?schema=teichaku_bulk10k' --workers 2

Each case is :mod:`bench.casework`'s 3 years 6 months (≈ 130–270 events, ≈ 210 on
average), built **in memory with the domain's own public methods** — ``Case.open`` and
``Case.record``, so every payload schema and invariant applies and the domain computes
the hash chain — with ``recorded_at`` from a walking clock (each event entered 18:00 JST
on its day, :class:`bench.generate.WalkingClock`). Each case first gets its person key
from ``app.keys.key_for_writing`` (a wrapped row in ``teichaku_person_keys``, as
``CaseLog.open_case`` makes it), and the domain seals the personal fields with it. The
pending events are mapped by the application's mapper and written a batch of cases
(``--batch``) per transaction: on PostgreSQL by binary ``COPY`` under the library's own
``LOCK TABLE … IN EXCLUSIVE MODE`` and ``NOTIFY`` (:func:`copy_batch`; ``--no-copy``: the
library's ``insert_events``), on SQLite by the library's recorder. Snapshots are taken
where the application takes them (version 50, then every doubling:
:func:`domain.store.persistence.geometric_snapshot`) and written after the batch's events,
as ``CaseLog.save`` does. ``--rebuild-views`` then runs ``teichaku projections rebuild``
(with its progress bar). Nothing goes through
``CaseLog.record``, which loads and saves one event at a time (≈ 700 events/s on SQLite,
≈ 270 on PostgreSQL — hours for 2M events).

Cases are numbered ``0 … N-1`` and case ``n`` belongs to office ``n mod M`` (ids
``1310100001``, ``1310100002``, …), so every office has ``N/M`` cases (± 1). Everything a
case holds is a function of ``(--seed, --today, n)``: its own random stream, its id
(``uuid5``), its hire date (up to two years before the latest hire, 43 months before
``--today``, so every case has ended by ``--today``), its contact intensity (1–3 a
month; 5 for the first ``--heavy`` cases, ≈ 400 events) and its instants. The stored
events are therefore the same for any ``--workers`` and ``--batch`` except the sealed
values (each store makes its own random person keys, and sealing draws a fresh nonce);
the notification order differs too.

Notification order: inside one batch the cases' events are merged by recorded instant
(an office's evening entries, interleaved across the batch's cases); batches follow one
another (and, with ``--workers 2``, the two workers' batches alternate), so the log is a
series of time-ordered runs rather than one run over the whole period — a store loaded
by a migration would look like this too. A global interleave would keep every case of
the store in memory at once (≈ 0.5 MB each).

The store must be empty (no event of any kind) unless ``--append`` is given; appended
cases continue the numbering after the cases already stored.
"""

from __future__ import annotations

import argparse
import heapq
import multiprocessing
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID, uuid5

from eventsourcing.persistence import Mapper, StoredEvent

from bench.casework import STAFF, Plan, plan_case
from bench.generate import WalkingClock
from domain.case import Case
from domain.history import TOKYO, utc_now
from domain.rules.cal import add_months
from domain.sealing import PersonKey
from domain.store.application import CASE_FIRST_SNAPSHOT, CaseLog
from domain.store.persistence import geometric_snapshot, persistence_env

#: The anchor day of the default store (every case has ended by then): fixed, so that a
#: seed alone decides the store.
DEFAULT_TODAY = date(2026, 12, 1)
#: The first office id; office ``k`` is ``FIRST_OFFICE + k`` (10 digits).
FIRST_OFFICE = 1310100001
#: Names the case ids: ``uuid5(CASE_NAMESPACE, "<seed>:<n>")``.
CASE_NAMESPACE = UUID("6f1c1d2e-3b7a-5c4e-9a0b-7e2d4c6b8a10")
#: Mean events per case of the plan (for the first progress estimate only).
_MEAN_EVENTS = 210


class Refused(Exception):
    """The generator will not run as asked (the command exits 2 with this message)."""


class StoreNotEmpty(Refused):
    """The store already holds events and ``--append`` was not given."""

    def __init__(self, events: int) -> None:
        self.events = events
        super().__init__(
            f"保存先は空ではありません(記録 {events:,} 件)。追記する場合は --append を"
            f"指定してください / the store is not empty ({events:,} events): "
            "pass --append to add cases to it"
        )


@dataclass(frozen=True)
class Spec:
    """What to generate: the part of the arguments every worker needs."""

    url: str
    offices: int
    seed: int = 7
    today: date = DEFAULT_TODAY
    snapshots: bool = True
    #: Cases ``0 … heavy-1`` are planned with 5 contacts a month (≈ 400 events, as
    #: ``bench.generate``'s heavy case) instead of 1–3: the case the read benchmarks open.
    heavy: int = 0
    #: PostgreSQL: write with ``COPY … FROM STDIN (FORMAT BINARY)`` (False: the library's
    #: ``insert_events``, one ``INSERT … SELECT FROM unnest(…)`` statement per batch).
    copy: bool = True


@dataclass
class Summary:
    cases: int = 0
    events: int = 0
    snapshots: int = 0
    seconds: float = 0.0
    #: Summed over the workers: building the cases (domain + mapper), and the inserts.
    building: float = 0.0
    inserting: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


# -- what a case is -------------------------------------------------------------------


def office_id(k: int) -> str:
    """The 10-digit id of office ``k`` (0-based)."""
    return f"{FIRST_OFFICE + k:010d}"


def case_office(n: int, offices: int) -> str:
    return office_id(n % offices)


def case_id(seed: int, n: int) -> UUID:
    return uuid5(CASE_NAMESPACE, f"{seed}:{n}")


def case_plan(n: int, spec: Spec) -> Plan:
    """Case ``n``'s plan, from its own random stream (independent of every other case)."""
    rng = random.Random(f"teichaku-bulk:{spec.seed}:{n}")
    latest_hire = add_months(spec.today, -43)
    hired = latest_hire - timedelta(days=rng.randint(0, 730))
    intensity = rng.choice([1, 2, 2, 3])
    if n < spec.heavy:
        intensity = 5
    return plan_case(n, hired, rng, intensity, office=case_office(n, spec.offices))


def build_case(
    n: int, spec: Spec, mapper: Mapper[UUID], key: PersonKey | None = None
) -> tuple[Case, list[StoredEvent]]:
    """Case ``n`` built through ``Case.open``/``Case.record`` (its events still pending).

    ``key``: the case's person key (``KeyStore.key_for_writing``, as ``CaseLog`` passes
    it), which seals the personal fields; ``None`` stores them in clear (as before keys).
    Its snapshots are returned already mapped: a snapshot's state shares the case's
    record list, which grows with every later event.
    """
    plan = case_plan(n, spec)
    clock = WalkingClock()
    by = STAFF[n % len(STAFF)]
    clock.day = plan.opened_day
    case = Case.open(
        plan.opened,
        recorded_by=by,
        recorded_at=clock(),
        case_id=case_id(spec.seed, n),
        key=key,
    )
    snapshots: list[StoredEvent] = []
    for entry in plan.entries:
        payload = entry.payload
        if entry.target is not None:  # as bench.generate: the amended entry's version
            payload = {**payload, "target_version": entry.target.version}
        clock.day = entry.day
        recorded = case.record(entry.type, payload, recorded_by=by, recorded_at=clock(), key=key)
        if recorded.version != entry.version:
            raise AssertionError(f"case {n}: version {recorded.version} != {entry.version}")
        if spec.snapshots and geometric_snapshot(case.version, CASE_FIRST_SNAPSHOT):
            snapshots.append(mapper.to_stored_event(_snapshot(case, recorded.recorded_at)))
    return case, snapshots


def _snapshot(case: Case, at: datetime) -> Any:
    # The application's own snapshot of the case (without its derived ledger), dated at
    # the event it follows rather than the wall clock, so the store is reproducible.
    return replace(Case.Snapshot.take(case), timestamp=at)


# -- writing a batch ------------------------------------------------------------------


def write_batch(app: CaseLog, numbers: Sequence[int], spec: Spec) -> Summary:
    """Build the cases ``numbers`` and write them in one transaction (then their snapshots)."""
    per_case: list[list[tuple[datetime, StoredEvent]]] = []
    snapshots: list[StoredEvent] = []
    started = time.perf_counter()
    # The person keys as CaseLog.open_case makes them (a wrapped row per case, under
    # the store's current KEK), before any event of the case is written.
    keys = {n: app.keys.key_for_writing(case_id(spec.seed, n)) for n in numbers}
    for n in numbers:
        case, snaps = build_case(n, spec, app.mapper, keys[n])
        events = case.collect_events()
        per_case.append([(e.timestamp, app.mapper.to_stored_event(e)) for e in events])
        snapshots.extend(snaps)
    # Interleave the batch's cases by recorded instant (each case's own order is kept:
    # its instants strictly increase).
    stored = [s for _, s in heapq.merge(*per_case, key=lambda pair: pair[0])]
    built = time.perf_counter()
    if spec.copy and _is_postgres(app):
        copy_batch(app, stored, snapshots)
    else:
        app.recorder.insert_events(stored)
        if snapshots and app.snapshots is not None:
            app.snapshots.recorder.insert_events(snapshots)
    return Summary(
        cases=len(numbers), events=len(stored), snapshots=len(snapshots),
        building=built - started, inserting=time.perf_counter() - built,
    )  # fmt: skip


def _is_postgres(app: CaseLog) -> bool:
    return str(app.env.get("PERSISTENCE_MODULE") or "").endswith("postgres")


def copy_batch(
    app: CaseLog, events: Sequence[StoredEvent], snapshots: Sequence[StoredEvent]
) -> None:
    """Write a batch with binary ``COPY``, in one transaction, as the library orders writes.

    The same four columns the library's insert writes (``originator_id``,
    ``originator_version``, ``topic``, ``state``; ``notification_id`` from the table's
    sequence, in row order), under the library's ``LOCK TABLE … IN EXCLUSIVE MODE`` so
    notification ids follow commit order, and the library's ``NOTIFY`` on the table's
    channel. The snapshots follow in the same transaction. One ``COPY`` per table
    instead of an ``INSERT`` that builds an array of composite values and returns every
    notification id: the server parses nothing per row and sends nothing back.
    """
    from psycopg import sql

    recorder: Any = app.recorder
    store = recorder.datastore
    columns = sql.SQL("(originator_id, originator_version, topic, state)")
    types = ["uuid", "int8", "text", "bytea"]

    def copy(cursor: Any, table: str, rows: Sequence[StoredEvent]) -> None:
        statement = sql.SQL("COPY {}.{} {} FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(store.schema), sql.Identifier(table), columns
        )
        with cursor.copy(statement) as out:
            out.set_types(types)
            for s in rows:
                out.write_row((s.originator_id, s.originator_version, s.topic, s.state))

    with store.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
        recorder._lock_table(cursor)  # the library's own lock statements
        recorder._notify_channel(cursor)
        copy(cursor, recorder.events_table_name, events)
        if snapshots and app.snapshots is not None:
            copy(cursor, app.snapshots.recorder.events_table_name, snapshots)  # type: ignore[attr-defined]


# One application per worker process (opened by the pool's initializer).
_worker: tuple[CaseLog, Spec] | None = None


def _init_worker(spec: Spec) -> None:
    global _worker
    _worker = (open_store(spec.url), spec)


def _work(numbers: Sequence[int]) -> Summary:
    assert _worker is not None
    app, spec = _worker
    return write_batch(app, numbers, spec)


# -- the store ------------------------------------------------------------------------


def _flush_pipelines_fully() -> None:
    """Work round a hang of psycopg's pipeline with large batches (psycopg 3.3.9, ``python``).

    The library writes with ``executemany`` in a pipeline. psycopg's pipeline loop
    (``generators._pipeline_communicate``) calls ``PQflush`` once after queueing the last
    command and stops even when libpq could not send everything (``PQflush`` → 1); the
    unsent tail holds the ``Sync``, so the server waits for it (``ClientRead``) and the
    client waits for results: a few hundred cases per transaction hung every time here
    (see psycopg/psycopg#685, fixed only on pipeline exit). This wraps the loop so it
    keeps flushing (reading whatever the server sends meanwhile) until the output
    buffer is empty. Only this process is patched; the application's own saves are a
    few events each and never leave a tail.
    """
    from psycopg import _pipeline_base, generators
    from psycopg.waiting import Ready, Wait

    original = getattr(_pipeline_base, "pipeline_communicate")  # noqa: B009 (private)
    if getattr(original, "_flushes_fully", False):
        return

    def communicate(pgconn: Any, commands: Any) -> Any:
        results = yield from original(pgconn, commands)
        while pgconn.flush():  # 1: data still queued in libpq
            ready = yield Wait.RW
            if ready & Ready.R:
                pgconn.consume_input()  # let the server go on sending results
        return results

    communicate._flushes_fully = True  # type: ignore[attr-defined]
    for module in (_pipeline_base, generators):
        setattr(module, "pipeline_communicate", communicate)  # noqa: B010 (private)


def open_store(url: str) -> CaseLog:
    """The ``CaseLog`` the API would open on ``url`` (the PostgreSQL schema is created)."""
    from api.app import open_cases
    from api.settings import Settings

    if urlsplit(url).scheme != "sqlite":
        _flush_pipelines_fully()
    return open_cases(Settings(database_url=url))


def stored_events(app: CaseLog) -> int:
    """How many events of any kind the store holds (its highest notification id)."""
    return int(app.recorder.max_notification_id() or 0)


def case_count(app: CaseLog) -> int:
    return len(app.case_ids())


def generate(
    url: str,
    cases: int,
    offices: int,
    *,
    workers: int = 1,
    seed: int = 7,
    batch: int = 200,
    today: date = DEFAULT_TODAY,
    append: bool = False,
    snapshots: bool = True,
    progress: bool = True,
    heavy: int = 0,
    copy: bool = True,
) -> Summary:
    """Write ``cases`` cases over ``offices`` offices to the store ``url``.

    Raises :class:`StoreNotEmpty` when the store holds anything and ``append`` is false.
    """
    if cases < 1 or offices < 1 or workers < 1 or batch < 1:
        raise Refused(
            "--cases, --offices, --workers, --batch は 1 以上にしてください / must be at least 1"
        )
    evening = datetime.combine(today, clock_time(18, 0), TOKYO)
    if evening > utc_now():
        raise Refused(f"--today {today} の18時(日本時間)がまだ来ていません / is in the future")
    spec = Spec(url=url, offices=offices, seed=seed, today=today, snapshots=snapshots,
                heavy=heavy, copy=copy)  # fmt: skip
    app = open_store(url)
    try:
        held = stored_events(app)
        if held and not append:
            raise StoreNotEmpty(held)
        first = case_count(app) if held else 0
        numbers = range(first, first + cases)
        batches = [numbers[i : i + batch] for i in range(0, cases, batch)]
        bar = _progress_bar(cases, progress)
        done = Summary()
        started = time.perf_counter()

        def count(part: Summary) -> None:
            done.cases += part.cases
            done.events += part.events
            done.snapshots += part.snapshots
            done.building += part.building
            done.inserting += part.inserting
            bar.total = max(done.events, round(done.events / done.cases * cases))
            bar.update(part.events)
            bar.set_postfix(cases=f"{done.cases}/{cases}", refresh=False)

        for part in _run(app, spec, batches, workers):
            count(part)
        analyze(app)
        done.seconds = time.perf_counter() - started
        bar.close()
        return done
    finally:
        app.close()


def analyze(app: CaseLog) -> None:
    """Planner statistics after the load (the product does the same after a rebuild or a
    bulk catch-up): no plan then waits for autovacuum to learn the tables' sizes."""
    from projections.views.follower import CaseViews

    CaseViews(app).analyze()


def _run(app: CaseLog, spec: Spec, batches: list[range], workers: int) -> Iterator[Summary]:
    if workers == 1:
        for numbers in batches:
            yield write_batch(app, numbers, spec)
        return
    # fork would copy the parent's open connections; spawn starts each worker clean.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(spec,)) as pool:
        yield from pool.imap_unordered(_work, batches)


def _progress_bar(cases: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=cases * _MEAN_EVENTS, unit="ev", unit_scale=True, desc="bulk",
        file=sys.stderr, dynamic_ncols=True, disable=not enabled, smoothing=0.1,
    )  # fmt: skip


def store_size(url: str) -> dict[str, int]:
    """Bytes on disk: the PostgreSQL tables (with indexes, TOAST), or the SQLite files."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path)[1:])
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        return {"sqlite file": sum(p.stat().st_size for p in files if p.exists())}
    import psycopg

    schema = persistence_env(url).get("POSTGRES_SCHEMA") or "public"
    dsn = url.split("?", 1)[0]
    sizes: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        for table in ("teichaku_events", "teichaku_snapshots"):
            row = conn.execute(
                "SELECT pg_total_relation_size(to_regclass(%s))", (f'"{schema}".{table}',)
            ).fetchone()
            sizes[table] = int(row[0] or 0) if row else 0
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="大量のケースを一括生成する (write a store at national scale for benchmarks)"
    )
    parser.add_argument("--cases", type=int, required=True, help="ケース数 (number of cases)")
    parser.add_argument("--offices", type=int, default=100, help="事業所数 (default 100)")
    parser.add_argument("--url", required=True, help="sqlite:///path.db | postgresql://…?schema=…")
    parser.add_argument("--workers", type=int, default=1, help="プロセス数 (default 1)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=200, help="1トランザクションのケース数")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=DEFAULT_TODAY,
        help=f"基準日: すべてのケースはこの日までに終了 (default {DEFAULT_TODAY})",
    )  # fmt: skip
    parser.add_argument(
        "--append", action="store_true", help="空でない保存先に追記する (add to a non-empty store)"
    )
    parser.add_argument("--no-snapshots", action="store_true", help="スナップショットを書かない")
    parser.add_argument("--quiet", action="store_true", help="進捗を表示しない (no progress bar)")
    parser.add_argument(
        "--heavy", type=int, default=0,
        help="最初の N ケースを約400件の記録にする (cases 0…N-1 get ≈ 400 events; default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--no-copy", action="store_true",
        help="COPY を使わずライブラリの insert_events で書く (the library's insert)",
    )  # fmt: skip
    parser.add_argument(
        "--rebuild-views", action="store_true",
        help="書き込み後に teichaku projections rebuild を実行する (rebuild the views after)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        summary = generate(
            args.url, args.cases, args.offices, workers=args.workers, seed=args.seed,
            batch=args.batch, today=args.today, append=args.append,
            snapshots=not args.no_snapshots, progress=not args.quiet,
            heavy=args.heavy, copy=not args.no_copy,
        )  # fmt: skip
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    sizes = store_size(args.url)
    print(
        f"{summary.cases:,} cases, {summary.events:,} events, {summary.snapshots:,} snapshots "
        f"in {summary.seconds:.1f} s = {summary.rate:,.0f} events/s "
        f"({args.workers} worker(s), {args.offices} offices)"
    )
    print(f"worker time: building {summary.building:.1f} s, inserting {summary.inserting:.1f} s")
    print("store size: " + ", ".join(f"{k} {v / 2**20:,.1f} MiB" for k, v in sizes.items()))
    if args.rebuild_views:
        seconds = rebuild_views(args.url, args.workers)
        print(f"views rebuilt in {seconds:.1f} s ({summary.events / seconds:,.0f} events/s)")
    return 0


def rebuild_views(url: str, workers: int) -> float:
    """``teichaku projections rebuild`` on the store (its progress bar on stderr); seconds."""
    import subprocess

    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "api.cli", "projections", "rebuild", "--workers", str(workers),
         "--database", url],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
