"""How cases are stored: an orjson transcoder, a mapper reviving instants, database URLs.

Persistence is the ``eventsourcing`` library's own; this module only adapts it: stored
state is compact JSON that any tool can read (:class:`OrjsonTranscoder`), instants come
back as aware datetimes (:class:`CaseMapper`), and a database URL maps onto the
library's configuration keys (:func:`persistence_env`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from domain.case import REVEALED, Case
from domain.sealing import PersonKey, has_sealed, reveal

_INSTANT_KEYS = ("timestamp", "_created_on", "_modified_on")


class OrjsonTranscoder(Transcoder):
    """Encodes event state with orjson (datetimes become ISO 8601 text with offset)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class CaseMapper(Mapper[UUID]):
    """The library's mapper, reviving instants, and opening a case's sealed personal values.

    ``keys`` finds a case's person key (:class:`domain.store.keyring.KeyStore`); a case event
    read from the store carries its payload opened with it (or erased, when the key is
    gone) beside the stored form, and a case snapshot's records likewise. What is written
    is only ever the stored (sealed) form (``Case.Snapshot.take``).
    """

    keys: Callable[[UUID], PersonKey | None] | None = None

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = event.__dict__
        _revive_instants(state)
        if isinstance(state.get("state"), dict):  # a snapshot's aggregate state
            _revive_instants(state["state"])
            if isinstance(event, Case.Snapshot):
                self._open_snapshot(event.originator_id, state["state"])
        elif isinstance(event, Case.Event) and has_sealed(state.get("payload")):
            state[REVEALED] = reveal(state["payload"], self._key(event.originator_id))
        return event

    def _key(self, case_id: UUID) -> PersonKey | None:
        return self.keys(case_id) if self.keys is not None else None

    def _open_snapshot(self, case_id: UUID, state: dict[str, Any]) -> None:
        records = state.get("_records") or []
        key: PersonKey | None = None
        looked_up = False
        for i, rec in enumerate(records):
            if not has_sealed(rec.get("payload")):
                continue
            if not looked_up:  # the key once, and only for a case with sealed values
                erased = any(r.get("type") == "person_erased" for r in records)
                key, looked_up = (None if erased else self._key(case_id)), True
            shown = reveal(rec["payload"], key)
            records[i] = {**rec, "payload": shown.payload, "stored_payload": rec["payload"],
                          "openings": shown.openings}  # fmt: skip


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


def key_file_of(env: Any) -> str | None:
    """Where a store's key file is (:mod:`domain.store.kek`); ``None`` for a store in memory.

    ``TEICHAKU_KEY_FILE`` when set; else beside an SQLite file (``var/teichaku.db`` →
    ``var/teichaku.db.keys``); else, for PostgreSQL, under ``var/keys/`` of the working
    directory, named by server, database and schema. Several servers on one database
    must be given the same file (docs/erasure.md).
    """
    explicit = env.get("TEICHAKU_KEY_FILE")
    if explicit:
        return str(explicit)
    module = str(env.get("PERSISTENCE_MODULE") or "")
    if module.endswith("sqlite"):
        name = str(env.get("SQLITE_DBNAME") or "")
        in_memory = not name or ":memory:" in name or "mode=memory" in name
        return None if in_memory else f"{name}.keys"
    if module.endswith("postgres"):
        parts = [env.get(k) or "" for k in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME")]
        schema = env.get("POSTGRES_SCHEMA") or "public"
        return "var/keys/" + "-".join([*map(str, parts), str(schema)]) + ".keys"
    return None


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
