"""A real ``teichaku serve`` for the benchmarks: a free loopback port, a token, the server
started, waited for (``GET /health`` answers 200) and stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_token(url: str, role: str, office: str | None = None) -> str:
    """A bearer token made by ``teichaku token create`` on the store ``url``."""
    made = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--role", role,
         *(["--office", office] if office else []), "--name", "ベンチ", "--database", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


def server_env() -> dict[str, str]:
    """This process's environment without ``TEICHAKU_DATABASE`` (the store is named by
    ``--database``)."""
    return {k: v for k, v in os.environ.items() if k != "TEICHAKU_DATABASE"}


def wait_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Until ``GET /health`` answers 200 (SystemExit when the server died or took longer)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("teichaku serve did not start")
        time.sleep(0.3)


@contextmanager
def served(url: str, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``teichaku serve --workers N`` on a free port: its base URL and its process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--database", url,
         "--workers", str(workers)],
        env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)
