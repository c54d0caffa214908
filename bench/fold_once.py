"""Benchmark of issue 10 "Fold once": append cost vs case size, read latency, snapshot bytes.

    .venv/bin/python -m bench.fold_once                       # SQLite, ~1 minute
    .venv/bin/python -m bench.fold_once --backend both        # + PostgreSQL (local server)

1. **Append cost flat in case size** — one event recorded on a case of 10 and of 1,000
   events: ``Case.record`` in-process (on a fresh copy each sample, so the case stays at
   its size), and ``CaseLog.record`` end to end (cached load + record + save). For a
   contact, a correction of a contact, a correction of the hire and a consent. Target: a
   correction on 1,000 events ≤ 1.5× the same on 10.
2. **Read latency** — entitlement + compliance + timeline of the heavy synthetic case
   (``bench.generate``'s case 0, ~400 events): in-process (load through the aggregate
   cache + one reading + the three ``as_json()``), and over HTTP (three GETs through
   ``TestClient`` with an admin token, summed per sample; each GET also writes its
   access-log entry). Each in the steady state (the case unchanged between samples, so
   answers kept on its history are reused) and with one event written, untimed, before
   every sample (nothing derived is reused). Targets: p95 ≤ 5 ms in-process, ≤ 15 ms
   over HTTP on SQLite.
3. **Snapshot bytes per case** — a case of 100 and of 1,000 events: bytes of all its
   stored snapshots per event, as stored now (versions 50, 100, 200, …) and as the
   former schedule (every 50 versions) would have stored them. Target: linear (bytes per
   event flat between 100 and 1,000 events).
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from bench.generate import WalkingClock, office_plans, record_office
from bench.run import fresh_store, say, timed
from bench.serving import served
from domain.case import Case
from domain.history import tokyo_date, utc_now
from domain.store.application import CaseLog, persistence_env
from projections.compliance import compliance
from projections.entitlement import entitlement
from projections.reading import read_case
from projections.timeline import timeline

OPENED = {
    "person": {"name": "計測 太郎", "name_kana": "ケイソク タロウ"},
    "recipient_number": "1234567890",
    "municipality_code": "131016",
    "office_id": "1310100001",
    "prior_service": {"kind": "employment_transition", "ended_on": "2020-03-31"},
    "opened_on": "2020-03-01",
}
FIRST_DAY = date(2020, 3, 1)
STAFF = "計測 担当"


def _contact(day: date, n: int) -> dict[str, Any]:
    return {"contact_on": day.isoformat(), "counterpart": "person", "mode": "face_to_face",
            "summary": f"第{n}回 面談。職場の様子と体調を確認。"}  # fmt: skip


def _steps(size: int) -> list[tuple[str, dict[str, Any]]]:
    """A case of ``size`` events: opening, hire, consent, then contacts day after day."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("hired", {"hired_on": "2020-04-01", "employer": {"name": "株式会社計測"}}),
        ("consent_given", {"consent_id": "C-1", "given_on": "2020-04-01", "written": True,
                           "parties": ["株式会社計測"], "information": ["勤務状況"]}),
    ]  # fmt: skip
    day = date(2020, 4, 2)
    while len(steps) < size - 1:
        steps.append(("contact_recorded", _contact(day, len(steps))))
        day += timedelta(days=1)
    return steps


def _probes(case: Case) -> dict[str, tuple[str, dict[str, Any]]]:
    """One event of each kind whose cost is measured, valid on ``case``."""
    contact = next(r for r in reversed(case.records) if r.type == "contact_recorded")
    return {
        "contact": ("contact_recorded", _contact(contact.effective_on, 0)),
        "correction of a contact": ("event_corrected", {
            "target_version": contact.version, "reason": "入力誤りの訂正",
            "replacement": {**contact.payload, "summary": "訂正した内容"}}),
        "correction of the hire": ("event_corrected", {
            "target_version": 2, "reason": "入力誤りの訂正",
            "replacement": {"hired_on": "2020-04-01", "employer": {"name": "株式会社計測 本社"}}}),
        "consent": ("consent_given", {
            "consent_id": "C-2", "given_on": contact.effective_on.isoformat(), "written": True,
            "parties": ["ハローワーク"], "information": ["勤務状況"]}),
    }  # fmt: skip


def _instant(n: int) -> datetime:
    return datetime(2020, 3, 1, 9, tzinfo=UTC) + timedelta(days=n)


def _case_in_memory(size: int) -> Case:
    case = Case.open(OPENED, recorded_by=STAFF, recorded_at=_instant(0))
    for n, (kind, payload) in enumerate(_steps(size), start=1):
        case.record(kind, payload, recorded_by=STAFF, recorded_at=_instant(n + 31))
    case.collect_events()
    return case


def append_in_memory(sizes: tuple[int, ...], samples: int) -> dict[str, dict[int, float]]:
    """Median µs of ``Case.record`` per probe and case size (a fresh copy per sample)."""
    out: dict[str, dict[int, float]] = {}
    for size in sizes:
        case = _case_in_memory(size)
        at = _instant(size + 40)
        for name, (kind, payload) in _probes(case).items():
            taken = []
            for _ in range(samples):
                fresh = copy.deepcopy(case)
                t0 = time.perf_counter()
                fresh.record(kind, payload, recorded_by=STAFF, recorded_at=at)
                taken.append((time.perf_counter() - t0) * 1e6)
            out.setdefault(name, {})[size] = statistics.median(taken)
    return out


def _stored_case(app: CaseLog, clock: Callable[[int], None], size: int) -> UUID:
    clock(0)
    case_id = app.open_case(OPENED, recorded_by=STAFF).id
    for n, (kind, payload) in enumerate(_steps(size), start=1):
        clock(n + 31)
        app.record(case_id, kind, payload, recorded_by=STAFF)
    return case_id


def append_through_store(url: str, sizes: tuple[int, ...], samples: int) -> dict[str, Any]:
    """Median ms of ``CaseLog.record`` (cached load + record + save), and snapshot bytes."""
    now = [_instant(0)]
    app = CaseLog(env=persistence_env(url), clock=lambda: now[0])

    def set_day(n: int) -> None:
        now[0] = _instant(n)

    out: dict[str, Any] = {"record_ms": {}, "snapshots": {}}
    try:
        for size in sizes:
            case_id = _stored_case(app, set_day, size)
            out["snapshots"][size] = _snapshot_bytes(app, case_id, size)
            if size >= 1000:
                out["cold"] = _cold_loads(url, case_id)
            app.get_case(case_id)  # cached, as a running server has it
            set_day(size + 40)
            for name in ("contact", "correction of a contact"):
                taken = []
                for _ in range(samples):
                    kind, payload = _probes(app.get_case(case_id))[name]
                    t0 = time.perf_counter()
                    app.record(case_id, kind, payload, recorded_by=STAFF)
                    taken.append((time.perf_counter() - t0) * 1000)
                out["record_ms"].setdefault(name, {})[size] = statistics.median(taken)
    finally:
        app.close()
    return out


def _cold_loads(url: str, case_id: UUID) -> dict[str, float]:
    """A process that has not read the case: load it and read its history (median ms), at
    version 1,000 (snapshot 800 + 200 events) and at 799 (snapshot 400 + 399, the most a
    load replays below 1,600); and the memory one cached 1,000-event case takes."""
    out: dict[str, float] = {}
    for version in (1000, 799):
        taken = []
        for _ in range(5):
            cold = CaseLog(env={**persistence_env(url), "AGGREGATE_CACHE_MAXSIZE": ""})
            t0 = time.perf_counter()
            cold.get_case(case_id, version=version).history()
            taken.append((time.perf_counter() - t0) * 1000)
            cold.close()
        out[f"load_{version}_ms"] = statistics.median(taken)
    cold = CaseLog(env=persistence_env(url))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    cold.get_case(case_id).history()
    grown = tracemalloc.take_snapshot().compare_to(before, "filename")
    tracemalloc.stop()
    out["cached_case_mb"] = sum(d.size_diff for d in grown) / 1e6
    cold.close()
    return out


def _snapshot_bytes(app: CaseLog, case_id: UUID, size: int) -> dict[str, Any]:
    """Bytes of the case's stored snapshots now, and under the former every-50 schedule."""
    assert app.snapshots is not None
    stored = list(app.snapshots.get(case_id))
    now = sum(len(app.mapper.to_stored_event(s).state) for s in stored)
    former = 0
    for version in range(50, size + 1, 50):
        snapshot = Case.Snapshot.take(app.get_case(case_id, version=version))
        former += len(app.mapper.to_stored_event(snapshot).state)
    events = sum(len(app.mapper.to_stored_event(e).state) for e in app.events.get(case_id))
    return {
        "versions": [s.originator_version for s in stored],
        "bytes": now,
        "per_event": now / size,
        "former_bytes": former,
        "former_per_event": former / size,
        "event_bytes_per_event": events / size,
    }


def read_latency(url: str, samples: int) -> dict[str, Any]:
    """p95 of entitlement + compliance + timeline of the heavy case: in-process and HTTP."""
    clock = WalkingClock()
    app = CaseLog(env=persistence_env(url), clock=clock)
    try:
        case_id = record_office(app, clock, office_plans(1), lambda done: None)[0]
        on = tokyo_date(utc_now())

        def in_process() -> None:
            reading = read_case(app.get_case(case_id), on)
            entitlement(reading).as_json()
            compliance(reading).as_json()
            timeline(reading).as_json()

        events = len(app.get_case(case_id).records)
        inproc = timed(samples, {"all": in_process})

        def write() -> None:
            payload = _contact(clock.day, 0)
            app.record(case_id, "contact_recorded", payload, recorded_by=STAFF)

        after_write = timed(100, {"all": in_process}, before=write)
        from fastapi.testclient import TestClient

        from api.app import create_app

        web = create_app(cases=app)
        token = web.state.tokens.create("admin", "ベンチ 計測")
        client = TestClient(web, headers={"Authorization": f"Bearer {token}"})

        def get(path: str) -> Callable[[], None]:
            def once() -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            return once

        names = ("entitlement", "compliance", "timeline")
        testclient = timed(samples, {n: get(f"/cases/{case_id}/{n}") for n in names})
    finally:
        app.close()
    headers = {"Authorization": f"Bearer {token}"}
    paths = {n: f"/cases/{case_id}/{n}" for n in names}
    with served(url, 1) as (base, _), httpx.Client(base_url=base, headers=headers) as real:

        def fetch(path: str) -> Callable[[], None]:
            def once() -> None:
                response = real.get(path)
                assert response.status_code == 200, (path, response.status_code)

            return once

        http = timed(samples, {n: fetch(p) for n, p in paths.items()})
        today = tokyo_date(utc_now())

        def post() -> None:
            body = {"type": "contact_recorded", **_contact(today, 0)}
            assert real.post(f"/cases/{case_id}/events", json=body).status_code == 201

        http_after_write = timed(100, {n: fetch(p) for n, p in paths.items()}, before=post)
    throughput = {n: _throughput(url, workers=n, headers=headers, paths=paths) for n in (1, 2)}
    return {"events": events, "in_process": inproc["all"], "http": http,
            "testclient": testclient, "throughput": throughput,
            "in_process_after_write": after_write["all"],
            "http_after_write": http_after_write}  # fmt: skip


def _throughput(
    url: str, workers: int, headers: dict[str, str], paths: dict[str, str], seconds: float = 8
) -> float:
    """Requests/s of the three GETs in turn, from 4 client processes, against N workers."""
    with served(url, workers) as (base, _), multiprocessing.Pool(4) as pool:
        counts = pool.starmap(_client_loop, [(base, headers, list(paths.values()), seconds)] * 4)
    return sum(counts) / seconds


def _client_loop(base: str, headers: dict[str, str], paths: list[str], seconds: float) -> int:
    done = 0
    with httpx.Client(base_url=base, headers=headers) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            assert client.get(paths[done % len(paths)]).status_code == 200
            done += 1
    return done


def report(memory: dict[str, dict[int, float]], stores: dict[str, dict[str, Any]]) -> None:
    print("\n## Append: one event on a case of 10 vs 1,000 events (median)\n")
    print("| event | Case.record, 10 | 1,000 | ratio |")
    print("|---|---|---|---|")
    for name, by_size in memory.items():
        small, big = by_size[10], by_size[1000]
        print(f"| {name} | {small:.0f} µs | {big:.0f} µs | {big / small:.2f}× |")
    for backend, result in stores.items():
        print(f"\n{backend}: CaseLog.record (cached load + record + save), median")
        for name, by_size in result["store"]["record_ms"].items():
            small, big = by_size[10], by_size[1000]
            print(f"  {name}: 10 → {small:.2f} ms, 1,000 → {big:.2f} ms ({big / small:.2f}×)")
        cold = result["store"]["cold"]
        print(f"  cold load + history of the 1,000-event case: {cold['load_1000_ms']:.1f} ms; "
              f"at version 799 {cold['load_799_ms']:.1f} ms; one cached case of 1,000 "
              f"events holds {cold['cached_case_mb']:.1f} MB")  # fmt: skip
    for backend, result in stores.items():
        lat = result["latency"]
        ip, http = lat["in_process"], lat["http"]
        print(f"\n## Read: {lat['events']}-event case on {backend}\n")
        print(f"in-process (cached load + one reading + 3 projections): median "
              f"{ip['median_ms']:.2f} ms, p95 {ip['p95_ms']:.2f} ms")  # fmt: skip
        after = lat["in_process_after_write"]
        print(f"in-process, each sample after a write (case grows {lat['events']} → "
              f"{lat['events'] + 105}): median {after['median_ms']:.2f} ms, "
              f"p95 {after['p95_ms']:.2f} ms")  # fmt: skip
        runs = (("teichaku serve, loopback", http), ("TestClient", lat["testclient"]),
                ("teichaku serve, each sample after a POST", lat["http_after_write"]))  # fmt: skip
        for label, figures in runs:
            names = ("entitlement", "compliance", "timeline")
            each = " / ".join(f"{figures[n]['p95_ms']:.1f}" for n in names)
            print(f"HTTP ({label}) 3 GETs summed: median {figures['all']['median_ms']:.1f} ms, "
                  f"p95 {figures['all']['p95_ms']:.1f} ms (each p95: {each} ms)")  # fmt: skip
        rates = lat["throughput"]
        print(f"throughput, 4 client processes, the 3 GETs in turn: 1 worker {rates[1]:.0f} "
              f"req/s, 2 workers {rates[2]:.0f} req/s")  # fmt: skip
    for backend, result in stores.items():
        print(f"\n## Snapshot bytes per case on {backend}\n")
        print("| events | snapshot versions | bytes/event now | former (every 50) | event rows |")
        print("|---|---|---|---|---|")
        for size, s in result["store"]["snapshots"].items():
            if not s["versions"]:
                continue
            print(f"| {size} | {s['versions']} | {s['per_event']:.0f} | "
                  f"{s['former_per_event']:.0f} | {s['event_bytes_per_event']:.0f} |")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--samples", type=int, default=200, help="read samples (default 200)")
    args = parser.parse_args(argv)
    sizes = (10, 100, 1000)
    say("append in memory (Case.record) …")
    memory = append_in_memory((10, 1000), samples=100)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    stores: dict[str, dict[str, Any]] = {}
    for backend in backends:
        with fresh_store(backend) as store:
            say(f"{backend}: append through CaseLog, snapshot bytes …")
            result = {"store": append_through_store(store.url, sizes, samples=30)}
        with fresh_store(backend) as store:
            say(f"{backend}: read latency …")
            result["latency"] = read_latency(store.url, args.samples)
        stores[backend] = result
    report(memory, stores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
