"""How cases are stored: an orjson transcoder, a mapper reviving instants, database URLs.

Persistence is the ``eventsourcing`` library's own; this module only adapts it: stored
state is compact JSON that any tool can read (:class:`OrjsonTranscoder`), instants come
back as aware datetimes (:class:`CaseMapper`), and a database URL maps onto the
library's configuration keys (:func:`persistence_env`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

_INSTANT_KEYS = ("timestamp", "_created_on", "_modified_on")


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson (datetimes become ISO 8601 text with offset)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class CaseMapper(Mapper[UUID]):
    """The library's mapper, reviving the instants that JSON stores as text."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = event.__dict__
        _revive_instants(state)
        if isinstance(state.get("state"), dict):  # a snapshot's aggregate state
            _revive_instants(state["state"])
        return event


def _revive_instants(state: dict[str, Any]) -> None:
    for key in _INSTANT_KEYS:
        value = state.get(key)
        if isinstance(value, str):
            state[key] = datetime.fromisoformat(value)


def persistence_env(url: str | None) -> dict[str, str]:
    """Map a database URL (``sqlite:///path``, ``postgresql://…``) onto the library's env."""
    if not url:
        url = "sqlite:///var/teichaku.db"
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        path = path[1:]  # "///rel.db" → "rel.db"; "////abs.db" → "/abs.db"
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    if parts.scheme in ("postgresql", "postgres"):
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"]
        return env
    raise ValueError(f"unsupported database URL scheme: {parts.scheme!r}")


def geometric_snapshot(version: int, first: int) -> bool:
    """Whether a snapshot is due at ``version``: at ``first``, then at every doubling.

    A case's snapshot holds all its records, so snapshots at a fixed interval would sum
    to storage quadratic in the case's length; at ``first·2^k`` they sum to less than
    twice the last one (linear), while a cold load replays at most half the case.
    """
    if version < first or version % first:
        return False
    multiple = version // first
    return multiple & (multiple - 1) == 0
