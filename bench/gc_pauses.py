"""The garbage collector's pauses in a server process whose case cache is warm (issue 24).

    .venv/bin/python -m bench.gc_pauses --url URL [--cases 600] [--threshold 700,10,10]

Builds the app in process as ``teichaku serve`` does after its start-up (``gc.freeze()``
of the start-up objects), reads ``--cases`` different cases as an administrator (the
case cache fills, as it does over a working day), then reads office 0's dashboard, due
list and case list in a loop while ``gc.callbacks`` time every collection. Prints the
latency percentiles and, per generation, how many collections, their total and longest
pause. The collector's thresholds are the server's (``api.app.FULL_AFTER``) unless
``--threshold`` names others (``700,10,10``: Python's own, as before decision 0061).
The store must hold office 0 and cases ``bulk.case_id(7, n)`` (``bench.serve_reads``
stores do). Figures on this machine move ±20 % run to run: compare in one session.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any

from bench import bulk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=300, help="dashboard + due + list, each")
    parser.add_argument("--threshold", default="",
                        help="e.g. 700,10,10: Python's own (default: the server's)")  # fmt: skip
    args = parser.parse_args(argv)
    from fastapi.testclient import TestClient

    from api.app import FULL_AFTER, create_app
    from api.settings import Settings

    app = create_app(Settings(database_url=args.url))
    tokens = app.state.tokens
    staff = {"Authorization": "Bearer " + tokens.create("staff", "ベンチ", bulk.office_id(0))}
    admin = {"Authorization": "Bearer " + tokens.create("admin", "ベンチ 管理")}
    office = bulk.office_id(0)
    paths = ["/web/", f"/offices/{office}/due", f"/cases?office_id={office}"]
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    began = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses[int(info["generation"])].append((time.perf_counter() - began[0]) * 1000)

    with TestClient(app) as client:
        login = client.post("/web/login", data={"token": staff["Authorization"][7:]})
        assert login.status_code == 200, login.status_code
        gc.collect()
        gc.freeze()  # as api.app's lifespan does in a `teichaku serve` process, and
        young, middle = gc.get_threshold()[:2]
        gc.set_threshold(young, middle, FULL_AFTER)  # its thresholds (700, 10, 1000)
        if args.threshold:
            gc.set_threshold(*(int(v) for v in args.threshold.split(",")))
        for n in range(args.cases):
            answer = client.get(f"/cases/{bulk.case_id(7, n)}/entitlement", headers=admin)
            assert answer.status_code == 200, (n, answer.status_code)
        for _ in range(20):
            for path in paths:
                client.get(path, headers=staff)
        tracked = len(gc.get_objects())
        gc.callbacks.append(timed)
        took: list[float] = []
        started = time.perf_counter()
        for _ in range(args.rounds):
            for path in paths:
                at = time.perf_counter()
                assert client.get(path, headers=staff).status_code == 200
                took.append((time.perf_counter() - at) * 1000)
        wall = time.perf_counter() - started
        gc.callbacks.remove(timed)
        # No follower runs here: index this run's listings now, or the next server's
        # follower would, during whatever that server measures (decision 0055).
        app.state.cases.access.index_listings(10**9)
    took.sort()

    def q(p: float) -> float:
        return took[min(len(took) - 1, int(len(took) * p))]

    print(f"thresholds {gc.get_threshold()}; {args.cases} cases read; {tracked:,} objects "
          f"tracked ({gc.get_freeze_count():,} frozen)")  # fmt: skip
    print(f"{len(took)} requests in {wall:.1f} s: p50 {q(0.5):.1f}  p95 {q(0.95):.1f}  "
          f"p99 {q(0.99):.1f}  max {took[-1]:.1f} ms")  # fmt: skip
    for generation, times in pauses.items():
        if times:
            print(f"  gen{generation}: {len(times)} collections, {sum(times):.0f} ms in all, "
                  f"longest {max(times):.1f} ms, mean {statistics.mean(times):.2f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
