"""A server killed with SIGKILL in the middle of a write loop loses nothing it acknowledged.

``teichaku serve`` runs as its own process on SQLite and on PostgreSQL; a client writes
contacts one after another and notes every ``201``; the server is killed with SIGKILL
while the loop runs (a request may be in flight), then started again on the same store.
Every acknowledged event must be there with the version it was acknowledged with, at
most the one in-flight write may have been stored besides, the versions have no gap, and
the hash chain verifies (``/audit`` and ``teichaku verify``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from api.cli.main import main
from api.http.auth import TokenStore
from tests.factories import case_opened_payload
from tests.integration.conftest import Backend

ROOT = Path(__file__).resolve().parents[2]
ACKED_BEFORE_KILL = 25


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(url: str, headers: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--database", url],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, headers, proc)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _wait_until_up(base: str, headers: dict[str, str], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "teichaku serve exited"
        try:
            if httpx.get(f"{base}/rules", headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("teichaku serve did not start")


def _contact(n: int) -> dict[str, Any]:
    return {"type": "contact_recorded", "contact_on": "2024-05-10", "counterpart": "person",
            "mode": "face_to_face", "summary": f"第{n}回"}  # fmt: skip


def test_every_acknowledged_event_survives_a_sigkill_and_the_chain_verifies(
    backend: Backend, capsys: Any
) -> None:
    headers = {"Authorization": f"Bearer {TokenStore(backend.open()).create('admin', '管理 者')}"}
    acked: dict[str, int] = {}  # summary -> version acknowledged
    attempted: list[str] = []
    enough = threading.Event()

    with _server(backend.url, headers) as (proc, base):
        opened = httpx.post(f"{base}/cases", json=case_opened_payload(), headers=headers)
        case_id = opened.json()["case_id"]

        def write_loop() -> None:
            with httpx.Client(base_url=base, headers=headers) as client:
                for n in range(1, 100_000):
                    attempted.append(f"第{n}回")
                    try:
                        got = client.post(f"/cases/{case_id}/events", json=_contact(n))
                    except httpx.TransportError:
                        return  # the server died under this request: outcome unknown
                    assert got.status_code == 201, got.text
                    acked[f"第{n}回"] = got.json()["version"]
                    if len(acked) >= ACKED_BEFORE_KILL:
                        enough.set()

        writer = threading.Thread(target=write_loop)
        writer.start()
        assert enough.wait(timeout=120), "the write loop did not get going"
        os.kill(proc.pid, signal.SIGKILL)  # while the loop is still writing
        writer.join(timeout=60)
        assert not writer.is_alive()
        assert proc.wait() == -signal.SIGKILL

    with _server(backend.url, headers) as (_, base):
        events = httpx.get(f"{base}/cases/{case_id}/events", headers=headers).json()["events"]
        audit = httpx.get(f"{base}/cases/{case_id}/audit", headers=headers).json()

    stored = {e["payload"]["summary"]: e["version"] for e in events[1:]}
    assert len(acked) >= ACKED_BEFORE_KILL
    assert {s: stored.get(s) for s in acked} == acked  # nothing acknowledged is lost
    unacknowledged = set(stored) - set(acked)
    assert unacknowledged <= set(attempted[-1:])  # at most the write in flight
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert audit["verified"] is True
    capsys.readouterr()
    assert main(["verify", "--case", case_id, "--database", backend.url]) == 0
