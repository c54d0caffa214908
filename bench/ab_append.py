"""Appends over HTTP against in process, with the server of two code trees alternated.

    .venv/bin/python -m bench.ab_append /tmp/old /work/main \\
        --url 'postgresql://postgres@127.0.0.1:5432/test?schema=ab'

Opens a case per tree (and one for the in-process appends) in the store ``--url`` names,
starts ``teichaku serve --workers 1`` from each tree on that store, and then, for
``--rounds`` rounds (the order of the trees reversed every other round), appends a
contact for ``--seconds`` over one keep-alive ``http.client`` connection to each server,
then with ``CaseLog.record`` in this process. It prints the median milliseconds per
append of each, the ratio in-process / HTTP (issue 24's target: at least ½), and the
machine's load. Used for the seventh pass's figures in bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date

from bench.casework import OFFICE, plan_case
from bench.reads import CONTACT
from bench.serving import free_port, make_token, server_env, wait_healthy
from domain.store.application import persistence_env
from domain.store.opening import open_case_log


def _load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def _timed(work: Callable[[], None], seconds: float) -> float:
    """Milliseconds per call of ``work`` over ``seconds`` (after 5 calls not counted)."""
    for _ in range(5):
        work()
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        work()
        n += 1
    return (time.perf_counter() - started) / n * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("trees", nargs="+", help="folders of the code trees to serve")
    args = parser.parse_args(argv)

    app = open_case_log(persistence_env(args.url))
    rng = random.Random(7)
    ids = [app.open_case(plan_case(9400 + n, date(2024, 4, 1), rng).opened,
                         recorded_by="ベンチ").id for n in range(len(args.trees) + 1)]  # fmt: skip
    token = make_token(args.url, "staff", OFFICE)
    body = json.dumps(CONTACT).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    servers = []
    try:
        for tree in args.trees:
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(port),
                 "--database", args.url, "--workers", "1"],
                cwd=tree, env={**server_env(), "PYTHONPATH": tree},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            servers.append((tree, port, proc))
            wait_healthy(f"http://127.0.0.1:{port}", proc)
        print(f"load before: {_load()}")
        http_ms: dict[str, list[float]] = {tree: [] for tree in args.trees}
        local_ms: list[float] = []
        payload = {k: v for k, v in CONTACT.items() if k != "type"}

        def record() -> None:
            app.record(ids[-1], CONTACT["type"], payload, recorded_by="ベンチ")

        for n in range(args.rounds):
            order = list(enumerate(servers))
            for k, (tree, port, _) in order if n % 2 == 0 else order[::-1]:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

                def post(conn: http.client.HTTPConnection = conn, k: int = k) -> None:
                    conn.request("POST", f"/cases/{ids[k]}/events", body=body, headers=headers)
                    answer = conn.getresponse()
                    answer.read()
                    if answer.status != 201:
                        raise SystemExit(f"append answered {answer.status}")

                http_ms[tree].append(_timed(post, args.seconds))
                conn.close()
            local_ms.append(_timed(record, args.seconds))
        local = statistics.median(local_ms)
        print(f"in process: median {local:.2f} ms per append")
        for tree in args.trees:
            over = statistics.median(http_ms[tree])
            rounds = " ".join(f"{x:.2f}" for x in http_ms[tree])
            print(f"{tree}: HTTP median {over:.2f} ms, ratio {local / over:.2f}×  ({rounds})")
        print(f"load after: {_load()}")
    finally:
        for _, _, proc in servers:
            proc.terminate()
            proc.wait(timeout=30)
        app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
