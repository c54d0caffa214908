"""A server process moves its start-up objects out of the garbage collector's reach, and
makes its full collections rare.

Full collections walked ~150k start-up objects every ~12 requests (85 ms each: the p95 of
office pages, bench/serve_reads.py, issue 24). `teichaku serve` processes (follow_views)
freeze them once started; apps made by tests and commands without a server do not."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import FULL_AFTER, create_app
from api.settings import Settings


def _after_start(tmp_path: Path, follow_views: bool) -> tuple[int, tuple[int, int, int]]:
    """The objects frozen and the collector's thresholds once the app has started."""
    gc.unfreeze()
    before = gc.get_threshold()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'gc.db'}", follow_views=follow_views)
    try:
        with TestClient(create_app(settings)):
            return gc.get_freeze_count(), gc.get_threshold()
    finally:
        gc.unfreeze()  # give them back: the test process makes many apps
        gc.set_threshold(*before)


def test_a_server_process_freezes_its_start_up_objects(tmp_path: Path) -> None:
    assert _after_start(tmp_path, follow_views=True)[0] > 10_000


def test_a_server_process_makes_full_collections_rare_and_young_ones_as_python_does(
    tmp_path: Path,
) -> None:
    """A full collection walked the warm case cache every ~80 requests (p99 ~110 ms,
    bench/gc_pauses.py); the young generations keep Python's thresholds."""
    young, middle, _ = gc.get_threshold()
    assert _after_start(tmp_path, follow_views=True)[1] == (young, middle, FULL_AFTER)
    assert FULL_AFTER >= 100 * 10  # at least a hundred times rarer than Python's default


def test_an_app_without_a_server_leaves_the_collector_alone(tmp_path: Path) -> None:
    assert _after_start(tmp_path, follow_views=False) == (0, gc.get_threshold())
