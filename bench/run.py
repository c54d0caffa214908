"""Benchmark the store and the read side on SQLite and PostgreSQL (see bench/README.md).

    .venv/bin/python -m bench.run --cases 40 --backend both

For each backend, on a fresh database: (1) append rate of the synthetic office through
``CaseLog``; (2) full replay of every case (load + entitlement + compliance + timeline)
against a raw ``SELECT state`` + ``orjson.loads`` scan of the same rows; (3) read latency
of entitlement + compliance + timeline for the ~400-event case, over HTTP when
``api.app.create_app`` exists, else in-process (and it says which).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from bench.generate import WalkingClock, office_plans, record_office, total_events
from domain.history import tokyo_date, utc_now
from domain.store.application import CaseLog, persistence_env

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Store:
    name: str
    url: str
    events_table: str
    raw_select: Callable[[str], list[tuple[Any, ...]]]
    cleanup: list[Callable[[], None]] = field(default_factory=list)


@contextmanager
def fresh_store(backend: str) -> Iterator[Store]:
    """A new empty database: a temporary SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"

            def select(sql: str) -> list[tuple[Any, ...]]:
                import sqlite3

                with sqlite3.connect(path) as conn:
                    return conn.execute(sql).fetchall()

            yield Store("sqlite", f"sqlite:///{path}", "stored_events", select)
        return
    import psycopg
    from psycopg import sql

    schema = f"teichaku_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))

    def pg_select(query: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(PG_DSN) as conn:
            return list(conn.execute(query).fetchall())

    try:
        yield Store(
            "postgresql", f"{PG_DSN}?schema={schema}", f"{schema}.teichaku_events", pg_select
        )
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def say(text: str) -> None:
    print(text, flush=True)


def append_phase(
    app: CaseLog, clock: WalkingClock, cases: int, seed: int
) -> tuple[list[UUID], dict[str, float]]:
    plans = office_plans(cases, seed)
    total = total_events(plans)
    say(f"  append: {cases} cases, {total} events through CaseLog …")
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 1000 == 0 or done == total:
            rate = done / (time.perf_counter() - started)
            say(f"    {done:>6}/{total} events  ({rate:,.0f} events/s)")

    ids = record_office(app, clock, plans, progress)
    seconds = time.perf_counter() - started
    return ids, {"events": total, "seconds": seconds, "events_per_s": total / seconds}


def project_all(records: list[Any], on: Any) -> None:
    """The three read models the case page and billing need."""
    from projections.compliance import compliance
    from projections.entitlement import entitlement
    from projections.timeline import timeline

    entitlement(records, on).as_json()
    compliance(records, on).as_json()
    timeline(records, on).as_json()


def replay_phase(app: CaseLog, store: Store, ids: list[UUID], profile: bool) -> dict[str, float]:
    on = tokyo_date(utc_now())
    say(f"  replay: {len(ids)} cases, load + entitlement + compliance + timeline …")
    load_s = project_s = 0.0
    events = 0
    profiler = cProfile.Profile() if profile else None
    # A cold replay: the appends above filled the aggregate cache; a fresh process
    # rebuilding views would not have it, so this reads through an uncached application.
    app = CaseLog(env={**persistence_env(store.url), "AGGREGATE_CACHE_MAXSIZE": ""})
    for n, case_id in enumerate(ids, 1):
        t0 = time.perf_counter()
        records = app.records(case_id)
        t1 = time.perf_counter()
        if profiler:
            profiler.enable()
        project_all(records, on)
        if profiler:
            profiler.disable()
        project_s += time.perf_counter() - t1
        load_s += t1 - t0
        events += len(records)
        if n % 10 == 0 or n == len(ids):
            say(f"    {n:>4}/{len(ids)} cases replayed")
    say("  raw scan: SELECT state + orjson.loads of the same rows …")
    t0 = time.perf_counter()
    rows = store.raw_select(f"SELECT state FROM {store.events_table}")
    for (state,) in rows:
        orjson.loads(bytes(state))
    raw_s = time.perf_counter() - t0
    if profiler:
        _print_profile(profiler)
    replay_s = load_s + project_s
    return {
        "events": events,
        "rows": len(rows),
        "load_s": load_s,
        "project_s": project_s,
        "replay_s": replay_s,
        "replay_events_per_s": events / replay_s,
        "raw_s": raw_s,
        "raw_events_per_s": len(rows) / raw_s,
        "ratio": replay_s / raw_s,
    }


def _print_profile(profiler: cProfile.Profile) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    say("  profile of the projections (top 15 by own time):")
    say(out.getvalue())


def latency_phase(app: CaseLog, case_id: UUID, samples: int) -> dict[str, Any]:
    """In-process always; over HTTP too when ``api.app`` exists (the headline figure)."""
    events = len(app.records(case_id))
    on = tokyo_date(utc_now())
    say(f"  latency in-process (load + 3 projections): {events}-event case …")
    inproc = timed(samples, {"all": lambda: project_all(app.records(case_id), on)})
    result: dict[str, Any] = {"events": events, "in_process": inproc["all"]}
    try:
        from api.app import create_app  # written in parallel; measured over HTTP when present
    except ImportError:
        say("  api.app not available: no HTTP latency")
        return {**result, "mode": "in-process (load + 3 projections)", **inproc["all"]}
    say(f"  latency over HTTP (TestClient): {events}-event case, 3 GETs per sample …")
    from fastapi.testclient import TestClient

    web = create_app(cases=app)
    token = web.state.tokens.create("admin", "ベンチ 計測")
    client = TestClient(web, headers={"Authorization": f"Bearer {token}"})

    def get(path: str) -> Callable[[], None]:
        def once() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return once

    names = ("entitlement", "compliance", "timeline")
    http = timed(samples, {name: get(f"/cases/{case_id}/{name}") for name in names})
    return {**result, "mode": "HTTP via TestClient (3 GETs)", **http["all"], "http": http}


def timed(
    samples: int, actions: dict[str, Callable[[], None]], before: Callable[[], None] | None = None
) -> dict[str, dict[str, float]]:
    """Median and p95 (ms) of each action and of their sum per sample, after 5 warm-ups;
    ``before`` runs untimed before each sample (e.g. a write, so nothing is kept)."""
    for _ in range(5):
        for action in actions.values():
            action()
    taken: dict[str, list[float]] = {name: [] for name in [*actions, "all"]}
    for _ in range(samples):
        if before is not None:
            before()
        total = 0.0
        for name, action in actions.items():
            t0 = time.perf_counter()
            action()
            spent = (time.perf_counter() - t0) * 1000
            taken[name].append(spent)
            total += spent
        if len(actions) > 1:
            taken["all"].append(total)
    return {name: _stats(values) for name, values in taken.items() if values}


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[max(0, int(0.95 * len(ordered)) - 1)]
    return {"median_ms": statistics.median(ordered), "p95_ms": p95}


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    say(f"== {backend} ==")
    with fresh_store(backend) as store:
        clock = WalkingClock()
        app = CaseLog(env=persistence_env(store.url), clock=clock)
        try:
            ids, append = append_phase(app, clock, args.cases, args.seed)
            replay = replay_phase(app, store, ids, args.profile)
            latency = latency_phase(app, ids[0], args.samples)
        finally:
            app.close()
    return {"backend": backend, "append": append, "replay": replay, "latency": latency}


def report(result: dict[str, Any]) -> None:
    a, r, lat = result["append"], result["replay"], result["latency"]
    replay_verdict = "met" if r["ratio"] <= 3 else "NOT met"
    latency_verdict = "met" if lat["p95_ms"] < 20 else "NOT met"
    lines = [
        f"-- {result['backend']} results --",
        f"  append       : {a['events']} events in {a['seconds']:.1f} s"
        f" = {a['events_per_s']:,.0f} events/s",
        f"  replay       : {r['events']} events in {r['replay_s']:.2f} s"
        f" = {r['replay_events_per_s']:,.0f} events/s"
        f"  (load {r['load_s']:.2f} s, projections {r['project_s']:.2f} s)",
        f"  raw scan     : {r['rows']} rows in {r['raw_s']:.3f} s"
        f" = {r['raw_events_per_s']:,.0f} rows/s",
        f"  replay/raw   : {r['ratio']:.1f}x  (target <= 3x: {replay_verdict})",
        f"  read latency : {lat['mode']}, {lat['events']}-event case:"
        f" median {lat['median_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms"
        f"  (target p95 < 20 ms: {latency_verdict})",
    ]
    lines.append(
        f"  in-process   : load + 3 projections: median {lat['in_process']['median_ms']:.1f} ms,"
        f" p95 {lat['in_process']['p95_ms']:.1f} ms"
    )
    for name, figures in lat.get("http", {}).items():
        if name == "all":
            continue
        lines.append(
            f"  GET {name:<12}: median {figures['median_ms']:.1f} ms,"
            f" p95 {figures['p95_ms']:.1f} ms"
        )
    for line in lines:
        say(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=40, help="cases in the synthetic office")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=200, help="latency samples")
    parser.add_argument("--profile", action="store_true", help="cProfile the projections")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, args) for b in backends]
    for result in results:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
