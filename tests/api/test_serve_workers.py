"""``teichaku serve --workers N``: several server processes on one store.

Each process keeps its own cache of cases and reads what the others stored since (one
query per read); a web form rendered by one process is accepted by another (they share
the secret that signs forms).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.cli.main import main
from api.web import pages as web
from tests.factories import case_opened_payload


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _contact(day: str, summary: str) -> dict[str, Any]:
    return {"type": "contact_recorded", "contact_on": day, "counterpart": "person",
            "mode": "face_to_face", "summary": summary}  # fmt: skip


def test_two_worker_processes_serve_one_store_and_each_sees_the_others_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert main(["token", "create", "--role", "admin", "--name", "管理 者", "--database", url]) == 0
    headers = {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "TEICHAKU_WEB_SECRET"}
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(port),
         "--database", url],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            _wait_until_up(client)
            opened = client.post("/cases", json=case_opened_payload("2024-03-01"))
            assert opened.status_code == 201
            case = opened.json()["case_id"]
            # Alternate writes and reads over fresh connections, so both processes serve
            # some: every read sees every write so far, whichever process took it.
            for n in range(1, 11):
                with httpx.Client(base_url=client.base_url, headers=headers) as fresh:
                    body = _contact(f"2024-04-{n:02d}", f"第{n}回")
                    assert fresh.post(f"/cases/{case}/events", json=body).status_code == 201
                with httpx.Client(base_url=client.base_url, headers=headers) as fresh:
                    events = fresh.get(f"/cases/{case}/events").json()["events"]
                    assert [e["version"] for e in events] == list(range(1, n + 2))
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.get("/rules").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("teichaku serve --workers 2 did not start")
        time.sleep(0.2)


def test_processes_sharing_the_form_secret_accept_each_others_forms(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second = (create_app(_settings(tmp_path, n)) for n in (1, 2))
    cookies = {web.COOKIE: "the-same-session"}
    asked = [SimpleNamespace(app=app, cookies=cookies) for app in (first, second)]
    assert web._csrf(asked[0]) != web._csrf(asked[1])  # each process: its own secret

    monkeypatch.setenv("TEICHAKU_WEB_SECRET", "ab" * 32)

    assert web._csrf(asked[0]) == web._csrf(asked[1])


def _settings(tmp_path: Path, n: int) -> Any:
    from api.settings import Settings

    return Settings(database_url=f"sqlite:///{tmp_path / f'app{n}.db'}")
