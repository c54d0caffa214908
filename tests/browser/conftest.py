"""A real server on 127.0.0.1 with the demo office, and real headless Chromium.

Debian's chromium (/usr/bin/chromium, installed by .ci/run) is driven by Playwright for
Python with ``executable_path``; Playwright's own browser download is never used. When
either is missing the tests are skipped with the reason, which ``make test`` lists.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.demo.load import DemoSummary, load_demo
from domain.store.application import CaseLog, persistence_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    url: str
    demo: DemoSummary
    cases: CaseLog


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    db = tmp_path_factory.mktemp("browser") / "teichaku.db"
    cases = CaseLog(env=persistence_env(f"sqlite:///{db}"))
    demo = load_demo(cases)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(cases=cases), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield Site(f"http://127.0.0.1:{port}", demo, cases)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed: browser tests NOT run"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (.ci/run installs it): browser tests NOT run")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
