"""The first list ``as_of`` of a process, in process: 100 cases cold (issue 24).

    .venv/bin/python -m bench.cold_as_of --url sqlite:////tmp/bench-serve-1000.db --offices 4

For each of ``--offices`` offices of a :mod:`bench.bulk` store (100 cases each), a new
``CaseLog`` (an empty case cache) lists the office as known at ``--as-of`` both ways
``GET /cases?as_of=…`` can: from the views' known rows and clock pages (decision 0062,
what it does when the views are current) and by folding each case as known then (what
it does for a row of an older shape, or when the views are behind). Printed: wall and
CPU milliseconds per office and way, and whether both ways listed the same. The OS page
cache is not dropped: a store not read since it was built is also read from disk the
first time. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import time

from api.app import open_cases
from api.http.deps import ReadWindow
from api.http.routers.case_list import _Known
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
        for way in ("known rows", "folds"):
            cases = open_cases(Settings(database_url=args.url))
            try:
                views = CaseViews(cases)
                gen, behind = views.fresh(5_000)
                ids = [i for i, _ in views.office_case_ids(bulk.office_id(office), None, 100, gen)]
                known = _Known(cases, views, gen, window, trusted=way == "known rows")
                if way == "known rows" and behind:
                    print(f"the views are {behind} events behind: they would not be read")
                gc.collect()
                gc.freeze()  # as a server does after start-up
                wall, cpu = time.perf_counter(), time.process_time()
                listed = {i: s for i, s in known.summaries(ids).items() if s}
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                gc.unfreeze()
            finally:
                cases.close()
            if way == "known rows":
                first = listed
            same = "" if way == "known rows" else (
                ", the same as from known rows" if listed == first else ", NOT THE SAME")
            print(f"office {bulk.office_id(office)}, {way}: {len(listed)} cases listed as of "
                  f"{args.as_of} in {wall * 1000:,.1f} ms ({cpu * 1000:,.1f} ms CPU){same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
