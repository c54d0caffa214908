"""Accounts: people who sign in as themselves (issue 21), recorded as events.

An :class:`Account` lives in the same event store as the cases (beside the bearer tokens
and the sessions), so who had access when is itself auditable: its creation, every
password set, each one-time set-up code issued and used, role and office changes, TOTP
enrolled or removed, disabled and enabled, a sign-in lock lifted, each sign-in and
sign-out, and "sign out everywhere". The aggregate's id is the uuid5 of the normalised
login id (:func:`account_id`), so a second account with the same login id is a conflict
in the store, not a check that two processes could both pass.

What is stored of a secret: the password only as an argon2id hash (made by the door,
:mod:`api.http.accounts`), a set-up code only as its SHA-256, never either in clear. The
TOTP secret must be read back to check a code, so it is stored sealed
(:mod:`domain.sealing`) with a key of the account's own in the key table, wrapped by the
key file's KEK like the person keys; the event and its snapshots hold only the sealed form.
Secrets enrolled before that are plain strings in their events, and still read.

This module also holds the pure policy: how a login id is read, and which passwords are
refused (NIST SP 800-63B, docs/decisions/0041).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

ACCOUNT_NAMESPACE = UUID("0c6f5d1e-2b7a-4c39-8e11-5d4a3f2b9e70")
SETTINGS_ID = UUID("7a2e4c1b-9d35-4f60-b8a7-3e5c1d9f0b24")
#: NIST SP 800-63B rev. 4 §3.1.1.2: at least 15 characters for a password that may be a
#: single factor (TOTP is optional here), no composition rules, at least 64 allowed.
MIN_PASSWORD_LENGTH = 15
MAX_PASSWORD_LENGTH = 128
MAX_LOGIN_ID_LENGTH = 64
MAX_DISPLAY_NAME_LENGTH = 60
ROLES = ("staff", "auditor", "admin")
ROLE_JA = {"staff": "支援員", "auditor": "監査", "admin": "管理者"}
_COMMON = Path(__file__).with_name("common_passwords.txt")


class AccountProblem(ValueError):
    """Input that cannot make or change an account; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_login_id(text: str) -> str:
    """A login id as compared and stored: NFKC (全角 → 半角), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def check_login_id(text: str) -> str:
    """The normalised login id, or :class:`AccountProblem` saying what is wrong."""
    login = normalise_login_id(text)
    if not login:
        raise AccountProblem("login_id", "ログインIDを入力してください")
    if len(login) > MAX_LOGIN_ID_LENGTH:
        raise AccountProblem("login_id", f"ログインIDは{MAX_LOGIN_ID_LENGTH}文字以内にしてください")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in login):
        raise AccountProblem("login_id", "ログインIDに空白や制御文字は使えません")
    return login


def account_id(login_id: str) -> UUID:
    """The account's id: uuid5 of the normalised login id (unique by construction)."""
    return uuid5(ACCOUNT_NAMESPACE, normalise_login_id(login_id))


def normalise_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B §3.1.1.2 asks, so 全角 and 半角 type the same password."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords (case-folded)."""
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problems(password: str, login_id: str) -> list[str]:
    """Why ``password`` is refused (Japanese, for the form), or ``[]``.

    NIST SP 800-63B: a minimum length, a generous maximum, every character allowed
    (spaces and Japanese included), no composition rules, and refused when it is on the
    list of common passwords or is the login id itself. Length counts characters after
    NFKC normalisation.
    """
    text = normalise_password(password)
    folded = text.casefold()
    problems: list[str] = []
    if len(text) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください"
            f"(いまは{len(text)}文字)。短い単語をいくつか並べた文も使えます"
        )
    if len(text) > MAX_PASSWORD_LENGTH:
        problems.append(f"パスワードは{MAX_PASSWORD_LENGTH}文字以内にしてください")
    if folded.strip() == normalise_login_id(login_id) and folded.strip():
        problems.append("ログインIDと同じパスワードは使えません")
    elif folded in common_passwords() or folded.strip() in common_passwords():
        problems.append("よく使われていて推測されやすいパスワードです。別のものにしてください")
    elif text and len(set(text)) == 1:
        problems.append("同じ文字の繰り返しだけのパスワードは使えません")
    return problems


class Account(Aggregate):
    """A person who signs in: login id, display name, role, office, and what happened."""

    class Created(Aggregate.Created):
        login_id: str
        display_name: str
        role: str
        office_id: str | None
        created_by: str

    class PasswordSet(Aggregate.Event):
        password_hash: str  # argon2id (pwdlib), never the password
        by: str  # who set it: the holder, or "(rehash)" when parameters changed

        def apply(self, aggregate: Any) -> None:
            aggregate.password_hash = self.password_hash
            aggregate.setup_sha256 = None
            aggregate.must_set_password = False

    class SetupCodeIssued(Aggregate.Event):
        code_sha256: str
        expires_at: str  # UTC, ISO 8601
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.setup_sha256 = self.code_sha256
            aggregate.setup_expires_at = self.expires_at
            aggregate.must_set_password = True
            aggregate.password_hash = None
            aggregate.session_generation += 1  # a reset ends the sessions it had

    class SetupCodeUsed(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            aggregate.setup_sha256 = None

    class RoleChanged(Aggregate.Event):
        role: str
        office_id: str | None
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.role = self.role
            aggregate.office_id = self.office_id

    class TotpEnrolled(Aggregate.Event):
        #: base32, sealed with the account's key ({"sealed", "commit"}); a plain str when
        #: enrolled before sealing (see the module docstring)
        secret: str | dict[str, str]
        step: int  # the time step of the code that confirmed it (used once)

        def apply(self, aggregate: Any) -> None:
            aggregate.totp_secret = self.secret
            aggregate.last_totp_step = max(aggregate.last_totp_step, self.step)

    class TotpRemoved(Aggregate.Event):
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.totp_secret = None

    class Disabled(Aggregate.Event):
        by: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disabled = True

    class Enabled(Aggregate.Event):
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disabled = False

    class LockLifted(Aggregate.Event):
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.lock_lifted_at = self.timestamp

    class SignedIn(Aggregate.Event):
        method: str  # password | password+totp | setup-code
        totp_step: int | None

        def apply(self, aggregate: Any) -> None:
            aggregate.last_sign_in = self.timestamp
            if self.totp_step is not None:
                aggregate.last_totp_step = max(aggregate.last_totp_step, self.totp_step)

    class SignedOut(Aggregate.Event):
        pass

    class SessionsEnded(Aggregate.Event):
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.session_generation += 1

    def __init__(
        self, login_id: str, display_name: str, role: str, office_id: str | None, created_by: str
    ) -> None:
        self.login_id = login_id
        self.display_name = display_name
        self.role = role
        self.office_id = office_id
        self.created_by = created_by
        self.password_hash: str | None = None
        self.setup_sha256: str | None = None
        self.setup_expires_at: str | None = None
        self.must_set_password = True
        self.totp_secret: str | dict[str, str] | None = None  # as stored: sealed, or plain
        self.last_totp_step = -1
        self.disabled = False
        self.lock_lifted_at: datetime | None = None
        self.last_sign_in: datetime | None = None
        self.session_generation = 0

    @classmethod
    def create(
        cls, login_id: str, display_name: str, role: str, office_id: str | None, by: str
    ) -> Account:
        login = check_login_id(login_id)
        name = check_display_name(display_name)
        check_role(role, office_id)
        return cls._create(
            cls.Created, id=account_id(login), login_id=login, display_name=name,
            role=role, office_id=office_id or None, created_by=by,
        )  # fmt: skip

    def status_ja(self) -> str:
        if self.disabled:
            return "停止中"
        if self.must_set_password:
            return "パスワード未設定"
        return "有効"


def check_display_name(text: str) -> str:
    name = unicodedata.normalize("NFKC", text).strip()
    if not name:
        raise AccountProblem("display_name", "表示名(記録者名)を入力してください")
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise AccountProblem(
            "display_name", f"表示名は{MAX_DISPLAY_NAME_LENGTH}文字以内にしてください"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise AccountProblem("display_name", "表示名に制御文字は使えません")
    return name


def check_role(role: str, office_id: str | None) -> None:
    """Staff belong to one office (10 digits); auditors and admins to none."""
    if role not in ROLES:
        raise AccountProblem("role", "役割は 支援員・監査・管理者 から選んでください")
    if role == "staff":
        if not office_id or not (
            len(office_id) == 10 and office_id.isascii() and office_id.isdigit()
        ):
            raise AccountProblem("office_id", "支援員には事業所番号(半角数字10桁)が必要です")
    elif office_id:
        raise AccountProblem(
            "office_id", "事業所番号は支援員のみ指定します(監査・管理者は全事業所)"
        )


class SignInSettings(Aggregate):
    """The office's sign-in settings (one aggregate, id :data:`SETTINGS_ID`)."""

    class Started(Aggregate.Created):
        pass

    class TotpRequirementChanged(Aggregate.Event):
        required: bool
        by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.totp_required_for_admin_and_auditor = self.required
            aggregate.required_since = self.timestamp if self.required else None

    def __init__(self) -> None:
        self.totp_required_for_admin_and_auditor = False
        #: Sessions started from this instant on must enrol (earlier ones run on).
        self.required_since: datetime | None = None

    @classmethod
    def start(cls) -> SignInSettings:
        return cls._create(cls.Started, id=SETTINGS_ID)
