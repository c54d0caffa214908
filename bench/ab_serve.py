"""A/B: one store read through the servers of two checkouts, their requests alternated.

    git worktree add /tmp/old <commit> && ln -s "$PWD/var" /tmp/old/var   # its key files
    .venv/bin/python -m bench.ab_serve URL /tmp/old "$PWD" --rounds 10 --per-round 6

Both servers (``--workers 1``) run on the same machine against the same store, each from
its own checkout (``PYTHONPATH`` and working directory); each round reads every read of
:mod:`bench.serve_reads` ``--per-round`` times on each side, the order of the sides
swapped every other round, so load and caches fall on both alike. Prints p50/p95 per side
and the ratio of the p50s: the figure to trust when the machine's load varies run to run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import bulk
from bench import serve_reads as sr
from bench.serving import make_token


def start(url: str, checkout: str, token: str, size: int) -> sr.Side:
    side = sr.Side("postgresql" if url.startswith("postgresql") else "sqlite", size, url, token)
    sr.start_server(side, 1, checkout=checkout)
    sr.sign_in(side)
    return side


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("old", help="the checkout measured first (A)")
    parser.add_argument("new", help="the checkout measured against it (B)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=6)
    parser.add_argument("--size", type=int, default=1000, help="the store's cases (checked)")
    args = parser.parse_args()
    app = bulk.open_store(args.url)
    try:
        sr.settled_listings(app)  # not indexed by the servers' followers while measured
    finally:
        app.close()
    token = make_token(args.url, "staff", bulk.office_id(0))
    sides = {name: start(args.url, checkout, token, args.size)
             for name, checkout in (("old", args.old), ("new", args.new))}  # fmt: skip
    try:
        clients = {name: sr.Client(side) for name, side in sides.items()}
        for name, side in sides.items():  # warm-up: not counted
            for read in sr.READS:
                for _ in range(3):
                    sr.one_read(clients[name], side, read)
        samples: dict[str, dict[str, list[float]]] = {n: {r: [] for r in sr.READS} for n in sides}
        for k in range(args.rounds):
            order = ["old", "new"] if k % 2 == 0 else ["new", "old"]
            for read in sr.READS:
                for name in order:
                    for _ in range(args.per_round):
                        took = sr.one_read(clients[name], sides[name], read)
                        samples[name][read].append(took * 1000)
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"load {load}; {args.url}; {args.rounds} × {args.per_round} samples a side")
        print(f"{'read':10} {'A p50/p95':>16} {'B p50/p95':>16}  p50 B/A")
        for read in sr.READS:
            a, b = samples["old"][read], samples["new"][read]
            print(f"{read:10} {quantile(a, .5):7.1f}/{quantile(a, .95):7.1f} "
                  f"{quantile(b, .5):7.1f}/{quantile(b, .95):7.1f}  "
                  f"{quantile(b, .5) / quantile(a, .5):.2f}")  # fmt: skip
    finally:
        for side in sides.values():
            sr.stop_server(side)


if __name__ == "__main__":
    main()
