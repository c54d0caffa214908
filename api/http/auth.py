"""Who is asking, and what they may do.

Bearer tokens are random strings shown once when created; the store keeps only their
SHA-256, as an :class:`AccessToken` aggregate in the same event store as the cases (id =
uuid5 of the hash), so a leaked database does not leak usable tokens. Tokens are never
logged. Roles (spec/api.md): staff read and write their own office's cases; auditors
read every case and write nothing; admins may do everything, and only they move a case to
another office (:func:`ensure_can_write`, docs/decisions/0031).

Every token expires (90 days unless ``--expires-in`` says otherwise) and can be revoked
(``teichaku token revoke ID``). Nothing about a token is remembered in a process: each
request reads the token's aggregate (the library's cache fast-forwards it with one query),
so a revocation or an expiry holds on the next request, in every server process.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, register_topic

from domain.case import Case
from domain.history import utc_now
from domain.store.application import CaseLog
from domain.transfer import OfficeChange, current_office, office_change

Role = Literal["staff", "auditor", "admin"]
ROLES: tuple[Role, ...] = ("staff", "auditor", "admin")
_TOKEN_NAMESPACE = UUID("5b0f8a52-3c1e-4c0e-9a57-7e6b1d7c2a10")
#: A token's lifetime unless ``--expires-in`` says otherwise; also the lifetime of tokens
#: issued before expiry existed (counted from their issue).
DEFAULT_LIFETIME = timedelta(days=90)
#: Where the token aggregate lived before issue 19 (its stored topics name it).
LEGACY_MODULE = "api.auth"
#: Why staff may not move a case to another office (docs/decisions/0031).
TRANSFER_BY_ADMIN_JA = (
    "ケースを別の事業所へ移す(事業所番号を変える)ことは、管理者だけが行えます。"
    "移管が必要な場合は、理由を添えて管理者に依頼してください"
)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller; ``name`` becomes ``recorded_by`` of what it writes."""

    name: str
    role: Role
    office_id: str | None = None


class AccessToken(Aggregate):
    """A token's SHA-256 and the principal it stands for (never the token itself)."""

    class Issued(Aggregate.Created):
        class_version = 3
        token_sha256: str
        name: str
        role: str
        office_id: str | None
        expires_at: str | None  # UTC instant, ISO 8601; None only for v1 (before expiry)
        account_id: str | None  # the account that made it for itself (v3, issue 21)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["expires_at"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["account_id"] = None

    class Revoked(Aggregate.Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked_at = self.timestamp
            aggregate.revoke_reason = self.reason

    def __init__(
        self,
        token_sha256: str,
        name: str,
        role: str,
        office_id: str | None,
        expires_at: str | None = None,
        account_id: str | None = None,
    ) -> None:
        self.token_sha256 = token_sha256
        self.account_id = account_id
        self.name = name
        self.role = role
        self.office_id = office_id
        self.expires_at = expires_at
        self.revoked_at: datetime | None = None
        self.revoke_reason: str | None = None

    @classmethod
    def issue(
        cls, digest: str, principal: Principal, expires_at: datetime, account_id: UUID | None = None
    ) -> AccessToken:
        return cls._create(
            cls.Issued,
            id=token_id(digest),
            token_sha256=digest,
            name=principal.name,
            role=principal.role,
            office_id=principal.office_id,
            expires_at=expires_at.isoformat(),
            account_id=str(account_id) if account_id is not None else None,
        )

    def expiry(self) -> datetime:
        if self.expires_at is not None:
            return datetime.fromisoformat(self.expires_at)
        return self.created_on + DEFAULT_LIFETIME  # issued before tokens expired

    def valid_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expiry()

    def revoke(self, reason: str) -> None:
        self.trigger_event(self.Revoked, reason=reason)


# Stored before issue 19 moved this module (docs/decisions/0001): old rows still load.
register_topic(LEGACY_MODULE + ":AccessToken", AccessToken)


@dataclass(frozen=True, slots=True)
class Claim:
    """A caller's token as this process read it: its principal, until when it is valid,
    and the aggregates (token, account) with the versions read (decision 0058).

    ``remembered``: read in an earlier request, not this one; the read may then be
    answered only after its access entry's statement finds ``unchanged`` still so."""

    principal: Principal
    expires: datetime
    unchanged: tuple[tuple[UUID, int], ...]
    remembered: bool = False


T = TypeVar("T")

#: Tokens a process remembers between requests (least recently used forgotten first).
REMEMBERED_TOKENS = 1024


class Remembered(Generic[T]):
    """What a process read of its callers, by key, least recently used forgotten first
    beyond ``size`` (tokens here, web sessions in :mod:`api.web.session`; thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> T | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def keep(self, key: str, value: T | None) -> None:
        """Remember ``value`` under ``key`` (None: forget what was there)."""
        with self._lock:
            if value is None:
                self._items.pop(key, None)
                return
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What ``teichaku token list`` shows of a token: never the token nor its hash."""

    id: UUID
    name: str
    role: str
    office_id: str | None
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    account_id: str | None = None
    revoke_reason: str | None = None

    def status_ja(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "取消済み"
        return "有効" if now < self.expires_at else "期限切れ"


def token_id(digest: str) -> UUID:
    return uuid5(_TOKEN_NAMESPACE, digest)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Creates, lists, revokes and checks bearer tokens, stored in the cases' event store.

    ``clock`` (UTC now) is injected for tests of expiry; it is not the case log's clock,
    so checking a token never moves the instants that writes record.
    """

    def __init__(self, cases: CaseLog, clock: Callable[[], datetime] = utc_now) -> None:
        self.cases = cases
        self.clock = clock
        self._claims: Remembered[Claim] = Remembered(REMEMBERED_TOKENS)

    def create(
        self,
        role: str,
        name: str,
        office_id: str | None = None,
        expires_in: timedelta = DEFAULT_LIFETIME,
        account_id: UUID | None = None,
    ) -> str:
        """A new token for the principal; the plaintext is returned once and never stored.

        ``account_id``: the account that makes the token for itself; the token then
        stands for the account as it is at each request (its role and office), and stops
        when the account is disabled."""
        if role not in ROLES:
            raise ValueError(f"unknown role: {role!r}")
        if role == "staff" and not office_id:
            raise ValueError("staff tokens need an office id")
        if expires_in <= timedelta(0):
            raise ValueError("a token's lifetime must be positive")
        token = secrets.token_urlsafe(32)
        principal = Principal(name=name, role=role, office_id=office_id)
        expires = self.clock() + expires_in
        self.cases.save(AccessToken.issue(_digest(token), principal, expires, account_id))
        return token

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a token, or None when unknown, expired or revoked."""
        found = self.identify(token)
        return None if found is None else found[1]

    def identify(self, token: str) -> tuple[UUID, Principal] | None:
        """The token's id and principal while it is valid (read from the store each time)."""
        if not token:
            return None
        found = self._issued(_digest(token))
        principal = self._principal(found)  # the token as just read: not read again
        return None if found is None or principal is None else (found.id, principal)

    def claim(self, token: str) -> Claim | None:
        """The token's claim read from the store now, and remembered for the reads that
        come (:meth:`remembered`). None: unknown, expired, revoked or its account
        disabled."""
        if not token:
            return None
        digest = _digest(token)
        read = self._read_claim(digest)
        self._claims.keep(digest, read)
        return read

    def remembered(self, token: str) -> Claim | None:
        """The token's claim as an earlier request of this process read it, while it has
        not expired (no read of the store: the caller checks ``unchanged``). None too
        where the access table cannot check (a store in memory: it would refuse)."""
        if not self.cases.access.checks_unchanged:
            return None
        digest = _digest(token)
        known = self._claims.get(digest)
        if known is None or self.clock() >= known.expires:
            return None
        return Claim(known.principal, known.expires, known.unchanged, remembered=True)

    def _read_claim(self, digest: str) -> Claim | None:
        return self._claim_of(self._issued(digest))

    def _claim_of(self, found: AccessToken | None) -> Claim | None:
        read = self._read(found)
        return None if found is None or read is None else Claim(read[0], found.expiry(), read[1])

    def _issued(self, digest: str) -> AccessToken | None:
        """The token whose SHA-256 is ``digest``, as stored now (None: never issued)."""
        found = self._load(token_id(digest))
        if found is None or not secrets.compare_digest(found.token_sha256, digest):
            return None
        return found

    def read_by_id(self, id: UUID) -> Claim | None:
        """The token ``id`` as stored now while it is valid (a web session's token,
        decision 0059); not remembered here: the session is."""
        return self._claim_of(self._load(id))

    def principal_of(self, id: UUID) -> Principal | None:
        """The principal of the token ``id`` while it is neither expired nor revoked (and
        its account, if an account made it, is not disabled)."""
        return self._principal(self._load(id))

    def _principal(self, found: AccessToken | None) -> Principal | None:
        """One read of the token (the cache fast-forwards it by one query, so a revocation
        in any process holds here), and of its account when an account made it."""
        read = self._read(found)
        return None if read is None else read[0]

    def _read(
        self, found: AccessToken | None
    ) -> tuple[Principal, tuple[tuple[UUID, int], ...]] | None:
        """The principal of a valid token, and the aggregates it was read from with their
        versions (the token; its account when an account made it)."""
        if found is None or not found.valid_at(self.clock()):
            return None
        if found.account_id is not None:
            account = self._account(found.account_id)
            if account is None or account.disabled:
                return None
            return Principal(account.display_name, account.role, account.office_id), (
                (found.id, int(found.version)), (account.id, int(account.version)))  # fmt: skip
        principal = Principal(name=found.name, role=found.role, office_id=found.office_id)  # type: ignore[arg-type]
        return principal, ((found.id, int(found.version)),)

    def status(self, token: str) -> str:
        """Why a token does or does not work: ``valid``, ``unknown``, ``expired``,
        ``revoked`` or ``disabled`` (its account is stopped). Only someone holding the
        token learns this: its 256 random bits are not guessed."""
        if not token:
            return "unknown"
        found = self._issued(_digest(token))
        if found is None:
            return "unknown"
        if found.revoked_at is not None:
            return "revoked"
        if self.clock() >= found.expiry():
            return "expired"
        if found.account_id is not None:
            account = self._account(found.account_id)
            if account is None or account.disabled:
                return "disabled"
        return "valid"

    def _account(self, account_id: str) -> Any:
        from domain.accounts import Account

        try:
            found: Any = self.cases.repository.get(UUID(account_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Account) else None

    def list(self) -> list[TokenInfo]:
        """Every token ever issued, oldest first (revoked and expired ones included)."""
        topics = [get_topic(AccessToken.Issued), LEGACY_MODULE + ":AccessToken.Issued"]
        found: list[TokenInfo] = []
        start = 1
        while True:
            batch = self.cases.recorder.select_notifications(start, 1000, topics=topics)
            for n in batch:
                token = self._load(UUID(str(n.originator_id)))
                if token is not None:
                    found.append(_info(token))
            if len(batch) < 1000:
                return found
            start = batch[-1].id + 1

    def revoke(self, id: UUID, reason: str) -> TokenInfo:
        """Revoke the token ``id``; raises :class:`UnknownToken`, and
        :class:`AlreadyRevoked` when it was revoked before (no new event)."""
        found = self._load(id)
        if found is None:
            raise UnknownToken(id)
        if found.revoked_at is not None:
            raise AlreadyRevoked(_info(found))
        found.trigger_event(AccessToken.Revoked, reason=reason, timestamp=self.clock())
        self.cases.save(found)
        return _info(found)

    def _load(self, id: UUID) -> AccessToken | None:
        try:
            found: Any = self.cases.repository.get(id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, AccessToken) else None


def _info(token: AccessToken) -> TokenInfo:
    return TokenInfo(
        token.id, token.name, token.role, token.office_id,
        token.created_on, token.expiry(), token.revoked_at,
        token.account_id, token.revoke_reason,
    )  # fmt: skip


def ensure_can_read(principal: Principal, office_id: str | None) -> None:
    """Staff read their own office only; auditors and admins read every case."""
    if principal.role == "staff" and principal.office_id != office_id:
        raise Forbidden("他の事業所のケースは閲覧できません")


def ensure_can_write(
    principal: Principal, office_id: str | None, event_type: str, moves: OfficeChange | None = None
) -> None:
    """Staff write (and correct or retract) in their own office; admins anywhere; auditors never.

    ``moves``: the office change the write would make (:func:`domain.transfer.office_change`).
    Only an administrator moves a case to another office (docs/decisions/0031): staff of
    the office it leaves or of the one it would join are told so; staff of a third office
    learn no more than for any other write.
    """
    if principal.role == "auditor":
        raise Forbidden("監査担当者は記録を追加・訂正できません(閲覧のみ)")
    concerned = moves is not None and principal.office_id in (moves.from_office, moves.to_office)
    if concerned and principal.role != "admin":
        raise Forbidden(TRANSFER_BY_ADMIN_JA)
    if principal.role == "staff" and principal.office_id != office_id:
        raise Forbidden("他の事業所のケースには記録できません")


def ensure_can_record(
    principal: Principal, case: Case, event_type: str, data: Mapping[str, Any]
) -> None:
    """:func:`ensure_can_write` for ``data`` about to be recorded on the loaded ``case``."""
    history = case.history()
    moves = office_change(history, event_type, data)
    ensure_can_write(principal, current_office(history), event_type, moves)


class NotAuthenticated(Exception):
    """No bearer token, or one the store does not know (401)."""

    def __init__(self) -> None:
        super().__init__(
            "認証が必要です。有効なアクセストークンを Authorization: Bearer で送ってください"
        )


class Forbidden(Exception):
    """The principal may not do this to this case (403)."""


class AlreadyRevoked(ValueError):
    """The token was revoked before: 「すでに取り消されています」."""

    def __init__(self, info: TokenInfo) -> None:
        super().__init__(f"トークン {info.id} はすでに取り消されています")
        self.info = info


class UnknownToken(LookupError):
    """No token has this id."""

    def __init__(self, id: UUID) -> None:
        super().__init__(f"トークン {id} は見つかりません")
