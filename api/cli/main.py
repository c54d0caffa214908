"""The ``teichaku`` command line: one module per command group, parsed here.

============  ==========================================================
``serve``     :mod:`api.cli.serve`: run the HTTP API and the staff's pages
``token``     :mod:`api.cli.tokens`: create, list and revoke bearer tokens
``account``   :mod:`api.cli.accounts`: create, list, disable, enable, reset, role
``demo``      :mod:`api.cli.demo`: load the demo office
``verify``    :mod:`api.cli.trust`: check hash chains and bundles
``export``    :mod:`api.cli.trust`: write a case's bundle
``projections`` :mod:`api.cli.views`: rebuild the stored views, show their lag
``person``    :mod:`api.cli.person`: erase a person's personal data
============  ==========================================================

Every subcommand opens the store the way the API does (:func:`api.cli.common.open_app`),
so a token created here, or a demo loaded here, is the one the server reads, with the
same cipher and database settings. Messages for people are Japanese, with English
where it helps; nothing personal is ever printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api.cli import accounts, demo, person, serve, tokens, trust, views
from api.cli.common import CommandError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:  # one line a person can act on; no traceback
        print(f"teichaku: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teichaku",
        description="就労定着支援のケース記録システム (employment retention support case records)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve.register(commands)
    tokens.register(commands)  # create (--expires-in), list, revoke (issue 12)
    accounts.register(commands)  # people who sign in as themselves (issue 21)
    demo.register(commands)
    trust.register(commands)  # verify, export (issue 4)
    views.register(commands)  # projections rebuild, status (issue 9)
    person.register(commands)  # person erase (issue 12)
    return parser


if __name__ == "__main__":
    sys.exit(main())
