"""What every ``teichaku`` subcommand shares: the ``--database`` option and opening the app.

Its own module so that the command modules (:mod:`api.cli.main`, :mod:`api.cli.trust`, …)
import it rather than each other.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from api.settings import DEFAULT_DATABASE, Settings
from domain.store.opening import StoreUnreachable, check_reachable


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///path.db または postgresql://user@host:port/dbname "
        f"(default: $TEICHAKU_DATABASE, else {DEFAULT_DATABASE})",
    )


class CommandError(Exception):
    """What a person can act on, said in one line: ``teichaku`` prints it and exits 2."""


def open_app(option: str | None, *, read_only: bool = False) -> Any:
    """The API application on the chosen database (its ``state`` holds cases and tokens).

    Without ``--database``: ``$TEICHAKU_DATABASE``, else the SQLite file under ./var/
    (its folder is created), as :class:`api.settings.Settings` decides. A ``read_only``
    command (verify, export, …) never creates a store: a missing SQLite file is an error,
    not an empty store that "verifies". A bad URL or an unreachable server is a
    :class:`CommandError`, never a traceback.
    """
    from api.app import create_app

    try:
        settings = Settings(database_url=option)
    except ValueError as exc:  # a TEICHAKU_* setting that does not read (its message says which)
        raise CommandError(str(exc)) from None
    url = settings.url
    try:
        env = settings.persistence_env()
    except ValueError:
        raise CommandError(
            f"データベースの URL が読めません: {masked(url)}"
            "(sqlite:///ファイル.db または postgresql://利用者@ホスト:ポート/DB名)"
        ) from None
    if env["PERSISTENCE_MODULE"].endswith("sqlite"):
        _check_sqlite(env["SQLITE_DBNAME"], read_only)
    try:
        check_reachable(env)
    except StoreUnreachable as exc:
        raise CommandError(f"PostgreSQL に接続できません: {masked(url)}({exc})") from None
    try:
        return create_app(settings)
    except Exception as exc:  # the library's errors vary by backend; say which store failed
        raise CommandError(f"データベースを開けません: {masked(url)}({_first_line(exc)})") from None


def _check_sqlite(path: str, read_only: bool) -> None:
    if not read_only or path in ("", ":memory:") or Path(path).is_file():
        return
    raise CommandError(
        f"データベースのファイルがありません: {path}(--database または $TEICHAKU_DATABASE を"
        "確かめてください。読み取りのみのコマンドは新しく作りません)"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def masked(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def close_app(app: Any) -> None:
    close = getattr(app.state.cases, "close", None)
    if close is not None:
        close()


def say(message: str) -> None:
    """A message for the person at the terminal (stderr: stdout carries the output)."""
    print(message, file=sys.stderr)
