"""A server process moves its start-up objects out of the garbage collector's reach.

Full collections walked ~150k start-up objects every ~12 requests (85 ms each: the p95 of
office pages, bench/serve_reads.py, issue 24). `teichaku serve` processes (follow_views)
freeze them once started; apps made by tests and commands without a server do not."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings


def _frozen_after_start(tmp_path: Path, follow_views: bool) -> int:
    gc.unfreeze()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'gc.db'}", follow_views=follow_views)
    try:
        with TestClient(create_app(settings)):
            return gc.get_freeze_count()
    finally:
        gc.unfreeze()  # give them back: the test process makes many apps


def test_a_server_process_freezes_its_start_up_objects(tmp_path: Path) -> None:
    assert _frozen_after_start(tmp_path, follow_views=True) > 10_000


def test_an_app_without_a_server_leaves_the_collector_alone(tmp_path: Path) -> None:
    assert _frozen_after_start(tmp_path, follow_views=False) == 0
