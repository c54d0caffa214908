"""Settings of the running service, read once when the app is created (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from domain.rules.schedule import FeeSchedule, ScheduleError, builtin, with_office_files
from domain.store.application import persistence_env

DEFAULT_DATABASE = "sqlite:///var/teichaku.db"
#: 1 MiB: the largest event domain.payloads allows is under 100 KB, a form far less.
DEFAULT_MAX_BODY_BYTES = 1_048_576
#: The library's AES-GCM cipher: stored event state is encrypted when a key is given.
CIPHER_TOPIC = "eventsourcing.cipher:AESCipher"


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _max_body_bytes() -> int:
    raw = _env("TEICHAKU_MAX_BODY_BYTES")
    if raw is None:
        return DEFAULT_MAX_BODY_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"TEICHAKU_MAX_BODY_BYTES は 1 以上のバイト数で指定してください: {raw!r}")
    return int(raw)


def office_schedule_files(folder: str) -> list[tuple[str, str]]:
    """The ``*.toml`` files of an office's fee-schedule folder as ``(path, text)``."""
    path = Path(folder)
    if not path.is_dir():
        raise ScheduleError(f"報酬の版のフォルダがありません: {folder}")
    return [(str(p), p.read_text(encoding="utf-8")) for p in sorted(path.glob("*.toml"))]


@dataclass(frozen=True)
class Settings:
    """Where the store lives and how it is encrypted.

    ``database_url``: ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or
    ``postgresql://user@host:port/dbname``; else ``$TEICHAKU_DATABASE``, else
    ``sqlite:///var/teichaku.db``. ``cipher_key``: else ``$TEICHAKU_CIPHER_KEY``.
    """

    database_url: str | None = field(default_factory=lambda: _env("TEICHAKU_DATABASE"))
    cipher_key: str | None = field(default_factory=lambda: _env("TEICHAKU_CIPHER_KEY"))
    #: The key file that wraps every person key (erasure); else beside an SQLite file, or
    #: under var/keys/ for PostgreSQL (domain.store.persistence.key_file_of).
    key_file: str | None = field(default_factory=lambda: _env("TEICHAKU_KEY_FILE"))
    #: Keep the stored views current in a background thread (``teichaku serve`` does).
    #: Set by ``TEICHAKU_FOLLOW_VIEWS=1`` (every server process of ``teichaku serve``).
    follow_views: bool = field(default_factory=lambda: _env("TEICHAKU_FOLLOW_VIEWS") == "1")
    #: The largest request body any route reads (api.http.limits); a larger one is 413.
    #: ``TEICHAKU_MAX_BODY_BYTES``, else 1 MiB.
    max_body_bytes: int = field(default_factory=_max_body_bytes)
    #: A folder of the office's fee-schedule files (new revisions or amendments, VER-2):
    #: ``TEICHAKU_FEE_SCHEDULE`` or ``teichaku serve --fee-schedule DIR`` (docs/claim.md).
    fee_schedule_dir: str | None = field(default_factory=lambda: _env("TEICHAKU_FEE_SCHEDULE"))

    def __post_init__(self) -> None:
        # A bad schedule file is a setting that does not read: refused here, with its file's
        # name, like a bad TEICHAKU_* value (the command line prints one line, exit 2).
        if self.fee_schedule_dir:
            self.fee_schedule()

    def fee_schedule(self) -> FeeSchedule:
        """The built-in fee schedule with the office's files added; a bad file stops here."""
        if not self.fee_schedule_dir:
            return builtin()
        return with_office_files(office_schedule_files(self.fee_schedule_dir))

    @property
    def url(self) -> str:
        return self.database_url or _env("TEICHAKU_DATABASE") or DEFAULT_DATABASE

    def persistence_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for this store."""
        env = persistence_env(self.url)
        if self.cipher_key:
            env |= {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": self.cipher_key}
        if self.key_file:
            env["TEICHAKU_KEY_FILE"] = self.key_file
        return env
