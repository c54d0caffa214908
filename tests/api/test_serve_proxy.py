"""``teichaku serve`` believes ``X-Forwarded-For`` only from ``--forwarded-allow-ips``.

uvicorn believes proxy headers from 127.0.0.1 unless told otherwise, so anyone on the
machine could pose as a new address on every sign-in and never meet the per-source
limit. These tests take the options ``teichaku serve`` hands to ``uvicorn.run`` and build
uvicorn's own app stack from them (its proxy-headers middleware included), then sign in
through it from one address.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.cli.common import close_app
from api.cli.main import main
from api.web.session import LIMIT_PER_SOURCE


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """Every ``uvicorn.run`` call of ``teichaku serve`` (the server is not started)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    for name in ("TEICHAKU_FOLLOW_VIEWS", "TEICHAKU_DATABASE", "TEICHAKU_WEB_SECRET"):
        monkeypatch.setenv(name, "")  # recorded (even when unset), so undone afterwards:
        monkeypatch.delenv(name)  # serve sets them in os.environ
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own default must not leak in
    yield calls
    for call in calls:
        if not isinstance(call["app"], str):
            close_app(call["app"])


def _serve(tmp_path: Path, *options: str) -> list[str]:
    return ["serve", "--database", f"sqlite:///{tmp_path / 'proxy.db'}", *options]


def _sign_ins_from_one_client(
    call: dict[str, Any], peer: str, forwarded: Callable[[int], str]
) -> list[int]:
    """Wrong tokens (each another prefix) from ``peer``, as uvicorn's stack would see them."""
    options = {k: v for k, v in call.items() if k != "app"}
    config = uvicorn.Config(call["app"], **options, log_config=None)
    config.load()  # wraps the app as uvicorn.run does (ProxyHeadersMiddleware when asked)
    client = TestClient(config.loaded_app, client=(peer, 40000))  # no lifespan: the store
    statuses = []  # stays open for the next client; the fixture closes it
    for attempt in range(LIMIT_PER_SOURCE + 2):
        response = client.post("/web/login", data={"token": secrets.token_urlsafe(12)},
                               headers={"X-Forwarded-For": forwarded(attempt)})  # fmt: skip
        statuses.append(response.status_code)
    return statuses


def test_rotating_forwarded_for_values_from_one_client_still_reach_the_sign_in_limit(
    served: list[dict[str, Any]], tmp_path: Path
) -> None:
    assert main(_serve(tmp_path)) == 0
    statuses = _sign_ins_from_one_client(served[0], "127.0.0.1", lambda n: f"198.51.100.{n}")
    assert statuses[:LIMIT_PER_SOURCE] == [401] * LIMIT_PER_SOURCE
    assert statuses[LIMIT_PER_SOURCE:] == [429, 429]


def test_a_configured_proxys_forwarded_for_is_the_address_the_limit_counts(
    served: list[dict[str, Any]], tmp_path: Path
) -> None:
    assert main(_serve(tmp_path, "--forwarded-allow-ips", "10.0.0.1")) == 0
    # Through the proxy, one person behind it reaches the limit ...
    one = _sign_ins_from_one_client(served[0], "10.0.0.1", lambda n: "203.0.113.7")
    assert one[LIMIT_PER_SOURCE:] == [429, 429]
    # ... and another person behind the same proxy is not blocked by them.
    other = _sign_ins_from_one_client(served[0], "10.0.0.1", lambda n: "203.0.113.8")
    assert other[0] == 401


def test_forwarded_allow_ips_and_the_server_limits_are_passed_to_uvicorn(
    served: list[dict[str, Any]], tmp_path: Path
) -> None:
    assert main(_serve(tmp_path)) == 0
    assert main(_serve(tmp_path, "--forwarded-allow-ips", "10.0.0.1,192.168.0.0/16")) == 0
    assert main(_serve(tmp_path, "--workers", "2", "--forwarded-allow-ips", "10.0.0.1")) == 0
    default, proxied, workers = served
    assert (default["proxy_headers"], default["forwarded_allow_ips"]) == (False, "")
    assert proxied["proxy_headers"] is True
    assert proxied["forwarded_allow_ips"] == "10.0.0.1,192.168.0.0/16"
    assert workers["app"] == "api.app:create_app" and workers["workers"] == 2
    assert workers["forwarded_allow_ips"] == "10.0.0.1"
    for call in served:
        assert call["http"] == "h11"
        assert call["timeout_keep_alive"] == 5
        assert call["h11_max_incomplete_event_size"] == 16 * 1024
