"""Failures of the store a person can act on: the disk (or the database's quota) is full.

The drivers say it each in their own way — SQLite ``database or disk is full``
(SQLITE_FULL), PostgreSQL SQLSTATE 53100 ``disk_full``, the system ``ENOSPC`` — and the
``eventsourcing`` library wraps them in its own errors; :func:`storage_full` looks through
the whole chain. :class:`StorageFull` names what could not be saved, so a reader is told
that it was the access log, not the case, that failed.
"""

from __future__ import annotations

import errno


class StorageFull(Exception):
    """Nothing more can be saved: the store's disk (or quota) is full."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"保存領域が不足しているため、{what}を保存できませんでした。"
            "管理者に連絡してください(ディスクの空きを確保すると元に戻ります)"
        )


#: What a full disk prevents, as said to the person who asked.
ACCESS_LOG_JA = "閲覧の記録(アクセスログ)。閲覧は記録してから表示するため、表示もできません"
RECORD_JA = "この記録"


def storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything it was raised from) says the storage is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StorageFull) or _says_full(current):
            return True
        current = current.__cause__ or current.__context__
        if current is None and exc.args and isinstance(exc.args[0], BaseException):
            current = exc.args[0]  # the library passes the driver's error as its argument
    return False


def _says_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if getattr(exc, "sqlstate", None) == "53100":  # psycopg: disk_full
        return True
    text = str(exc).lower()
    return "database or disk is full" in text or "no space left on device" in text
