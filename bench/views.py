"""Benchmark the stored case views on an existing store (see bench/README.md, "Read models").

    .venv/bin/python -m bench.views --url postgresql://postgres@127.0.0.1:5432/test?schema=teichaku_bulk1k

On the store that ``--url`` names (made by ``bench.bulk`` or ``bench.generate``):

1. the library's own read + reconstruct rate: ``repository.get`` of every case (at most
   ``--reconstruct-cases``), events/s, in this process with no aggregate cache;
2. ``teichaku projections rebuild`` with 1 and with 2 worker processes: events/s, and
   the ratio to (1) and of 2 workers to 1. (1) and (2) are measured ``--rounds`` times,
   alternated (the order reversed every other round), and each ratio is taken within
   its round: on a shared 2-core machine the library's rate alone moved between 11,500
   and 17,400 events/s from one minute to the next. The medians are reported;
3. ``GET /cases?office_id=…&limit=100`` and the staff dashboard ``GET /web/`` of the
   first office, over HTTP (FastAPI TestClient): median and p95 of ``--samples`` reads
   after 5 warm-ups, the views already current (as a running server keeps them).
"""

from __future__ import annotations

import argparse
import sys
import time
from statistics import median
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from bench.run import timed
from projections.views.rebuild import rebuild


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def reconstruct_rate(app: Any, limit: int) -> dict[str, float]:
    """The library's own rate: load each case from its events (snapshots off)."""
    ids = app.case_ids()[:limit]
    events = 0
    started = time.perf_counter()
    for case_id in ids:
        events += app.repository.get(case_id).version
    seconds = time.perf_counter() - started
    return {"cases": len(ids), "events": events, "seconds": seconds, "rate": events / seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the stored case views.")
    parser.add_argument("--url", required=True, help="database URL of an existing store")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--reconstruct-cases", type=int, default=1000)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    settings = Settings(database_url=args.url)
    result: dict[str, Any] = {}

    app = create_app(settings)
    cases = app.state.cases
    rounds: list[dict[str, Any]] = []
    for n in range(args.rounds):
        measured: dict[str, Any] = {}
        steps = ["reconstruct"] + ([] if args.skip_rebuild else ["rebuild_1", "rebuild_2"])
        for step in steps if n % 2 == 0 else steps[::-1]:
            if step == "reconstruct":
                say(f"round {n + 1}: library read + reconstruct …")
                measured[step] = reconstruct_rate(_unsnapshotted(settings), args.reconstruct_cases)
                say(f"  {measured[step]['rate']:,.0f} events/s (every event)")
                cases_read = args.reconstruct_cases
                measured["snapshots"] = reconstruct_rate(_uncached(settings), cases_read)
                step = "snapshots"
            else:
                workers = int(step[-1])
                say(f"round {n + 1}: rebuild with {workers} worker(s) …")
                report = rebuild(settings.persistence_env(), workers)
                measured[step] = {"events": report.events, "seconds": report.seconds,
                                  "rate": report.rate}  # fmt: skip
            say(f"  {measured[step]['rate']:,.0f} events/s")
        rounds.append(measured)
    result["rounds"] = rounds
    views = app.state.views
    views.catch_up()
    office = views.store.offices(views.generation)[0]
    admin = app.state.tokens.create("admin", "bench admin")
    staff = app.state.tokens.create("staff", "bench staff", office)
    client = TestClient(app)
    say(f"GET /cases and the dashboard of office {office}, {args.samples} samples each …")
    listed = client.get("/cases", params={"office_id": office, "limit": 100},
                        headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
    result["listed"] = len(listed.json()["cases"])
    result["cases_in_store"] = views.store.count(views.generation)
    result["list"] = timed(args.samples, {"all": lambda: _ok(client.get(
        "/cases", params={"office_id": office, "limit": 100},
        headers={"Authorization": f"Bearer {admin}"}))})["all"]  # fmt: skip
    client.post("/web/login", data={"token": staff})  # a session cookie
    result["dashboard"] = timed(args.samples, {"all": lambda: _ok(client.get("/web/"))})["all"]
    report_result(result)
    cases.close()
    return 0


def _unsnapshotted(settings: Settings) -> Any:
    from domain.store.application import CaseLog

    return CaseLog(env={**settings.persistence_env(), "IS_SNAPSHOTTING_ENABLED": "no"})


def _uncached(settings: Settings) -> Any:
    """The read path of a rebuild (the latest snapshot, then the events after it), with
    no aggregate cache: the library's rate on the rebuild's own path."""
    from domain.store.application import CaseLog

    return CaseLog(env={**settings.persistence_env(), "AGGREGATE_CACHE_MAXSIZE": ""})


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise SystemExit(f"bench read failed: {response.status_code}")


def report_result(r: dict[str, Any]) -> None:
    print(f"cases in store: {r['cases_in_store']}, listed for one office: {r['listed']}")
    rounds = r["rounds"]
    for n, measured in enumerate(rounds, 1):
        plain, path = measured["reconstruct"]["rate"], measured["snapshots"]["rate"]
        line = f"round {n}: library {plain:,.0f} events/s (every event), {path:,.0f} (snapshots)"
        for workers in (1, 2):
            if f"rebuild_{workers}" in measured:
                rate = measured[f"rebuild_{workers}"]["rate"]
                line += (f"; rebuild {workers} worker(s) {rate:,.0f} "
                         f"({rate / plain:.2f}× / {rate / path:.2f}×)")  # fmt: skip
        print(line)
    if "rebuild_1" in rounds[0]:
        for base, name in (("reconstruct", "every event"), ("snapshots", "snapshot path")):
            one = [m["rebuild_1"]["rate"] / m[base]["rate"] for m in rounds]
            two = [m["rebuild_2"]["rate"] / m[base]["rate"] for m in rounds]
            print(f"median of {len(rounds)} rounds, against the library's read ({name}): "
                  f"rebuild 1 worker {median(one):.2f}×, 2 workers {median(two):.2f}×")
        both = [m["rebuild_2"]["rate"] / m["rebuild_1"]["rate"] for m in rounds]
        print(f"2 workers / 1 worker: {median(both):.2f}×")
    for name in ("list", "dashboard"):
        t = r[name]
        print(f"{name}: median {t['median_ms']:.1f} ms, p95 {t['p95_ms']:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
