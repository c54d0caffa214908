"""No name, kana, recipient number or token ever reaches the server's log output.

One test runs the whole API suite (``tests/api``, this file and the fuzzer aside) in a
child pytest with :mod:`tests.logcheck.plugin`, which sends every log record of every
logger, at every level, to a file and notes every token issued and every person's name,
kana and recipient number of every case opened; the other drives a real ``teichaku
serve`` (uvicorn's access log included) through sign-in, writes, refusals and errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.cli.main import main
from tests.factories import case_opened_payload

ROOT = Path(__file__).resolve().parents[2]
NAME, KANA, RECIPIENT = "秘密 太郎", "ヒミツ タロウ", "9081726354"


def _leaks(log: str, secrets: list[str]) -> list[str]:
    """The secrets found in the log, shortened so the failure message leaks nothing whole."""
    return [s[:3] + "…" for s in secrets if s in log]


def test_the_whole_api_suite_logs_no_personal_data_and_no_token(tmp_path: Path) -> None:
    base = tmp_path / "api-suite"
    env = {**os.environ, "TEICHAKU_LOG_CHECK": str(base), "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "tests.logcheck.plugin", "tests/api", "--ignore", "tests/api/test_logs.py",
         "--ignore", "tests/api/test_fuzz.py"],  # fuzzing fails on its own, not here
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]

    log = Path(f"{base}.log").read_text(encoding="utf-8")
    secrets = Path(f"{base}.secrets").read_text(encoding="utf-8").splitlines()
    assert len(secrets) > 100  # tokens, names and recipient numbers were all noted
    assert any(s.isdigit() for s in secrets) and any(not s.isascii() for s in secrets)
    assert _leaks(log, secrets) == []


def test_a_running_server_logs_no_personal_data_and_no_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    main(["token", "create", "--role", "admin", "--name", "管理 秘密", "--database", url])
    token = capsys.readouterr().out.strip()
    stderr = tmp_path / "serve.log"
    port = _free_port()
    with stderr.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--database", url],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=sink, stderr=sink,
        )  # fmt: skip
        try:
            _drive(f"http://127.0.0.1:{port}", token)
        finally:
            server.terminate()
            server.wait(timeout=30)

    log = stderr.read_text(encoding="utf-8")
    assert "POST /cases" in log and " 422" in log and " 401" in log  # the access log is here
    assert _leaks(log, [token, NAME, KANA, RECIPIENT, "管理 秘密"]) == []


def _drive(base: str, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "teichaku serve did not start"
        time.sleep(0.2)
    with httpx.Client(base_url=base, headers=auth) as api:
        body = case_opened_payload(person={"name": NAME, "name_kana": KANA},
                                   recipient_number=RECIPIENT)  # fmt: skip
        case = api.post("/cases", json=body).json()["case_id"]
        api.post(f"/cases/{case}/events", json={"type": "hired", "hired_on": "2024-04-01",
                                                "employer": {"name": NAME}})  # fmt: skip
        api.post(f"/cases/{case}/events", json={"type": "hired", "hired_on": NAME})  # 422
        api.post("/cases", json={**body, "recipient_number": RECIPIENT + "x"})  # 422
        for path in ("events", "timeline", "entitlement", "audit", "export"):
            api.get(f"/cases/{case}/{path}")
        api.get("/cases", params={"office_id": body["office_id"]})
    httpx.get(f"{base}/cases", headers={"Authorization": f"Bearer {token}x"})  # 401
    with httpx.Client(base_url=base) as web:
        web.post("/web/login", data={"token": token[:-1]})  # wrong: 401
        web.post("/web/login", data={"token": token})
        web.get(f"/web/cases/{case}")
        web.post("/web/logout")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
