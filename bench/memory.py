"""A server's memory after reading many different cases (issue 24: ≤ 300 MB after 1,000).

    .venv/bin/python -m bench.memory --url sqlite:///var/bench1k.db --cases 1000

On a store made by ``bench.bulk``, starts a real ``teichaku serve`` (one process), reads
entitlement, compliance and timeline of ``--cases`` different cases over HTTP (a case page's
reads), and prints the server's resident memory (``VmRSS``) and its peak (``VmHWM``) from
``/proc``, before and after. The aggregate cache is what keeps memory after the reads
(``TEICHAKU_CASE_CACHE_MB``, decision 0051).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from bench.serving import make_token, served


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args(argv)
    token = make_token(args.url, "admin")
    with (
        served(args.url) as (base, server),
        httpx.Client(base_url=base, timeout=120,
                     headers={"Authorization": f"Bearer {token}"}) as client,  # fmt: skip
    ):
        deadline = time.monotonic() + 120
        while True:  # the views caught up (a server folds a new store in bulk first)
            views = client.get("/health").json()["views"]
            if views["position"] > 0 and views["behind"] == 0:
                break
            if time.monotonic() > deadline + 1800:
                raise SystemExit("the views did not catch up")
            time.sleep(1)
        ids: list[str] = []
        cursor = None
        while len(ids) < args.cases:
            params: dict[str, str | int] = {"limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/cases", params=params)
            body = page.json()
            ids += [c["case_id"] for c in body["cases"]]
            cursor = body.get("next_cursor")
            if not cursor:
                break
        ids = ids[: args.cases]
        print(f"before: RSS {_kib(server.pid, 'VmRSS') / 1024:.0f} MiB", flush=True)
        started = time.perf_counter()
        for n, case_id in enumerate(ids, 1):
            for what in ("entitlement", "compliance", "timeline"):
                client.get(f"/cases/{case_id}/{what}").raise_for_status()
            if n % 200 == 0:
                print(f"  {n} cases: RSS {_kib(server.pid, 'VmRSS') / 1024:.0f} MiB",
                      flush=True)  # fmt: skip
        took = time.perf_counter() - started
        rss, peak = _kib(server.pid, "VmRSS") / 1024, _kib(server.pid, "VmHWM") / 1024
        print(f"after {len(ids)} different cases ({took:.0f} s): RSS {rss:.0f} MiB, "
              f"peak {peak:.0f} MiB (target ≤ 300 MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
