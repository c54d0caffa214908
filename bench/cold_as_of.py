"""The first list ``as_of`` of a process, in process: 100 cases loaded cold (issue 24).

    .venv/bin/python -m bench.cold_as_of --url sqlite:////tmp/bench-serve-1000.db --offices 4

For each of ``--offices`` offices of a :mod:`bench.bulk` store (100 cases each), a new
``CaseLog`` (an empty case cache) lists the office as known at ``--as-of``, the way
``GET /cases?as_of=…`` does (``api.http.routers.case_list._as_of`` for each case the
views' index names). Printed: wall and CPU milliseconds per office. The OS page cache
is not dropped: a store not read since it was built is also read from disk the first
time. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time

from api.app import open_cases
from api.http.deps import ReadWindow
from api.http.routers.case_list import _as_of
from api.settings import Settings
from bench import bulk
from projections.views.follower import CaseViews


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--offices", type=int, default=4)
    parser.add_argument("--as-of", default="2024-06-30T12:00:00+09:00")
    args = parser.parse_args(argv)
    instant = dt.datetime.fromisoformat(args.as_of)
    window = ReadWindow(on=instant.date(), as_of=instant)
    for office in range(args.offices):
        cases = open_cases(Settings(database_url=args.url))
        try:
            views = CaseViews(cases)
            gen, _ = views.fresh(5_000)
            ids = views.office_case_ids(bulk.office_id(office), None, 100, gen)
            gc.collect()
            gc.freeze()  # as a server does after start-up
            wall, cpu = time.perf_counter(), time.process_time()
            listed = [s for s in (_as_of(cases, case_id, window) for case_id, _ in ids) if s]
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            gc.unfreeze()
        finally:
            cases.close()
        print(f"office {bulk.office_id(office)}: {len(listed)} cases listed as of {args.as_of}"
              f" in {wall * 1000:,.0f} ms ({cpu * 1000:,.0f} ms CPU)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
