"""Who is asking, and what they may do.

Bearer tokens are random strings shown once when created; the store keeps only their
SHA-256, as an :class:`AccessToken` aggregate in the same event store as the cases (id =
uuid5 of the hash), so a leaked database does not leak usable tokens. Tokens are never
logged. Roles (spec/api.md): staff read and write their own office's cases; auditors
read every case and write nothing; admins may do everything.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.application import CaseLog

Role = Literal["staff", "auditor", "admin"]
ROLES: tuple[Role, ...] = ("staff", "auditor", "admin")
_TOKEN_NAMESPACE = UUID("5b0f8a52-3c1e-4c0e-9a57-7e6b1d7c2a10")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller; ``name`` becomes ``recorded_by`` of what it writes."""

    name: str
    role: Role
    office_id: str | None = None


class AccessToken(Aggregate):
    """A token's SHA-256 and the principal it stands for (never the token itself)."""

    class Issued(Aggregate.Created):
        token_sha256: str
        name: str
        role: str
        office_id: str | None

    def __init__(self, token_sha256: str, name: str, role: str, office_id: str | None) -> None:
        self.token_sha256 = token_sha256
        self.name = name
        self.role = role
        self.office_id = office_id

    @classmethod
    def issue(cls, digest: str, principal: Principal) -> AccessToken:
        return cls._create(
            cls.Issued,
            id=token_id(digest),
            token_sha256=digest,
            name=principal.name,
            role=principal.role,
            office_id=principal.office_id,
        )


def token_id(digest: str) -> UUID:
    return uuid5(_TOKEN_NAMESPACE, digest)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Creates and checks bearer tokens, stored in the cases' own event store."""

    def __init__(self, cases: CaseLog) -> None:
        self.cases = cases
        # Tokens are never altered once issued (there is no revocation yet), so a
        # principal found once is remembered by digest: a request then costs no store read.
        self._known: dict[str, Principal] = {}

    def create(self, role: str, name: str, office_id: str | None = None) -> str:
        """A new token for the principal; the plaintext is returned once and never stored."""
        if role not in ROLES:
            raise ValueError(f"unknown role: {role!r}")
        if role == "staff" and not office_id:
            raise ValueError("staff tokens need an office id")
        token = secrets.token_urlsafe(32)
        principal = Principal(name=name, role=role, office_id=office_id)
        self.cases.save(AccessToken.issue(_digest(token), principal))
        return token

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a token, or None when the token is unknown."""
        if not token:
            return None
        digest = _digest(token)
        known = self._known.get(digest)
        if known is not None:
            return known
        try:
            found: Any = self.cases.repository.get(token_id(digest))
        except AggregateNotFoundError:
            return None
        if not isinstance(found, AccessToken) or not secrets.compare_digest(
            found.token_sha256, digest
        ):
            return None
        principal = Principal(name=found.name, role=found.role, office_id=found.office_id)  # type: ignore[arg-type]
        self._known[digest] = principal
        return principal


def ensure_can_read(principal: Principal, office_id: str | None) -> None:
    """Staff read their own office only; auditors and admins read every case."""
    if principal.role == "staff" and principal.office_id != office_id:
        raise Forbidden("他の事業所のケースは閲覧できません")


def ensure_can_write(principal: Principal, office_id: str | None, event_type: str) -> None:
    """Staff write (and correct or retract) in their own office; admins anywhere; auditors never."""
    if principal.role == "auditor":
        raise Forbidden("監査担当者は記録を追加・訂正できません(閲覧のみ)")
    if principal.role == "staff" and principal.office_id != office_id:
        raise Forbidden("他の事業所のケースには記録できません")


class NotAuthenticated(Exception):
    """No bearer token, or one the store does not know (401)."""

    def __init__(self) -> None:
        super().__init__(
            "認証が必要です。有効なアクセストークンを Authorization: Bearer で送ってください"
        )


class Forbidden(Exception):
    """The principal may not do this to this case (403)."""
