"""Benchmark the office's month's claim (issue 22) on a store at scale.

    .venv/bin/python -m bench.claim --url sqlite:////tmp/bulk10k.db --build 10000 --offices 100
    .venv/bin/python -m bench.claim --url sqlite:////tmp/bulk10k.db --skip-rebuild

On the store that ``--url`` names (``--build N``: first write N cases over ``--offices``
offices with :func:`bench.bulk.generate`, when the store is empty):

1. the stored views rebuilt (``teichaku projections rebuild``, 1 worker; ``--skip-rebuild``
   when they are current), so the claim reads them as a running server does;
2. the first office's 体制 recorded once (registration, a tier for every fiscal year, the
   job-coach add-on, a 地域区分 unit price), as an administrator would;
3. the month from 2024-04 in which most of that office's cases are in support (or
   ``--month``);
4. ``GET /offices/{id}/claim?month=`` (JSON) over HTTP (FastAPI TestClient): the first read
   of a fresh app (cold: no case in memory) and the median / p95 of ``--samples`` reads
   after 5 warm-ups.

Reported: the store's events and cases, the office's cases, the people the claim folds and
their events, the cold read's **events folded per second**, and the ratio of the store's
events to the events the claim folds (how much of the store it does not read). Figures
only: nothing here is asserted (a time is never a test).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from bench.bulk import generate, stored_events
from bench.run import timed
from domain.history import tokyo_date
from domain.office import Office, office_aggregate_id
from domain.rules.cal import add_months, month_of
from domain.store.application import CaseLog
from projections.views.office import billing_lines
from projections.views.rebuild import rebuild

#: From 令和6年度 on: the built-in schedule before it lacks most values (R3: ≤20 users only),
#: so an earlier month's claim is mostly undecided and would measure less work.
FIRST_MONTH = date(2024, 4, 1)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def record_setup(cases: CaseLog, office_id: str, today: date) -> bool:
    """The office's 体制, once (False: it was already recorded)."""
    try:
        cases.repository.get(office_aggregate_id(office_id))
        return False
    except Exception:  # AggregateNotFoundError: nothing recorded yet
        pass
    at = cases.clock()
    office = Office.register({"office_id": office_id, "name": "ベンチ事業所",
                              "designated_on": "2018-04-01"}, recorded_by="bench",
                             recorded_at=at)  # fmt: skip
    last_year = today.year if today.month >= 4 else today.year - 1
    events: list[tuple[str, dict[str, Any]]] = [
        ("tier_notified", {"fiscal_year": y, "tier_percent": 90, "notified_on": f"{y}-04-01"})
        for y in range(2019, last_year + 1)
    ]
    events += [
        ("addon_notified", {"addon": "job_coach", "from_month": "2019-04",
                            "notified_on": "2019-03-15"}),
        ("unit_price_set", {"yen_per_unit": "10.70", "from_month": "2019-04"}),
    ]  # fmt: skip
    for event_type, payload in events:
        office.record(event_type, payload, recorded_by="bench", recorded_at=at)
    cases.save(office)
    return True


def busiest_month(rows: list[Any], today: date) -> tuple[str, int]:
    """The month with the most of the office's cases in support (the claim's heaviest)."""
    best = ("", -1)
    month = FIRST_MONTH
    while month_of(month) < month_of(today):
        found = len(billing_lines(rows, month_of(month), today))
        if found > best[1]:
            best = (month_of(month), found)
        month = add_months(month, 1)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the office's month's claim.")
    parser.add_argument("--url", required=True, help="database URL of the store")
    parser.add_argument("--build", type=int, default=0, help="write N cases first (empty store)")
    parser.add_argument("--offices", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--month", default=None, help="YYYY-MM (default: the busiest)")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--skip-rebuild", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings(database_url=args.url)
    if args.build:
        say(f"writing {args.build:,} cases over {args.offices} offices …")
        built = generate(args.url, args.build, args.offices, workers=args.workers,
                         append=False, progress=True)  # fmt: skip
        say(f"  {built.events:,} events in {built.seconds:.1f} s")
    if not args.skip_rebuild:
        say("rebuilding the stored views (1 worker) …")
        report = rebuild(settings.persistence_env(), 1)
        say(f"  {report.events:,} events in {report.seconds:.1f} s")

    app = create_app(settings)
    cases: CaseLog = app.state.cases
    views = app.state.views
    views.catch_up()
    gen = views.generation
    office_id = views.store.offices(gen)[0]
    today = tokyo_date(cases.clock())
    rows, after = [], None
    while True:
        page, after = views.page(office_id, after, 500, gen=gen)
        rows += page
        if after is None:
            break
    month, in_support = (args.month, -1) if args.month else busiest_month(rows, today)
    if record_setup(cases, office_id, today):
        say(f"recorded the 体制 of office {office_id}")
    store_events = stored_events(cases)
    store_cases = views.store.count(gen)
    admin = app.state.tokens.create("admin", "bench admin")
    headers = {"Authorization": f"Bearer {admin}"}
    url = f"/offices/{office_id}/claim"
    client = TestClient(app)
    say(f"GET {url}?month={month} (cold, then {args.samples} samples) …")
    started = time.perf_counter()
    first = client.get(url, params={"month": month}, headers=headers)
    cold = time.perf_counter() - started
    if first.status_code != 200:
        raise SystemExit(f"claim read failed: {first.status_code} {first.text[:300]}")
    body = first.json()
    people = [UUID(p["case_id"]) for p in body["people"]]
    folded = sum(cases.get_case(c).version for c in people)

    def read() -> None:
        if client.get(url, params={"month": month}, headers=headers).status_code != 200:
            raise SystemExit("claim read failed")

    warm = timed(args.samples, {"claim": read})["claim"]
    print(f"store: {store_cases:,} cases, {store_events:,} stored events")
    print(f"office {office_id}: {len(rows)} cases; month {month}: {len(people)} people "
          f"({in_support if in_support >= 0 else '?'} in support by the views), "
          f"{folded:,} events folded, total {body['total']['units']} units, "
          f"{body['total']['yen']} yen")  # fmt: skip
    print(
        f"cold read: {cold:.2f} s = {folded / cold:,.0f} events folded/s; "
        f"store events / events folded = {store_events / max(folded, 1):,.0f}×"
    )
    print(f"warm reads: median {warm['median_ms']:.1f} ms, p95 {warm['p95_ms']:.1f} ms "
          f"({folded / (warm['median_ms'] / 1000):,.0f} events/s at the median)")  # fmt: skip
    cases.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
