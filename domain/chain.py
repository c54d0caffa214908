"""The per-case hash chain that makes a stored history tamper-evident.

Each event's hash is SHA-256 over a canonical encoding of its content, its recorded
instant, who recorded it and the previous event's hash (the first event's previous
hash is 64 zeros). The canonical encoding is JSON with keys sorted at every level, no
insignificant whitespace, UTF-8 text as is (not ``\\u`` escaped), and the instant in
UTC as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``::

    {"case_id": "<uuid>", "payload": {...}, "previous_hash": "<hex>",
     "recorded_at": "<utc instant>", "recorded_by": "<name>", "type": "<type>",
     "version": <int>}

Anyone can recompute it with any JSON library that sorts keys (see docs/hash-chain.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

GENESIS = "0" * 64


def canonical_instant(instant: datetime) -> str:
    """An instant in the one textual form the chain hashes."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(
    *,
    case_id: UUID,
    version: int,
    type: str,
    payload: Mapping[str, Any],
    recorded_at: datetime,
    recorded_by: str,
    previous_hash: str,
) -> bytes:
    """The exact bytes that are hashed for one event."""
    document = {
        "case_id": str(case_id),
        "version": version,
        "type": type,
        "payload": payload,
        "recorded_at": canonical_instant(recorded_at),
        "recorded_by": recorded_by,
        "previous_hash": previous_hash,
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def event_hash(**fields: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_bytes` of the given fields."""
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()
