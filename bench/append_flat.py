"""Append cost against case size: CPU per appended event at ~100 and at ~10,000 events.

Issue 24's target: the CPU an append costs at 10,000 events is at most 1.5× what it
costs at 100 (appends flat in case size). One case is grown through ``CaseLog.record``
(the product's path: load from the cache or a snapshot, validate, seal the summary, check
the invariants, link the chain, save), and the process CPU time of ``--sample`` appends
is measured when the case holds 100 events and again when it holds ``--size``.

    .venv/bin/python -m bench.append_flat                 # SQLite file, 10,000 events
    .venv/bin/python -m bench.append_flat --backend postgresql --size 10000
    .venv/bin/python -m bench.append_flat --profile       # + cProfile of the large sample
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.store.application import CaseLog, persistence_env

PG = "postgresql://postgres@127.0.0.1:5432/test"
FIRST = date(2024, 4, 1)
DAYS = 900  # contact days cycle over 2024-04-01 … (all before today)


def _contact(n: int) -> dict[str, Any]:
    day = FIRST + timedelta(days=n % DAYS)
    return {"type": "contact_recorded", "contact_on": day.isoformat(), "counterpart": "person",
            "mode": "face_to_face" if n % 3 else "phone", "summary": f"第{n}回の面談"}  # fmt: skip


def _grow(cases: CaseLog, case_id: UUID, upto: int, done: int) -> int:
    while done < upto:
        data = _contact(done)
        event_type = data.pop("type")
        cases.record(case_id, event_type, data, recorded_by="担当")
        done += 1
    return done


def _sample(cases: CaseLog, case_id: UUID, done: int, count: int) -> tuple[float, int]:
    """The median CPU seconds of one append over ``count`` appends, and the events held
    after. The median: a snapshot (at doubling versions, constant per event amortised)
    or another process's burst on a shared machine does not decide the figure."""
    spent = []
    for _ in range(count):
        started = time.process_time()
        done = _grow(cases, case_id, done + 1, done)
        spent.append(time.process_time() - started)
    return statistics.median(spent), done


def run(url: str, size: int, sample: int, profile: bool) -> dict[str, float]:
    cases = CaseLog(env=persistence_env(url))
    try:
        opened = {
            "person": {"name": "試験 花子", "name_kana": "シケン ハナコ"},
            "recipient_number": "1234567890", "municipality_code": "131016",
            "office_id": "1310100001", "opened_on": "2024-03-01",
            "prior_service": {"kind": "employment_transition", "ended_on": "2024-03-31"},
        }  # fmt: skip
        case_id = cases.open_case(opened, recorded_by="担当").id
        done = _grow(cases, case_id, 100, 1)
        small, done = _sample(cases, case_id, done, sample)
        print(f"  {done} events: {small * 1000:.2f} ms CPU per append (median)", flush=True)
        done = _grow(cases, case_id, size, done)
        profiler = cProfile.Profile(time.process_time) if profile else None
        if profiler is not None:
            profiler.enable()
        large, done = _sample(cases, case_id, done, sample)
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        print(f"  {done} events: {large * 1000:.2f} ms CPU per append (median)", flush=True)
        return {"small_ms": small * 1000, "large_ms": large * 1000, "ratio": large / small}
    finally:
        cases.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'append.db'}"
            figures = run(url, args.size, args.sample, args.profile)
        else:
            figures = _on_postgres(args)
    print(f"per-event CPU at {args.size} / at 100 events: {figures['ratio']:.2f}× "
          f"(target ≤ 1.5×)")  # fmt: skip
    return 0


def _on_postgres(args: argparse.Namespace) -> dict[str, float]:
    import psycopg

    schema = f"teichaku_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with tempfile.TemporaryDirectory() as keys:
            url = f"{PG}?schema={schema}"
            import os

            os.environ["TEICHAKU_KEY_FILE"] = str(Path(keys) / "bench.keys")
            return run(url, args.size, args.sample, args.profile)
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    raise SystemExit(main())
