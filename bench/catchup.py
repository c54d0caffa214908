"""How fast a server's views catch up from empty on an existing store (bench/README.md).

    .venv/bin/python -m bench.catchup --cases 100 --offices 10
    .venv/bin/python -m bench.catchup --url sqlite:////tmp/s1k.db   # an existing, throwaway store

Without ``--url`` a store of ``--cases`` cases is made by ``bench.bulk`` in a temporary
SQLite file (deleted afterwards). On it, each timed from empty views to current:

1. ``teichaku projections rebuild`` with one worker (the reference);
2. case by case: ``CaseViews.catch_up(bulk=False)``, the catch-up a server did before
   (every batch of 500 events folds again each case it touches);
3. the server's catch-up now: ``CaseViews.catch_up()``, which finds the views far behind
   and folds every case once, the rebuild's way.

(2) and (3) fold into scratch generations far above the live one (``live + 1000`` and
``live + 1001``), dropped afterwards; their tracking rows stay, which is why ``--url``
must name a store that may be thrown away.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from domain.store.application import CaseLog, persistence_env
from projections.views.follower import CaseViews
from projections.views.rebuild import rebuild


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(url: str) -> dict[str, float]:
    env = persistence_env(url)
    report = rebuild(env, workers=1)
    events = report.events
    say(f"rebuild, 1 worker: {events:,} events in {report.seconds:.1f} s = {report.rate:,.0f}/s")
    result = {"events": float(events), "rebuild_1": report.rate}
    for name, scratch, bulk in (("case_by_case", 1000, False), ("bulk", 1001, True)):
        cases = CaseLog(env=env)  # a new process's cold aggregate cache, as a server starts
        try:
            views = CaseViews(cases)
            gen = views.generation + scratch
            views.store.create_views(gen)
            started = time.perf_counter()
            read = views.catch_up(gen, bulk=bulk)
            seconds = time.perf_counter() - started
            assert views.store.count(gen) == report.cases
            views.store.drop_views(gen)
        finally:
            cases.close()
        rate = events / seconds  # every case event of the store, whichever way it went
        say(f"{name}: {seconds:.1f} s = {rate:,.0f} events/s (read {read:,})")
        result[name] = rate
    say(
        f"bulk / case by case: {result['bulk'] / result['case_by_case']:.1f}x; "
        f"bulk / rebuild 1 worker: {result['bulk'] / result['rebuild_1']:.2f}x"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the views' catch-up from empty.")
    parser.add_argument("--url", help="an existing store that may be thrown away")
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--offices", type=int, default=10)
    args = parser.parse_args(argv)
    if args.url:
        measure(args.url)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'catchup.db'}"
        say(f"making {args.cases} cases with bench.bulk …")
        subprocess.run(
            [sys.executable, "-m", "bench.bulk", "--cases", str(args.cases), "--offices",
             str(args.offices), "--url", url, "--quiet"], check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        measure(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
