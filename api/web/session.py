"""Web sign-in: sessions that expire and end, and failures that slow down (issue 21).

Sessions live in the event store the cases use (aggregates beside :class:`AccessToken`
and :class:`domain.accounts.Account`), so every server process sees the same sessions,
on SQLite and PostgreSQL alike (docs/decisions/0023, docs/accounts.md).

- **Sessions** — the cookie holds a random session secret, never a password or a
  token; the store keeps only the uuid5 of its SHA-256. An :class:`AccountSession` (a
  person signed in with login id and password) ends after :data:`SESSION_LIFETIME` (a
  working day), after :data:`IDLE_TIMEOUT` without a request (activity is recorded at
  most every :data:`TOUCH_EVERY`, so the end comes between 30 and 35 minutes after the
  last request), on sign-out, on "sign out everywhere" (the account's session
  generation moves on), on a reset, and as soon as the account is disabled (on the
  next page: read on every page that writes or names no case, checked in the access
  entry of every other, decision 0059). A :class:`WebSession` (signed in with a bearer token, for
  scripts and tests) ends the same ways and when its token expires or is revoked.
- **Failures** — counted in the memory of each server process (a failure writes
  nothing to the store, so a stranger's guesses cannot fill it, issue 23):
  per (account, source) they slow down (:data:`FREE_TRIES` free, then waits that double)
  and after :data:`LOCK_AFTER` lock that pair for :data:`LOCK_FOR`; a correct password
  *with* a correct TOTP code, or an administrator (``Account.LockLifted``), lifts it.
  Nothing is counted per account alone, so guessing from one address never locks the
  colleague out at theirs. Per source (every account and token together) they slow down
  after :data:`SOURCE_FREE_TRIES` and at :data:`LIMIT_PER_SOURCE` the source is locked
  for the window in every process (one ``SignInFailures`` lock record). Nothing is ever
  counted per token or token prefix. With N processes a source may try up to N × these
  numbers. The lock's id is a uuid5 of a SHA-256 of the source and the window: no
  address is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import register_topic

from api.http.accounts import AccountStore, principal_of
from api.http.auth import Principal, Remembered, TokenStore
from domain.accounts import Account
from domain.history import utc_now
from domain.store.application import CaseLog

SESSION_LIFETIME = timedelta(hours=8)
#: A session ends after this long without a request (docs/accounts.md).
IDLE_TIMEOUT = timedelta(minutes=30)
#: A session's activity is written at most this often (so idle ends 30–35 min after).
TOUCH_EVERY = timedelta(minutes=5)
WINDOW = timedelta(minutes=15)
LIMIT_PER_SOURCE = 20
#: Failures of one (account, source) pair answered at once; then the waits double.
FREE_TRIES = 3
#: Failures of one (account, source) pair that lock the pair for LOCK_FOR.
LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
#: Failures of one source (all accounts) answered at once; then waits double.
SOURCE_FREE_TRIES = 10
_LONGEST_WAIT = 15 * 60
#: Windows (and sources) a process keeps counts for: older ones are dropped.
_COUNTED_MAX = 10_000
TOO_MANY_JA = (
    "ログインの失敗が続いたため、しばらく受け付けを停止しています。"
    "15分ほど待ってから、もう一度お試しください。"
    "パスワードを忘れた場合は管理者に再設定を依頼してください。"
)
_NAMESPACE = UUID("8e3c7d4a-5f61-4a8e-b1d2-9c0f3e6a7b15")


def wait_ja(seconds: int) -> str:
    """What a slowed sign-in is told: how long to wait, in seconds."""
    return (
        f"ログインの失敗が続いたため、しばらく待ってからお試しください(あと{seconds}秒)。"
        "パスワードを忘れた場合は管理者に再設定を依頼してください。"
    )


class WebSession(Aggregate):
    """A browser signed in with a bearer token: which token, until when, whether it ended."""

    class Started(Aggregate.Created):
        token_id: str
        expires_at: str

    class Ended(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.ended = True

    class Seen(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.last_seen = self.timestamp

    def __init__(self, token_id: str, expires_at: str) -> None:
        self.token_id = token_id
        self.expires_at = expires_at
        self.ended = False
        self.last_seen: datetime | None = None  # None: since it started


class AccountSession(Aggregate):
    """A browser signed in as an account: which account, its session generation then."""

    class Started(Aggregate.Created):
        account_id: str
        generation: int
        expires_at: str

    class Ended(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.ended = True

    class Seen(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.last_seen = self.timestamp

    def __init__(self, account_id: str, generation: int, expires_at: str) -> None:
        self.account_id = account_id
        self.generation = generation
        self.expires_at = expires_at
        self.ended = False
        self.last_seen: datetime | None = None


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


@dataclass(frozen=True, slots=True)
class Wait:
    """A sign-in refused before any check: ``seconds`` to wait; ``locked``: the pair's lock."""

    seconds: int
    locked: bool = False


def doubling_wait(failures: int, free: int) -> int:
    """Seconds to wait after ``failures`` failures when ``free`` are answered at once:
    none, then 2, 4, 8, … seconds (at most 15 minutes)."""
    if failures < free:
        return 0
    return int(min(2 ** (failures - free + 1), _LONGEST_WAIT))


class SignInThrottle:
    """Failures per (account, source) and per source, in this process's memory.

    ``account`` is the id the login id names (:func:`domain.accounts.account_id`),
    whether or not such an account exists, so the answers are the same for a stranger.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._pairs: dict[tuple[UUID, str], list[datetime]] = {}
        self._sources: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def wait(self, account: UUID, source: str, lifted_at: datetime | None = None) -> Wait | None:
        """How long this pair (or this source) must wait, or None to go ahead.

        ``lifted_at``: the account's last ``LockLifted``; failures before it do not count."""
        now = self.clock()
        with self._lock:
            pair = self._kept(self._pairs, (account, _sha(source)), now)
            by_source = self._kept(self._sources, _sha(source), now)
        pair = [t for t in pair if lifted_at is None or t > lifted_at]
        if len(pair) >= LOCK_AFTER and pair[-1] - pair[-LOCK_AFTER] <= WINDOW:
            until = pair[-1] + LOCK_FOR
            if now < until:
                return Wait(_seconds(until - now), locked=True)
        waits = []
        for times, free in ((pair, FREE_TRIES), (by_source, SOURCE_FREE_TRIES)):
            recent = [t for t in times if now - t < WINDOW]
            if recent:
                waits.append(recent[-1] + timedelta(seconds=doubling_wait(len(recent), free)))
        until = max(waits, default=now)
        return Wait(_seconds(until - now)) if until > now else None

    def failed(self, account: UUID | None, source: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._pairs) + len(self._sources) >= _COUNTED_MAX:
                self._pairs.clear()
                self._sources.clear()
            if account is not None:
                self._pairs.setdefault((account, _sha(source)), []).append(now)
            self._sources.setdefault(_sha(source), []).append(now)

    def succeeded(self, account: UUID, source: str) -> None:
        with self._lock:
            self._pairs.pop((account, _sha(source)), None)

    @staticmethod
    def _kept(table: dict[Any, list[datetime]], key: Any, now: datetime) -> list[datetime]:
        """The key's failures that can still matter (older ones are dropped)."""
        kept = [t for t in table.get(key, []) if now - t < WINDOW + LOCK_FOR]
        if kept:
            table[key] = kept
        else:
            table.pop(key, None)
        return kept


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


@dataclass(frozen=True, slots=True)
class SessionState:
    """A live session: who it is, and what it must do before anything else
    (``restriction``: ``password`` to choose a password, ``totp`` to enrol TOTP)."""

    principal: Principal
    account: Account | None
    restriction: str | None


@dataclass(frozen=True, slots=True)
class SessionClaim:
    """A live, unrestricted session as this process read it (decision 0059): its
    principal, until when it may be used without reading it again, and the aggregates
    (session; token or account; the sign-in settings when read) with their versions.
    ``remembered``: read in an earlier request, not this one."""

    principal: Principal
    until: datetime
    unchanged: tuple[tuple[UUID, int], ...]
    remembered: bool = False


#: Sessions a process remembers between requests (least recently used forgotten first).
REMEMBERED_SESSIONS = 1024


class WebSignIn:
    """Starts, reads and ends sessions; counts failed sign-ins."""

    def __init__(
        self,
        cases: CaseLog,
        tokens: TokenStore,
        clock: Callable[[], datetime] = utc_now,
        accounts: AccountStore | None = None,
    ) -> None:
        self.cases = cases
        self.tokens = tokens
        self.clock = clock
        # The accounts and the throttle read this object's clock (tests replace it).
        self.accounts = accounts or AccountStore(cases, lambda: self.clock())
        self.throttle = SignInThrottle(lambda: self.clock())
        self._failures: dict[tuple[str, str], int] = {}  # (source digest, window) → count
        self._failures_lock = threading.Lock()
        self._claims: Remembered[SessionClaim] = Remembered(REMEMBERED_SESSIONS)

    # -- bearer tokens (scripts, tests) ------------------------------------------------

    def sign_in(self, token: str, source: str) -> str | None:
        """A new session secret for a valid token, else None (an unknown token is counted
        against the source; an expired or revoked one is not a guess)."""
        found = self.tokens.identify(token)
        if found is None:
            if self.tokens.status(token) == "unknown":
                self._note_failure(source)
            return None
        secret = secrets.token_urlsafe(32)
        expires = self.clock() + SESSION_LIFETIME
        session = WebSession._create(
            WebSession.Started, id=_session_id(secret), timestamp=self.clock(),
            token_id=str(found[0]), expires_at=expires.isoformat(),
        )  # fmt: skip
        self.cases.save(session)
        return secret

    def blocked(self, token: str, source: str) -> bool:
        """Too many failures from this source in this window (here, or locked anywhere)."""
        del token  # the token tried plays no part: no one is locked out by a stranger
        return self.source_locked(source)

    def source_locked(self, source: str) -> bool:
        counted, lock_id = _window_of(source, self.clock())
        with self._failures_lock:
            if self._failures.get(counted, 0) >= LIMIT_PER_SOURCE:
                return True
        try:
            found: Any = self.cases.repository.get(lock_id)
        except AggregateNotFoundError:
            return False
        return isinstance(found, SignInFailures)

    # -- accounts ---------------------------------------------------------------------

    def start_account_session(self, account: Account) -> str:
        """A new session secret for the account (its sign-in was just recorded)."""
        secret = secrets.token_urlsafe(32)
        expires = self.clock() + SESSION_LIFETIME
        session = AccountSession._create(
            AccountSession.Started, id=_session_id(secret), timestamp=self.clock(),
            account_id=str(account.id), generation=account.session_generation,
            expires_at=expires.isoformat(),
        )  # fmt: skip
        self.cases.save(session)
        return secret

    def note_failure(self, account: UUID | None, source: str) -> None:
        """A wrong password or code: slows the pair and the source (and may lock the source)."""
        self.throttle.failed(account, source)
        self._note_failure(source)

    # -- every session ------------------------------------------------------------------

    def principal(self, secret: str) -> Principal | None:
        """The principal of a live, unrestricted session."""
        state = self.state(secret)
        return None if state is None or state.restriction else state.principal

    def state(self, secret: str) -> SessionState | None:
        """The live session of ``secret`` (activity noted), or None when it has ended."""
        live = self._live(secret)
        return None if live is None else live[0]

    def claim(self, secret: str, *, fresh: bool = False) -> SessionClaim | None:
        """The principal of a live session that has nothing to set up first, for a page
        that only reads: remembered from an earlier request of this process while the
        session, its token or account (and the sign-in settings, when they were read)
        are as read then, until the session expires or its activity is due to be noted
        (decision 0059; the page's access entry checks ``unchanged``, as a case read's
        does its token's, decision 0058). ``fresh``: read now whatever is remembered.
        None: no live session, or one that must set up first (read by :meth:`state`)."""
        if not secret:
            return None
        key = _sha(secret)
        fresh = fresh or not self.cases.access.checks_unchanged  # in memory: cannot check
        known = None if fresh else self._claims.get(key)
        if known is not None and self.clock() < known.until:
            return SessionClaim(known.principal, known.until, known.unchanged, remembered=True)
        live = self._live(secret)
        read = None
        if live is not None and live[0].restriction is None:
            read = SessionClaim(live[0].principal, live[1], live[2])
        self._claims.keep(key, read if read is not None and read.unchanged else None)
        return read

    def _live(
        self, secret: str
    ) -> tuple[SessionState, datetime, tuple[tuple[UUID, int], ...]] | None:
        """The live session's state, until when it may be remembered, and the aggregates
        it was read from with their versions (empty: not to be remembered)."""
        session = self._session(secret)
        if session is None or session.ended:
            return None
        now = self.clock()
        until = datetime.fromisoformat(session.expires_at)
        if now >= until:
            return None
        seen = session.last_seen or session.created_on
        if now - seen >= IDLE_TIMEOUT + TOUCH_EVERY:
            return None
        read: list[tuple[UUID, int]] = []
        if isinstance(session, WebSession):
            token = self.tokens.read_by_id(UUID(session.token_id))
            found = None if token is None else SessionState(token.principal, None, None)
            if token is not None:
                until = min(until, token.expires)
                read += token.unchanged
        else:
            found = self._account_state(session, read)
        if found is None:
            return None
        if now - seen >= TOUCH_EVERY:
            session.trigger_event(type(session).Seen, timestamp=now)
            try:
                self.cases.save(session)
                seen = now
            except IntegrityError:  # another request noted it first: not remembered
                read.clear()
        if read:
            read.insert(0, (session.id, int(session.version)))
        return found, min(until, seen + TOUCH_EVERY), tuple(read)

    def _account_state(
        self, session: AccountSession, read: list[tuple[UUID, int]]
    ) -> SessionState | None:
        account = self.accounts.get(UUID(session.account_id))
        if account is None or account.disabled:
            return None
        if session.generation < account.session_generation:
            return None  # signed out everywhere, or reset
        read.append((account.id, int(account.version)))
        restriction = None
        if account.must_set_password:
            restriction = "password"
        elif account.totp_secret is None:
            since = self.accounts.totp_required_since(account, read)
            if since is not None and session.created_on >= since:
                restriction = "totp"  # required at the next sign-in, not mid-session
        return SessionState(principal_of(account), account, restriction)

    def sign_out(self, secret: str) -> None:
        self._claims.keep(_sha(secret), None)  # other processes: its version has moved
        session = self._session(secret)
        if session is not None and not session.ended:
            session.trigger_event(type(session).Ended, timestamp=self.clock())
            self.cases.save(session)
            if isinstance(session, AccountSession):
                self.accounts.note_sign_out(UUID(session.account_id))

    def _session(self, secret: str) -> WebSession | AccountSession | None:
        if not secret:
            return None
        try:
            found: Any = self.cases.repository.get(_session_id(secret))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, WebSession | AccountSession) else None

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
