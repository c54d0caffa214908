"""What a read and an append cost against a real server (issue 24; decision 0052).

    .venv/bin/python -m bench.reads --url sqlite:////tmp/reads.db            # a new store
    .venv/bin/python -m bench.reads --url postgresql://postgres@127.0.0.1:5432/test?schema=reads

Makes ``--cases`` cases in the store (in process), starts ``teichaku serve --workers 2``
(``--workers``), and measures, each phase for ``--seconds``:

- **reads**: ``GET /cases/{id}/entitlement`` of ONE case from 1 client, then from 4 clients
  at once (the case every reader of an office opens; before decision 0052 their access
  entries raced for the case log's next version); the ratio 4 clients / 1 client;
- **list**: ``GET /cases?office_id=…`` from 1 client and from 4;
- **append**: ``POST /cases/{id}/events`` (a contact, each client on its own case) from
  1 client over HTTP, against the in-process rate of ``CaseLog.record`` on the same store
  (the library's own path, no HTTP); the ratio HTTP / in-process.

The clients are threads of this process, on the same machine as the server: the figures
are ratios within one run, with the machine's load printed before and after. Each client
keeps one ``http.client`` connection (as ``bench.serve_reads`` does): httpx, used here
before, spent about 1.3 ms of the client's own CPU on each request, a quarter of an
append's round trip, on the same 2 cores as the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from bench.casework import OFFICE, plan_case
from bench.serving import make_token, served
from domain.store.application import persistence_env
from domain.store.opening import open_case_log

CONTACT = {"type": "contact_recorded", "contact_on": "2025-01-10", "counterpart": "person",
           "mode": "phone", "summary": "体調の確認(ベンチマーク)"}  # fmt: skip


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


class Client:
    """One keep-alive connection to the server, with the bearer token on every request."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        host = parts.hostname or "127.0.0.1"
        self.conn = http.client.HTTPConnection(host, parts.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> tuple[int, bytes]:
        return self._send("GET", path, None)

    def post(self, path: str, document: dict[str, Any]) -> tuple[int, bytes]:
        return self._send("POST", path, json.dumps(document).encode())

    def _send(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = {**self.headers, "Content-Type": "application/json"} if body else self.headers
        self.conn.request(method, path, body=body, headers=headers)
        answer = self.conn.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        self.conn.close()


def _rate(clients: int, seconds: float, work: Callable[[int, Client], None],
          base: str, token: str) -> float:  # fmt: skip
    """Requests per second of ``clients`` threads, each doing ``work`` in a loop."""
    done = [0] * clients
    failures: list[str] = []
    stop = time.monotonic() + seconds

    def run(k: int) -> None:
        client = Client(base, token)
        try:
            work(k, client)  # one request before the clock counts (connection, caches)
            while time.monotonic() < stop:
                try:
                    work(k, client)
                    done[k] += 1
                except AssertionError as exc:
                    failures.append(str(exc))
                    return
        finally:
            client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"a request failed: {failures[0]}")
    return sum(done) / (time.monotonic() - started)


def _ok(answer: tuple[int, bytes], status: int = 200) -> None:
    assert answer[0] == status, f"{answer[0]} {answer[1][:200]!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)

    app = open_case_log(persistence_env(args.url))
    rng = random.Random(7)
    ids = [app.open_case(plan_case(9000 + n, date(2024, 4, 1), rng).opened,
                         recorded_by="ベンチ").id for n in range(args.cases)]  # fmt: skip
    token = make_token(args.url, "staff", OFFICE)
    result: dict[str, Any] = {}
    try:
        with served(args.url, args.workers) as (base, _):
            print(f"load before: {_load()}  ({args.workers} workers, {args.cases} cases, "
                  f"{args.seconds:.0f} s per phase)")  # fmt: skip
            one = ids[0]

            def read(_: int, c: Client) -> None:
                _ok(c.get(f"/cases/{one}/entitlement"))

            def listing(_: int, c: Client) -> None:
                _ok(c.get(f"/cases?office_id={OFFICE}"))

            def append(k: int, c: Client) -> None:
                _ok(c.post(f"/cases/{ids[1 + k % (len(ids) - 1)]}/events", CONTACT), 201)

            for name, work in (("read one case", read), ("list the office", listing)):
                single = _rate(1, args.seconds, work, base, token)
                four = _rate(4, args.seconds, work, base, token)
                result[name] = (single, four)
                print(f"{name:16} 1 client {single:7.1f}/s   4 clients {four:7.1f}/s   "
                      f"ratio {four / single:4.2f}×")  # fmt: skip
            http = _rate(1, args.seconds, append, base, token)
            stop, count = time.monotonic() + args.seconds, 0
            started = time.monotonic()
            while time.monotonic() < stop:
                app.record(ids[-1], CONTACT["type"],
                           {k: v for k, v in CONTACT.items() if k != "type"},
                           recorded_by="ベンチ")  # fmt: skip
                count += 1
            local = count / (time.monotonic() - started)
            print(f"{'append':16} HTTP {http:7.1f}/s   in-process {local:7.1f}/s   "
                  f"ratio {http / local:4.2f}×")  # fmt: skip
            print(f"load after: {_load()}")
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
