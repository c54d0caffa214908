"""Issue 24's table of reads, measured against real ``teichaku serve`` processes over loopback.

    .venv/bin/python -m bench.serve_reads                      # 1k and 10k cases, both backends
    .venv/bin/python -m bench.serve_reads --sizes 1000 --backends sqlite --rounds 5

For every (backend, size) — a *side* — a store of ``size`` cases in 100-case offices
(``size/100`` offices; case 0 is a ≈ 400-event case, the rest ≈ 210 events) is built by
:mod:`bench.bulk` (COPY on PostgreSQL), its views rebuilt with ``teichaku projections
rebuild`` and its tables analysed; a staff token of office 0 is made with ``teichaku token
create``. A store that already holds events is reused as it is (``--keep`` leaves the
stores for the next run; without it they are dropped at the end: the PostgreSQL schema
``bench_serve_<size>``, the SQLite file ``/tmp/bench-serve-<size>.db`` and their key files).

Then, with one ``teichaku serve --workers 1`` subprocess per side, all sides up at once,
``--rounds`` rounds; in each round every side in turn (the order reversed every other
round, so no side always goes first) gets ``--per-round`` requests of each read, over
one keep-alive ``http.client`` connection per side:

- ``GET /cases?office_id=…`` (100 cases listed),
- ``GET /offices/{id}/due``, ``…/billing?month=2024-06``, ``…/retention?fiscal_year=2024``,
- ``GET /web/?office_id=…`` (the dashboard, with a session cookie from ``POST /web/login``
  with the token),
- entitlement + compliance + timeline of the 400-event case (three GETs; the figure is
  their sum),
- ``GET /cases?office_id=…&as_of=…`` (100 cases folded as known at an instant): only
  ``--as-of-samples`` per side, once, after the rounds (it was minutes per request).

A warm-up round comes first and is not counted. Latency is the client's: from sending the
request to having read the whole answer. Then the servers are restarted with ``--workers
2`` and each side serves the same mix (the office list, then the three case reads) from 1
client and from 4 clients (threads, each with its own connection) for ``--seconds``,
sides and the 1/4 order alternating; the figure is requests per second and the ratio.

Printed: a table of p50/p95 per read and side, the ratios larger/smallest size, the
concurrency table, the machine's load average before and after each phase. Figures only:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import bulk
from bench.serving import free_port, make_token, server_env
from domain.store.application import CaseLog

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CASES_PER_OFFICE = 100
BILLING_MONTH = "2024-06"  # every case of the bulk stores is in its support period then
FISCAL_YEAR = 2024
AS_OF = "2024-06-30T12:00:00+09:00"
READS = ("cases", "due", "billing", "retention", "dashboard", "case x3")


def label(size: int) -> str:
    return f"{size / 1000:g}k"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the stores --------------------------------------------------------------------------


def store_url(backend: str, size: int) -> str:
    if backend == "sqlite":
        return f"sqlite:////tmp/bench-serve-{size}.db"
    return f"{PG_DSN}?schema=bench_serve_{size}"


def build_store(url: str, size: int, workers: int) -> str:
    """Build (or reuse) the store; what was done, for the log."""
    app = bulk.open_store(url)
    try:
        held = bulk.stored_events(app)
    finally:
        app.close()
    if held:
        app = bulk.open_store(url)
        try:
            bulk.analyze(app)
            indexed = settled_listings(app)
        finally:
            app.close()
        return (f"reused ({held:,} events; its views as they are), analysed, "
                f"{indexed:,} listings indexed")  # fmt: skip
    offices = max(1, size // CASES_PER_OFFICE)
    done = bulk.generate(url, size, offices, workers=workers, heavy=1, progress=False)
    views = bulk.rebuild_views(url, workers)
    app = bulk.open_store(url)
    try:
        bulk.analyze(app)  # the views' tables too, now that they are filled
    finally:
        app.close()
    return (
        f"built {done.events:,} events in {done.seconds:.1f} s ({done.rate:,.0f} events/s), "
        f"views rebuilt in {views:.1f} s ({done.events / views:,.0f} events/s)"
    )


def settled_listings(app: CaseLog) -> int:
    """Index the listings left unindexed (by in-process tools, which run no follower) now,
    before a server is measured: its follower would index them during the measurement
    (decision 0055; a table run read 35-78 ms p95 for that). Returns how many."""
    return int(app.access.index_listings(10**9))


def drop_store(url: str) -> None:
    from domain.store.persistence import key_file_of, persistence_env

    env = persistence_env(url)
    key_file = key_file_of(env)
    if url.startswith("sqlite:"):
        base = env["SQLITE_DBNAME"]
        for suffix in ("", "-wal", "-shm"):
            Path(base + suffix).unlink(missing_ok=True)
    else:
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(env["POSTGRES_SCHEMA"])
                )
            )
    if key_file:
        Path(key_file).unlink(missing_ok=True)


# -- a server and a client ---------------------------------------------------------------


@dataclass
class Side:
    backend: str
    size: int
    url: str
    token: str = ""
    cookie: str = ""
    port: int = 0
    server: subprocess.Popen[bytes] | None = None
    #: Where the server writes its log (stderr): read it when a request failed.
    log: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    as_of: list[float] = field(default_factory=list)
    rates: dict[int, list[float]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.backend} {label(self.size)}"

    @property
    def office(self) -> str:
        return bulk.office_id(0)

    @property
    def heavy(self) -> str:
        return str(bulk.case_id(7, 0))


def start_server(side: Side, workers: int, checkout: str | None = None) -> None:
    """``teichaku serve`` for ``side``, once its ``/health`` answers; ``checkout``: run the
    code of that directory (``bench.ab_serve``), not this one."""
    side.port = free_port()
    env = server_env()
    if checkout is not None:
        env["PYTHONPATH"] = checkout
    # The server's own log (its errors: what a 500 was), one file per port, kept.
    log = Path(tempfile.gettempdir()) / f"bench-serve-{side.port}.log"
    with log.open("wb") as errors:
        side.server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(side.port), "--database",
             side.url, "--workers", str(workers)],
            cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
    side.log = str(log)
    deadline = time.monotonic() + 180
    while True:
        try:
            status, _ = Client(side).get("/health", auth=False)
            if status == 200:
                return
        except OSError:
            pass
        if side.server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"teichaku serve did not start on {side.name}")
        time.sleep(0.3)


def stop_server(side: Side) -> None:
    if side.server is not None:
        side.server.terminate()
        try:
            side.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            side.server.kill()
            side.server.wait()
        side.server = None


class Client:
    """One keep-alive connection to a side's server."""

    def __init__(self, side: Side, timeout: float = 900) -> None:
        self.side = side
        self.conn = http.client.HTTPConnection("127.0.0.1", side.port, timeout=timeout)

    def get(self, path: str, *, auth: bool = True, web: bool = False) -> tuple[int, bytes]:
        headers = {}
        if web:
            headers["Cookie"] = self.side.cookie
        elif auth:
            headers["Authorization"] = f"Bearer {self.side.token}"
        self.conn.request("GET", path, headers=headers)
        answer = self.conn.getresponse()
        return answer.status, answer.read()

    def timed(self, path: str, *, web: bool = False) -> tuple[float, bytes]:
        started = time.perf_counter()
        status, body = self.get(path, web=web)
        took = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"{self.side.name} GET {path}: {status} {body[:200]!r} "
                             f"(the server's log: {self.side.log})")  # fmt: skip
        return took, body

    def close(self) -> None:
        self.conn.close()


def sign_in(side: Side) -> None:
    """A web session: ``POST /web/login`` with the token, the cookie it sets."""
    conn = http.client.HTTPConnection("127.0.0.1", side.port, timeout=60)
    conn.request("POST", "/web/login", body=urlencode({"token": side.token}),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    answer = conn.getresponse()
    answer.read()
    cookie = answer.getheader("Set-Cookie") or ""
    conn.close()
    if answer.status != 303 or not cookie:
        raise SystemExit(f"{side.name}: sign-in failed ({answer.status})")
    side.cookie = cookie.split(";", 1)[0]


# -- the reads ---------------------------------------------------------------------------


def one_read(client: Client, side: Side, read: str) -> float:
    """Seconds of one read (the three case reads: their sum); checks what came back."""
    office, heavy = side.office, side.heavy
    if read == "cases":
        took, body = client.timed(f"/cases?office_id={office}")
        listed = len(json.loads(body)["cases"])
        if listed != min(CASES_PER_OFFICE, side.size):
            raise SystemExit(f"{side.name}: {listed} cases listed")
        return took
    if read == "due":
        return client.timed(f"/offices/{office}/due")[0]
    if read == "billing":
        took, body = client.timed(f"/offices/{office}/billing?month={BILLING_MONTH}")
        if not json.loads(body)["lines"]:
            raise SystemExit(f"{side.name}: no billing line for {BILLING_MONTH}")
        return took
    if read == "retention":
        return client.timed(f"/offices/{office}/retention?fiscal_year={FISCAL_YEAR}")[0]
    if read == "dashboard":
        took, body = client.timed(f"/web/?office_id={office}", web=True)
        if b"<html" not in body[:500].lower():
            raise SystemExit(f"{side.name}: the dashboard is not a page")
        return took
    assert read == "case x3"
    return sum(
        client.timed(f"/cases/{heavy}/{what}")[0]
        for what in ("entitlement", "compliance", "timeline")
    )


def alternating(sides: list[Side], r: int) -> list[Side]:
    return sides if r % 2 == 0 else sides[::-1]


def latency_rounds(sides: list[Side], rounds: int, per_round: int) -> None:
    clients = {s.name: Client(s) for s in sides}
    try:
        for r in range(-1, rounds):  # round -1: warm-up, not counted
            for side in alternating(sides, r):
                client = clients[side.name]
                for read in READS:
                    for _ in range(per_round):
                        took = one_read(client, side, read)
                        if r >= 0:
                            side.samples.setdefault(read, []).append(took)
            say(f"  round {r + 1}/{rounds} done (load {_load()})" if r >= 0 else "  warm-up done")
    finally:
        for c in clients.values():
            c.close()


def as_of_reads(sides: list[Side], samples: int, give_up: float) -> None:
    path = "/cases?" + urlencode({"office_id": bulk.office_id(0), "as_of": AS_OF})
    for k in range(samples):
        for side in alternating(sides, k):
            if side.as_of and side.as_of[-1] > give_up:
                continue  # one answer that slow is the figure
            client = Client(side)
            try:
                took, body = client.timed(path)
            finally:
                client.close()
            side.as_of.append(took)
            say(f"  as_of {side.name}: {took * 1000:,.0f} ms "
                f"({len(json.loads(body)['cases'])} cases)")  # fmt: skip


def mix(client: Client, side: Side) -> int:
    """The concurrency mix: the office list, then the three case reads (4 requests)."""
    one_read(client, side, "cases")
    one_read(client, side, "case x3")
    return 4


def rate(side: Side, clients: int, seconds: float) -> float:
    done = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(k: int) -> None:
        client = Client(side)
        try:
            mix(client, side)  # connection and caches, before the clock
            start.wait()
            while time.monotonic() < stop_at[0]:
                done[k] += mix(client, side)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + 3600
    start.wait()
    began = time.monotonic()
    stop_at[0] = began + seconds
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{side.name}: {errors[0]!r}")
    return sum(done) / (time.monotonic() - began)


def concurrency_rounds(sides: list[Side], rounds: int, seconds: float) -> None:
    for r in range(rounds):
        for side in alternating(sides, r):
            for clients in (1, 4) if r % 2 == 0 else (4, 1):
                got = rate(side, clients, seconds)
                side.rates.setdefault(clients, []).append(got)
                say(f"  {side.name} {clients} client(s): {got:,.1f} requests/s (load {_load()})")


# -- the table ---------------------------------------------------------------------------


def pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def table(sides: list[Side]) -> str:
    """One column per side, in the order given; then, per backend with two sizes or more,
    the p95 of its largest store over its smallest."""
    spans = {}
    for b in dict.fromkeys(s.backend for s in sides):
        mine = sorted((s for s in sides if s.backend == b), key=lambda s: s.size)
        if len(mine) > 1:
            spans[b] = (mine[0], mine[-1])
    heads = [
        "read (ms, p50 / p95, 1 worker)",
        *(s.name for s in sides),
        *(f"{b} p95 {label(hi.size)}/{label(lo.size)}" for b, (lo, hi) in spans.items()),
    ]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]

    def values(side: Side, read: str) -> list[float]:
        return side.as_of if read == "as_of" else side.samples.get(read, [])

    for read in (*READS, "as_of"):
        cells = [
            f"{ms(pct(values(s, read), 50))} / {ms(pct(values(s, read), 95))}"
            if values(s, read) else "—"
            for s in sides
        ]  # fmt: skip
        for lo, hi in spans.values():
            low, high = values(lo, read), values(hi, read)
            cells.append(f"{pct(high, 95) / pct(low, 95):.2f}×" if low and high else "—")
        title = "GET /cases?as_of=… (100 cases)" if read == "as_of" else _LABELS[read]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


_LABELS = {
    "cases": "`GET /cases`, 100 listed",
    "due": "due list",
    "billing": "billing check",
    "retention": "retention",
    "dashboard": "dashboard `/web/`",
    "case x3": "entitlement + compliance + timeline (sum), heavy case (373 events)",
}


def rate_table(sides: list[Side]) -> str:
    lines = ["| side (`--workers 2`) | 1 client, req/s | 4 clients, req/s | 4c / 1c |",
             "|---|---|---|---|"]  # fmt: skip
    for s in sides:
        one, four = statistics.mean(s.rates[1]), statistics.mean(s.rates[4])
        lines.append(f"| {s.name} | {one:,.1f} | {four:,.1f} | {four / one:.2f}× |")
    return "\n".join(lines)


def say(text: str) -> None:
    print(text, flush=True)


@contextmanager
def servers(sides: list[Side], workers: int) -> Iterator[None]:
    try:
        for side in sides:
            start_server(side, workers)
            sign_in(side)
            client = Client(side)
            _, body = client.timed(f"/cases/{side.heavy}/events")
            client.close()
            events = len(json.loads(body)["events"])
            say(f"  {side.name}: server up; the heavy case has {events} events")
        yield
    finally:
        for side in sides:
            stop_server(side)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="ケース数 (default 1000,10000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=3)
    parser.add_argument("--as-of-samples", type=int, default=3)
    parser.add_argument(
        "--as-of-give-up",
        type=float,
        default=30.0,
        help="seconds: one as_of answer slower than this is not repeated",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per concurrency phase")
    parser.add_argument("--rate-rounds", type=int, default=2)
    parser.add_argument("--build-workers", type=int, default=2)
    parser.add_argument(
        "--save",
        default="/tmp/bench-serve-reads.json",
        help="the raw samples, as JSON (default /tmp/bench-serve-reads.json)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the stores for the next run")
    parser.add_argument(
        "--sides",
        help="backend:size pairs instead of --sizes × --backends, e.g. "
        "sqlite:1000,postgresql:1000,postgresql:100000 (a 100k store on one backend only)",
    )
    parser.add_argument("--table-from", help="only print the tables of a saved --save file")
    args = parser.parse_args(argv)
    if args.table_from:
        return print_saved(Path(args.table_from))
    pairs = (
        [(b, int(z)) for b, _, z in (p.partition(":") for p in args.sides.split(","))]
        if args.sides
        else [(b, int(z)) for z in args.sizes.split(",") for b in args.backends.split(",")]
    )
    sides = [Side(b, z, store_url(b, z)) for b, z in pairs]
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    say(f"machine: {os.cpu_count()} CPUs; load {_load()}; {now}")
    try:
        for side in sides:
            say(f"{side.name}: {build_store(side.url, side.size, args.build_workers)}")
            side.token = make_token(side.url, "staff", side.office)
        say(f"latency, {len(sides)} servers with --workers 1; load before {_load()}")
        with servers(sides, 1):
            latency_rounds(sides, args.rounds, args.per_round)
            as_of_reads(sides, args.as_of_samples, args.as_of_give_up)
        say(f"load after: {_load()}")
        say(f"concurrency, servers with --workers 2; load before {_load()}")
        with servers(sides, 2):
            concurrency_rounds(sides, args.rate_rounds, args.seconds)
        say(f"load after: {_load()}")
    finally:
        for side in sides:
            stop_server(side)
            if not args.keep:
                drop_store(side.url)
    Path(args.save).write_text(json.dumps(
        [{"side": s.name, "samples": s.samples, "as_of": s.as_of, "rates": s.rates} for s in sides]
    ))  # fmt: skip
    n = args.rounds * args.per_round
    say(f"\n{n} samples per read and side (as_of: up to {args.as_of_samples})\n")
    say(table(sides))
    say("")
    say(rate_table(sides))
    return 0


def print_saved(path: Path) -> int:
    """The tables of a run from its saved samples (``--save``)."""
    sides = []
    for saved in json.loads(path.read_text()):
        backend, _, size = saved["side"].rpartition(" ")
        side = Side(backend, int(float(size.rstrip("k")) * 1000), "")
        side.samples, side.as_of = saved["samples"], saved["as_of"]
        side.rates = {int(k): v for k, v in saved["rates"].items()}
        sides.append(side)
    say(table(sides))
    say("")
    say(rate_table(sides))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
