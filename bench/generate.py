"""A realistic synthetic office for benchmarks: N cases, each followed for 3 years 6 months.

The cases are planned by :mod:`bench.casework`; here they are recorded through
``CaseLog`` (so every invariant applies) in the order an office enters them: all cases
interleaved by day, with a clock that walks forward (each event entered the evening of
its day). Case 0 is the heavy one (~400 events) that the latency benchmark reads.

    .venv/bin/python -m bench.generate --cases 40 --url sqlite:///var/bench.db
"""

from __future__ import annotations

import argparse
import heapq
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from bench.casework import STAFF, Entry, Plan, plan_case
from domain.history import TOKYO, tokyo_date, utc_now
from domain.rules.cal import add_months
from domain.store.application import CaseLog, persistence_env


class WalkingClock:
    """Entered the evening (18:00 JST) of the current day; never goes backwards."""

    def __init__(self) -> None:
        self.day = date(2000, 1, 1)
        self.last = datetime(2000, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        evening = datetime.combine(self.day, time(18, 0), TOKYO).astimezone(UTC)
        self.last = max(evening, self.last + timedelta(milliseconds=1))
        return self.last


def office_plans(cases: int, seed: int = 7, today: date | None = None) -> list[Plan]:
    """``cases`` cases hired over two years, all of them finished by ``today``."""
    rng = random.Random(seed)
    latest_hire = add_months(today or tokyo_date(utc_now()), -43)
    plans = [plan_case(0, latest_hire - timedelta(days=400), rng, intensity=5)]  # the ~400 case
    for n in range(1, cases):
        hired = latest_hire - timedelta(days=rng.randint(0, 730))
        plans.append(plan_case(n, hired, rng, intensity=rng.choice([1, 2, 2, 3])))
    return plans


def record_office(
    app: CaseLog, clock: WalkingClock, plans: list[Plan], progress: Callable[[int], None]
) -> list[UUID]:
    """Record every plan through ``app`` in day order across cases; returns the case ids."""
    ids: list[UUID | None] = [None] * len(plans)
    for done, (day, i, entry) in enumerate(_in_day_order(plans), start=1):
        clock.day = day
        if entry is None:
            ids[i] = app.open_case(plans[i].opened, recorded_by=STAFF[i % 3]).id
        else:
            case_id = ids[i]
            assert case_id is not None
            payload = entry.payload
            if entry.target is not None:
                payload = {**payload, "target_version": entry.target.version}
            app.record(case_id, entry.type, payload, recorded_by=STAFF[i % 3])
        progress(done)
    return [i for i in ids if i is not None]


def _in_day_order(plans: list[Plan]) -> Iterator[tuple[date, int, Entry | None]]:
    def one(i: int, plan: Plan) -> Iterator[tuple[date, int, int, Entry | None]]:
        yield plan.opened_day, i, 0, None
        for k, entry in enumerate(plan.entries, start=1):
            yield entry.day, i, k, entry

    for day, i, _, entry in heapq.merge(*(one(i, p) for i, p in enumerate(plans))):
        yield day, i, entry


def total_events(plans: list[Plan]) -> int:
    return sum(1 + len(p.entries) for p in plans)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Record a synthetic office into a database.")
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", default="sqlite:///var/bench.db", help="database URL")
    args = parser.parse_args(argv)
    clock = WalkingClock()
    app = CaseLog(env=persistence_env(args.url), clock=clock)
    plans = office_plans(args.cases, args.seed)
    total = total_events(plans)

    def progress(done: int) -> None:
        if done % 1000 == 0 or done == total:
            print(f"{done}/{total} events recorded", flush=True)

    ids = record_office(app, clock, plans, progress)
    app.close()
    print(f"{len(ids)} cases recorded; the heavy case is {ids[0]}")


if __name__ == "__main__":
    main()
