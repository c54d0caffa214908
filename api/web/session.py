"""Web sign-in: sessions that expire and end, and a limit on failed sign-ins.

Sessions live in the event store the cases use (aggregates beside :class:`AccessToken`),
so every server process sees the same sessions, on SQLite and PostgreSQL alike.

- **Sessions** — the cookie holds a random session secret, never the bearer token; the
  store keeps only the uuid5 of its SHA-256 and the token's id. A session ends after
  :data:`SESSION_LIFETIME` (a working day), on sign-out, and as soon as its token expires
  or is revoked (the token is checked on every page).
- **Failed sign-ins** — counted per source address in fixed windows of :data:`WINDOW`,
  in the memory of each server process: a failure writes nothing to the store, so a
  stranger's guesses cannot fill it (issue 23). When a source reaches
  :data:`LIMIT_PER_SOURCE` in a process, one lock record is stored, and every process
  then refuses that source, even a right token, until the window ends. With N server
  processes a source may try up to N × the limit before the lock; a bearer token has 256
  random bits, so the limit guards the service, not the tokens. Nothing is counted per
  token or token prefix: guesses that share a colleague's first characters must not lock
  the colleague out (the lock of an earlier version did). The lock's id is a uuid5 of a
  SHA-256 of the source and the window: no address is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
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
#: Windows (and sources) a process keeps counts for: older ones are dropped.
_COUNTED_MAX = 10_000
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
    """A source locked out for one window (scope ``source-lock``).

    Before issue 23 every failure was an event here, per source and per token prefix
    (scopes ``source`` and ``prefix``); those records still load and are not counted.
    """

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
        self._failures: dict[tuple[str, str], int] = {}  # (source digest, window) → count
        self._failures_lock = threading.Lock()

    def sign_in(self, token: str, source: str) -> str | None:
        """A new session secret for a valid token, else None (the failure is counted)."""
        found = self.tokens.identify(token)
        if found is None:
            self._note_failure(source)
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
        """Too many failures from this source in this window (here, or locked anywhere)."""
        del token  # the token tried plays no part: no one is locked out by a stranger
        counted, lock_id = _window_of(source, self.clock())
        with self._failures_lock:
            if self._failures.get(counted, 0) >= LIMIT_PER_SOURCE:
                return True
        try:
            found: Any = self.cases.repository.get(lock_id)
        except AggregateNotFoundError:
            return False
        return isinstance(found, SignInFailures)

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

    def _note_failure(self, source: str) -> None:
        """Count in this process; store one lock record when the source reaches the limit."""
        counted, lock_id = _window_of(source, self.clock())
        with self._failures_lock:
            if len(self._failures) >= _COUNTED_MAX:
                self._failures = {k: n for k, n in self._failures.items() if k[1] == counted[1]}
            count = self._failures[counted] = self._failures.get(counted, 0) + 1
        if count != LIMIT_PER_SOURCE:
            return
        lock = SignInFailures._create(
            SignInFailures.Started, id=lock_id, scope="source-lock", window_start=counted[1]
        )
        with contextlib.suppress(IntegrityError):  # another process locked it first: same lock
            self.cases.save(lock)


def _window_of(source: str, now: datetime) -> tuple[tuple[str, str], UUID]:
    """(what this process counts under, the id of the source's lock) for the window of now."""
    seconds = int(WINDOW.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC).isoformat()
    digest = _sha(source)
    return (digest, start), uuid5(_NAMESPACE, f"source-lock:{digest}:{start}")


def _session_id(secret: str) -> UUID:
    return uuid5(_NAMESPACE, "session:" + _sha(secret))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
