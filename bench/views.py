"""Benchmark the stored case views on an existing store (see bench/README.md, "Read models").

    .venv/bin/python -m bench.views --url postgresql://postgres@127.0.0.1:5432/test?schema=teichaku_bulk1k

On the store that ``--url`` names (made by ``bench.bulk`` or ``bench.generate``):

1. the library's own read + reconstruct rate: ``repository.get`` of every case (at most
   ``--reconstruct-cases``), events/s, in this process with no aggregate cache;
2. ``teichaku projections rebuild`` with 1 and with 2 worker processes: events/s, and
   the ratio to (1) and of 2 workers to 1;
3. ``GET /cases?office_id=…&limit=100`` and the staff dashboard ``GET /web/`` of the
   first office, over HTTP (FastAPI TestClient): median and p95 of ``--samples`` reads
   after 5 warm-ups, the views already current (as a running server keeps them).
"""

from __future__ import annotations

import argparse
import sys
import time
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
    args = parser.parse_args(argv)
    settings = Settings(database_url=args.url)
    result: dict[str, Any] = {}

    app = create_app(settings)
    cases = app.state.cases
    say("library read + reconstruct …")
    result["reconstruct"] = plain = reconstruct_rate(
        _unsnapshotted(settings), args.reconstruct_cases
    )
    say(f"  {plain['rate']:,.0f} events/s over {plain['cases']} cases")
    if not args.skip_rebuild:
        for workers in (1, 2):
            say(f"rebuild with {workers} worker(s) …")
            report = rebuild(settings.persistence_env(), workers)
            result[f"rebuild_{workers}"] = {"events": report.events, "seconds": report.seconds,
                                            "rate": report.rate}  # fmt: skip
            say(f"  {report.events:,} events in {report.seconds:.1f} s = {report.rate:,.0f}/s")
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


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise SystemExit(f"bench read failed: {response.status_code}")


def report_result(r: dict[str, Any]) -> None:
    print(f"cases in store: {r['cases_in_store']}, listed for one office: {r['listed']}")
    plain = r["reconstruct"]["rate"]
    print(f"library read + reconstruct: {plain:,.0f} events/s")
    for workers in (1, 2):
        key = f"rebuild_{workers}"
        if key in r:
            rate = r[key]["rate"]
            print(f"rebuild, {workers} worker(s): {rate:,.0f} events/s "
                  f"({rate / plain:.2f}× the library's reconstruct rate)")  # fmt: skip
    if "rebuild_1" in r and "rebuild_2" in r:
        print(f"2 workers / 1 worker: {r['rebuild_2']['rate'] / r['rebuild_1']['rate']:.2f}×")
    for name in ("list", "dashboard"):
        t = r[name]
        print(f"{name}: median {t['median_ms']:.1f} ms, p95 {t['p95_ms']:.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
