"""What every ``teichaku`` subcommand shares: the ``--database`` option and opening the app.

Its own module so that the command modules (:mod:`api.cli`, :mod:`api.cli_trust`, …)
import it rather than each other.
"""

from __future__ import annotations

import argparse
from typing import Any

from api.settings import DEFAULT_DATABASE, Settings


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///path.db または postgresql://user@host:port/dbname "
        f"(default: $TEICHAKU_DATABASE, else {DEFAULT_DATABASE})",
    )


def open_app(option: str | None) -> Any:
    """The API application on the chosen database (its ``state`` holds cases and tokens).

    Without ``--database``: ``$TEICHAKU_DATABASE``, else the SQLite file under ./var/
    (its folder is created), as :class:`api.settings.Settings` decides.
    """
    from api.app import create_app

    return create_app(Settings(database_url=option))


def close_app(app: Any) -> None:
    close = getattr(app.state.cases, "close", None)
    if close is not None:
        close()
