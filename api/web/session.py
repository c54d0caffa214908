"""Web sign-in: sessions that expire and end, and a limit on failed sign-ins.

Both live in the event store the cases use (aggregates beside :class:`AccessToken`), so
every server process sees the same sessions and the same counts, on SQLite and
PostgreSQL alike, and nothing is remembered in a process.

- **Sessions** — the cookie holds a random session secret, never the bearer token; the
  store keeps only the uuid5 of its SHA-256 and the token's id. A session ends after
  :data:`SESSION_LIFETIME` (a working day), on sign-out, and as soon as its token expires
  or is revoked (the token is checked on every page).
- **Failed sign-ins** — counted per source address and per token prefix (its first
  :data:`PREFIX_LENGTH` characters) in fixed windows of :data:`WINDOW`; past the limit the
  sign-in page refuses, even a right token, until the window ends. The aggregate's id is
  a uuid5 of the scope, a SHA-256 of the key and the window: no address or prefix is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import register_topic

from api.http.auth import Principal, TokenStore
from domain.history import utc_now
from domain.store.application import CaseLog

SESSION_LIFETIME = timedelta(hours=8)
WINDOW = timedelta(minutes=15)
LIMIT_PER_SOURCE = 20
LIMIT_PER_PREFIX = 5
PREFIX_LENGTH = 8
TOO_MANY_JA = (
    "ログインの失敗が続いたため、しばらく受け付けを停止しています。"
    "15分ほど待ってから、正しいアクセストークンでもう一度お試しください。"
)
_NAMESPACE = UUID("8e3c7d4a-5f61-4a8e-b1d2-9c0f3e6a7b15")


class WebSession(Aggregate):
    """A signed-in browser: which token it stands for, until when, and whether it ended."""

    class Started(Aggregate.Created):
        token_id: str
        expires_at: str

    class Ended(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.ended = True

    def __init__(self, token_id: str, expires_at: str) -> None:
        self.token_id = token_id
        self.expires_at = expires_at
        self.ended = False


class SignInFailures(Aggregate):
    """Failed sign-ins of one source (or one token prefix) in one window."""

    class Started(Aggregate.Created):
        scope: str
        window_start: str

    class Failed(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.count += 1

    def __init__(self, scope: str, window_start: str) -> None:
        self.scope = scope
        self.window_start = window_start
        self.count = 0


# Stored before issue 19 moved this module (docs/decisions/0001): old rows still load.
register_topic("api.web_session:WebSession", WebSession)
register_topic("api.web_session:SignInFailures", SignInFailures)


class WebSignIn:
    """Starts, reads and ends sessions; counts failed sign-ins."""

    def __init__(
        self, cases: CaseLog, tokens: TokenStore, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.cases = cases
        self.tokens = tokens
        self.clock = clock

    def sign_in(self, token: str, source: str) -> str | None:
        """A new session secret for a valid token, else None (the failure is counted)."""
        found = self.tokens.identify(token)
        if found is None:
            self._note_failure(token, source)
            return None
        secret = secrets.token_urlsafe(32)
        expires = self.clock() + SESSION_LIFETIME
        session = WebSession._create(
            WebSession.Started, id=_session_id(secret),
            token_id=str(found[0]), expires_at=expires.isoformat(),
        )  # fmt: skip
        self.cases.save(session)
        return secret

    def blocked(self, token: str, source: str) -> bool:
        """Too many failures from this source, or for this token prefix, in this window."""
        return any(self._count(key) >= limit for key, limit in _keys(token, source, self.clock()))

    def principal(self, secret: str) -> Principal | None:
        """The principal of a live session (not ended, not expired, its token still valid)."""
        session = self._session(secret)
        if session is None or session.ended:
            return None
        if self.clock() >= datetime.fromisoformat(session.expires_at):
            return None
        return self.tokens.principal_of(UUID(session.token_id))

    def sign_out(self, secret: str) -> None:
        session = self._session(secret)
        if session is not None and not session.ended:
            session.trigger_event(WebSession.Ended)
            self.cases.save(session)

    def _session(self, secret: str) -> WebSession | None:
        if not secret:
            return None
        try:
            found: Any = self.cases.repository.get(_session_id(secret))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, WebSession) else None

    def _count(self, key: tuple[UUID, str, str]) -> int:
        try:
            found: Any = self.cases.repository.get(key[0])
        except AggregateNotFoundError:
            return 0
        return int(found.count) if isinstance(found, SignInFailures) else 0

    def _note_failure(self, token: str, source: str) -> None:
        for key, _ in _keys(token, source, self.clock()):
            for _attempt in range(5):  # another process counted at the same time: reload
                try:
                    found: Any = self.cases.repository.get(key[0])
                except AggregateNotFoundError:
                    found = SignInFailures._create(
                        SignInFailures.Started, id=key[0], scope=key[1], window_start=key[2]
                    )
                found.trigger_event(SignInFailures.Failed)
                try:
                    self.cases.save(found)
                    break
                except IntegrityError:
                    continue


def _keys(token: str, source: str, now: datetime) -> list[tuple[tuple[UUID, str, str], int]]:
    """(aggregate id, scope, window) with its limit: the source's, and the prefix's."""
    seconds = int(WINDOW.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC).isoformat()
    keys = [(("source", source), LIMIT_PER_SOURCE)]
    prefix = token.strip()[:PREFIX_LENGTH]
    if prefix:
        keys.append((("prefix", prefix), LIMIT_PER_PREFIX))
    return [
        ((uuid5(_NAMESPACE, f"{scope}:{_sha(value)}:{start}"), scope, start), limit)
        for (scope, value), limit in keys
    ]


def _session_id(secret: str) -> UUID:
    return uuid5(_NAMESPACE, "session:" + _sha(secret))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
