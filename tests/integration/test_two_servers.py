"""Two ``teichaku serve`` processes on one PostgreSQL database, as two hosts would run them.

One of them follows the views (it holds the follower's advisory lock, decision 0050);
when it dies the other takes over; a write through either is read through the other
at once (read-your-writes across servers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.store.leader import lock_key
from tests.factories import case_opened_payload
from tests.integration.conftest import PG_DSN, Backend
from tests.integration.test_erasure_other_process import _cli, _free_port, _wait_until_up

ROOT = Path(__file__).resolve().parents[2]
# Several hosts share PostgreSQL; on SQLite every process follows its own views (one host),
# so the test runs on PostgreSQL only rather than being reported as skipped on SQLite.
pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEICHAKU_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--database", url],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as probe:
        _wait_until_up(probe, server)
    return server, base


def _someone_follows(schema: str) -> bool:
    """Whether a server holds the follower lock (asked by taking it: given back at once)."""
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        (free,) = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(schema),)).fetchone()
        if free:
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(schema),))
        return not free


def _wait_for(condition: object, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def servers(backend: Backend) -> Iterator[tuple[list[subprocess.Popen[bytes]], list[str], str]]:
    backend.open()  # the store, its key file (the default place: shared by both servers)
    made = _cli("token", "create", "--role", "admin", "--name", "管理 者",
                "--database", backend.url)  # fmt: skip
    assert made.returncode == 0, made.stderr
    schema = backend.events_table.split(".")[0]
    first, first_url = _serve(backend.url)
    assert _wait_for(lambda: _someone_follows(schema)), "the first server does not follow"
    second, second_url = _serve(backend.url)
    processes = [first, second]
    try:
        yield processes, [first_url, second_url, made.stdout.strip()], schema
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)


def test_one_server_follows_the_other_takes_over_and_writes_are_read_across(
    servers: tuple[list[subprocess.Popen[bytes]], list[str], str],
) -> None:
    (first, _), (a, b, token), schema = servers
    auth = {"Authorization": f"Bearer {token}"}
    office = {"office_id": "1310100001"}
    with httpx.Client(headers=auth, timeout=30) as client:
        # A write through one server is listed by the other at once
        for n, (writer, reader) in enumerate([(a, b), (b, a), (a, b)]):
            opened = client.post(f"{writer}/cases", json=case_opened_payload(
                "2024-03-01", recipient_number=f"20000000{n:02d}"))  # fmt: skip
            assert opened.status_code == 201, opened.text
            listed = client.get(f"{reader}/cases", params=office).json()["cases"]
            assert opened.json()["case_id"] in {c["case_id"] for c in listed}
        # When the follower (the first server) dies, the second takes over
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert _wait_for(lambda: _someone_follows(schema)), "nobody took over"
        # … and it keeps the views current by itself: a write appears in /health's position
        before = client.get(f"{b}/health").json()["views"]["position"]
        opened = client.post(f"{b}/cases", json=case_opened_payload(
            "2024-03-01", recipient_number="2000000099"))  # fmt: skip
        assert opened.status_code == 201
        assert _wait_for(lambda: client.get(f"{b}/health").json()["views"]["position"] > before)
