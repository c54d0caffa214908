"""Accounts in the store: create, list, change, and check a password or a TOTP code.

The aggregate and the policy are :mod:`domain.accounts`; this module adds what needs a
library or a clock: argon2id hashing through ``pwdlib`` (rehashed on a successful
sign-in when the parameters changed), one-time set-up codes (SHA-256 stored), TOTP
through ``pyotp`` (each time step used once), and the office setting that requires TOTP
for administrators and auditors. Nothing here logs or returns a password, a code or a
hash (docs/accounts.md).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pyotp
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.http.auth import Principal
from domain.accounts import (
    SETTINGS_ID,
    Account,
    AccountProblem,
    SignInSettings,
    account_id,
    check_role,
    normalise_login_id,
    normalise_password,
    password_problems,
)
from domain.history import utc_now
from domain.payloads import ERASED
from domain.sealing import reveal
from domain.store.application import CaseLog

#: How long an administrator's one-time set-up code works (docs/accounts.md).
SETUP_CODE_LIFETIME = timedelta(hours=72)
#: The code's alphabet: no 0/O, 1/I/L (read aloud or copied from paper).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_GROUPS = 4  # XXXX-XXXX-XXXX-XXXX: 16 characters, about 79 random bits
TOTP_ISSUER = "teichaku"
_HASHER = PasswordHash((Argon2Hasher(),))
#: Verified when the login id is unknown, so an unknown id costs the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class PasswordRefused(ValueError):
    """The password breaks the policy; ``problems`` says why (Japanese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" / ".join(problems))
        self.problems = problems


class UnknownAccount(LookupError):
    def __init__(self, login_id: str) -> None:
        super().__init__("このログインIDのアカウントはありません")
        self.login_id = login_id


class AccountExists(ValueError):
    def __init__(self) -> None:
        super().__init__("このログインIDはすでに使われています")


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """What a password (or set-up code) sign-in found. ``outcome``: ``ok``, ``setup``
    (the set-up code: a password must be chosen now), ``wrong`` (unknown id or wrong
    password: the same to a stranger), ``expired`` (a matching but expired set-up code),
    ``disabled`` (right password, account stopped)."""

    outcome: str
    account: Account | None = None


def hash_password(password: str) -> str:
    return _HASHER.hash(normalise_password(password))


def code_digest(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(cleaned.encode("ascii", "ignore")).hexdigest()


def new_setup_code() -> str:
    chars = [secrets.choice(_CODE_ALPHABET) for _ in range(4 * _CODE_GROUPS)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, len(chars), 4))


def principal_of(account: Account) -> Principal:
    """The principal an account signs in as: its display name becomes ``recorded_by``."""
    return Principal(name=account.display_name, role=account.role, office_id=account.office_id)  # type: ignore[arg-type]


class AccountStore:
    """Accounts in the cases' event store. ``clock`` (UTC now) is injected for tests."""

    def __init__(self, cases: CaseLog, clock: Callable[[], datetime] = utc_now) -> None:
        self.cases = cases
        self.clock = clock

    # -- reading ------------------------------------------------------------------

    def get(self, id: UUID) -> Account | None:
        try:
            found: Any = self.cases.repository.get(id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Account) else None

    def by_login(self, login_id: str) -> Account | None:
        return self.get(account_id(login_id))

    def require(self, id: UUID) -> Account:
        found = self.get(id)
        if found is None:
            raise UnknownAccount(str(id))
        return found

    def list(self) -> list[Account]:
        """Every account, oldest first."""
        topic = get_topic(Account.Created)
        found: list[Account] = []
        start = 1
        while True:
            batch = self.cases.recorder.select_notifications(start, 1000, topics=[topic])
            for n in batch:
                account = self.get(UUID(str(n.originator_id)))
                if account is not None:
                    found.append(account)
            if len(batch) < 1000:
                return found
            start = batch[-1].id + 1

    def history(self, id: UUID) -> builtins.list[Any]:
        """The account's own events, oldest first (its access history)."""
        return list(self.cases.events.get(id))

    def settings(self) -> SignInSettings:
        return self._settings()[0]

    def _settings(self) -> tuple[SignInSettings, int]:
        """The settings and their stored version (0: never changed, none stored)."""
        try:
            found: Any = self.cases.repository.get(SETTINGS_ID)
        except AggregateNotFoundError:
            return SignInSettings.start(), 0
        return found, int(found.version)

    def totp_required(self, account: Account) -> bool:
        """TOTP is required of this account now (the office setting, admin and auditor)."""
        return self.totp_required_since(account) is not None

    def totp_required_since(
        self, account: Account, read: builtins.list[tuple[UUID, int]] | None = None
    ) -> datetime | None:
        """Since when TOTP is required of this account (None: it is not): a session
        started before then runs on, the next sign-in must enrol. ``read``: the settings'
        (id, stored version) is added to it when they were read (decision 0059)."""
        if account.role not in ("admin", "auditor"):
            return None
        settings, version = self._settings()
        if read is not None:
            read.append((SETTINGS_ID, version))
        since: datetime | None = settings.required_since
        return since

    # -- changing -----------------------------------------------------------------

    def create(
        self, login_id: str, display_name: str, role: str, office_id: str | None, by: str
    ) -> tuple[Account, str]:
        """A new account and its one-time set-up code (returned once, stored as SHA-256)."""
        account = Account.create(login_id, display_name, role, office_id, by)
        code = self._issue_code(account, by)
        try:
            self.cases.save(account)
        except IntegrityError:
            raise AccountExists() from None
        return account, code

    def reset(self, id: UUID, by: str) -> str:
        """A new set-up code: the password stops working, the sessions end."""
        account = self.require(id)
        code = self._issue_code(account, by)
        self.cases.save(account)
        return code

    def _issue_code(self, account: Account, by: str) -> str:
        code = new_setup_code()
        expires = (self.clock() + SETUP_CODE_LIFETIME).isoformat()
        self._trigger(
            account,
            Account.SetupCodeIssued,
            code_sha256=code_digest(code),
            expires_at=expires,
            by=by,
        )
        return code

    def set_password(self, id: UUID, password: str, by: str) -> Account:
        account = self.require(id)
        problems = password_problems(password, account.login_id)
        if problems:
            raise PasswordRefused(problems)
        self._trigger(account, Account.PasswordSet, password_hash=hash_password(password), by=by)
        self.cases.save(account)
        return account

    def change_role(self, id: UUID, role: str, office_id: str | None, by: str) -> Account:
        account = self.require(id)
        office = office_id or None
        check_role(role, office)
        if (account.role, account.office_id) != (role, office):
            self._trigger(account, Account.RoleChanged, role=role, office_id=office, by=by)
            self.cases.save(account)
        return account

    def disable(self, id: UUID, by: str, reason: str) -> Account:
        account = self.require(id)
        if not account.disabled:
            self._trigger(account, Account.Disabled, by=by, reason=reason)
            self.cases.save(account)
        return account

    def enable(self, id: UUID, by: str) -> Account:
        account = self.require(id)
        if account.disabled:
            self._trigger(account, Account.Enabled, by=by)
            self.cases.save(account)
        return account

    def lift_lock(self, id: UUID, by: str) -> Account:
        account = self.require(id)
        self._trigger(account, Account.LockLifted, by=by)
        self.cases.save(account)
        return account

    def end_sessions(self, id: UUID, by: str) -> Account:
        account = self.require(id)
        self._trigger(account, Account.SessionsEnded, by=by)
        self.cases.save(account)
        return account

    def note_sign_out(self, id: UUID) -> None:
        account = self.get(id)
        if account is not None:
            self._trigger(account, Account.SignedOut)
            self._save_quietly(account)

    def set_totp_requirement(self, required: bool, by: str) -> None:
        settings = self.settings()
        if bool(settings.totp_required_for_admin_and_auditor) != required:
            self._trigger(settings, SignInSettings.TotpRequirementChanged, required=required, by=by)
            self.cases.save(settings)

    # -- checking -----------------------------------------------------------------

    def check_password(self, login_id: str, password: str) -> PasswordCheck:
        """Check a password or a set-up code. The time taken does not say whether the
        account exists: an unknown id is checked against a dummy hash."""
        try:
            account = self.by_login(login_id) if normalise_login_id(login_id) else None
        except AccountProblem:
            account = None
        if account is None:
            _HASHER.verify(normalise_password(password), _DUMMY_HASH)
            return PasswordCheck("wrong")
        if account.password_hash is not None:
            ok, updated = _HASHER.verify_and_update(
                normalise_password(password), account.password_hash
            )
            if ok:
                if account.disabled:
                    return PasswordCheck("disabled", account)
                if updated is not None:  # argon2 parameters changed: store the new hash
                    self._trigger(
                        account, Account.PasswordSet, password_hash=updated, by="(rehash)"
                    )
                return PasswordCheck("ok", account)
        else:
            _HASHER.verify(normalise_password(password), _DUMMY_HASH)
        if account.setup_sha256 is not None and secrets.compare_digest(
            account.setup_sha256, code_digest(password)
        ):
            if account.disabled:
                return PasswordCheck("disabled", account)
            if self.clock() >= datetime.fromisoformat(str(account.setup_expires_at)):
                return PasswordCheck("expired", account)
            return PasswordCheck("setup", account)
        return PasswordCheck("wrong", account)

    def totp_step(self, account: Account, code: str, secret: str | None = None) -> int | None:
        """The time step a code is valid for (±1 step of clock drift), or None; a step
        at or before the last one used is refused (a code works once)."""
        key = secret or self.opened_totp_secret(account)
        digits = "".join(ch for ch in code if ch.isdigit())
        if not key or len(digits) != 6:
            return None
        totp = pyotp.TOTP(key)
        now = self.clock()
        step_now = totp.timecode(now)
        for drift in (0, -1, 1):
            step = step_now + drift
            if secrets.compare_digest(totp.generate_otp(step), digits):
                return step if step > account.last_totp_step else None
        return None

    def opened_totp_secret(self, account: Account) -> str | None:
        """The account's TOTP secret opened with its key (None: none enrolled, or its key
        is gone and no code can be checked: an administrator removes TOTP)."""
        stored = account.totp_secret
        if stored is None or isinstance(stored, str):  # none, or enrolled before sealing
            return stored
        opened = reveal({"secret": stored}, self.cases.keys.key(account.id)).payload["secret"]
        return None if opened == ERASED else str(opened)

    def record_sign_in(self, account: Account, method: str, totp_step: int | None) -> None:
        """The sign-in (and a TOTP step now used) as an event of the account."""
        self._trigger(account, Account.SignedIn, method=method, totp_step=totp_step)
        self.cases.save(account)

    def use_setup_code(self, account: Account) -> None:
        self._trigger(account, Account.SetupCodeUsed)
        self._trigger(account, Account.SignedIn, method="setup-code", totp_step=None)
        self.cases.save(account)

    def enrol_totp(self, id: UUID, secret: str, code: str) -> bool:
        """Enrol ``secret`` once a code made from it checks; False when it does not."""
        account = self.require(id)
        step = self.totp_step(account, code, secret)
        if step is None:
            return False
        sealed = self.cases.keys.key_for_writing(account.id).seal(secret)  # never in clear
        self._trigger(account, Account.TotpEnrolled, secret=sealed, step=step)
        self.cases.save(account)
        return True

    def remove_totp(self, id: UUID, by: str) -> None:
        account = self.require(id)
        if account.totp_secret is not None:
            self._trigger(account, Account.TotpRemoved, by=by)
            self.cases.save(account)

    def _trigger(self, aggregate: Any, event_class: type[Any], **fields: Any) -> None:
        """An event stamped with this store's clock (tests inject it; locks compare it)."""
        aggregate.trigger_event(event_class, timestamp=self.clock(), **fields)

    def _save_quietly(self, account: Account) -> None:
        with contextlib.suppress(IntegrityError):  # another process wrote first: not needed
            self.cases.save(account)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(account: Account, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account.login_id, issuer_name=TOTP_ISSUER)
