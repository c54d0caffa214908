"""``Idempotency-Key``: a retried write returns its first answer and stores nothing new.

The key is scoped to the principal. The first successful write saves an
:class:`IdempotencyRecord` (id = uuid5 of principal and key) in the same transaction as
the event, holding a SHA-256 of the canonical request and the answer given; so a key is
never recorded without its event, nor an event without its key. The same key with a
different request is refused (422) rather than silently answered with the old result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from api.http.auth import Principal
from api.http.input_errors import invalid
from domain.history import Recorded
from domain.store.application import CaseLog, VersionConflict

_NAMESPACE = UUID("0c6f3a8e-58c4-4a52-9d55-2f1f2d8a7b11")

Answer = dict[str, Any]
Companion = Callable[[Recorded], Aggregate]


class IdempotencyRecord(Aggregate):
    """The answer given to the first request made with one principal's key."""

    class Stored(Aggregate.Created):
        request_sha256: str
        answer: dict[str, Any]

    def __init__(self, request_sha256: str, answer: dict[str, Any]) -> None:
        self.request_sha256 = request_sha256
        self.answer = answer

    def replay(self, request_sha256: str) -> Answer:
        """The first answer again; a different request under the same key is refused."""
        if request_sha256 != self.request_sha256:
            raise IdempotencyKeyReused()
        return dict(self.answer)


# Stored before issue 19 moved this module (docs/decisions/0001): old rows still load.
register_topic("api.idempotency:IdempotencyRecord", IdempotencyRecord)


def record_id(principal: Principal, key: str) -> UUID:
    scope = "\x1f".join([principal.role, principal.name, principal.office_id or "", key])
    return uuid5(_NAMESPACE, scope)


def request_digest(target: str, body: Any) -> str:
    """SHA-256 of the request's canonical JSON (keys sorted), so key order never matters."""
    document = {"target": target, "body": body}
    try:
        encoded = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond 64-bit integers or nested too deep: the store could not hold it
        raise invalid(_oversized(body) or "body", UNENCODABLE_JA) from None
    return hashlib.sha256(encoded).hexdigest()


UNENCODABLE_JA = "保存できない値です(64ビットを超える整数、または深すぎる入れ子)"


def _oversized(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first integer beyond 64 bits, if there is one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if -(2**63) <= value < 2**64 else ".".join(path)
    children: Any = value.items() if isinstance(value, dict) else ()
    if isinstance(value, list):
        children = enumerate(value)
    for key, item in children:
        found = _oversized(item, (*path, str(key)))
        if found is not None:
            return found
    return None


def run_once(
    cases: CaseLog,
    key: tuple[Principal, str] | None,
    digest: str,
    answer: Callable[[Recorded], Answer],
    write: Callable[[Companion | None], Recorded],
) -> tuple[Answer, bool]:
    """Do ``write`` unless this key already did; returns the answer and whether it is a replay."""
    if key is None:
        return answer(write(None)), False
    rid = record_id(*key)
    prior = _find(cases, rid)
    if prior is not None:
        return prior.replay(digest), True

    def companion(recorded: Recorded) -> Aggregate:
        return IdempotencyRecord._create(
            IdempotencyRecord.Stored, id=rid, request_sha256=digest, answer=answer(recorded)
        )

    try:
        return answer(write(companion)), False
    except VersionConflict:
        # A concurrent retry with the same key may have won the race: answer as it did.
        prior = _find(cases, rid)
        if prior is None:
            raise
        return prior.replay(digest), True


def first_answer(cases: CaseLog, key: tuple[Principal, str]) -> Answer | None:
    """The answer the key's first write gave (None: the key has not been used).

    The staff pages ask it when a form is sent again with other content under its
    one-time key, to say what that form already recorded (:mod:`api.web.once`).
    """
    prior = _find(cases, record_id(*key))
    return None if prior is None else dict(prior.answer)


def _find(cases: CaseLog, rid: UUID) -> IdempotencyRecord | None:
    """The key's record: its one event, read in one query (a record is never changed nor
    snapshotted; the repository would ask the snapshots first, a round trip more on
    every write made with a key)."""
    for event in cases.events.get(rid, limit=1):
        if not isinstance(event, IdempotencyRecord.Stored):
            return None
        found: IdempotencyRecord | None = event.mutate(None)
        return found
    return None


class IdempotencyKeyReused(ValueError):
    """The key was already used for a different request (422)."""

    def __init__(self) -> None:
        super().__init__(
            "この Idempotency-Key は別の内容の送信に使われています。新しいキーで送り直してください"
        )
