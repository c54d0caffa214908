"""``teichaku token create|list|revoke``: bearer tokens that end.

``create`` prints the new token as its one line on stdout (part of the public contract);
nothing else printed here is a token or a token's hash. Times are shown in Japan time
with the offset (``2026-04-01T09:00:00+09:00``). Revoking a token that was revoked
before changes nothing, says 「すでに取り消されています」 and exits 0: the state asked
for holds (docs/decisions/0043).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from api.cli.common import close_app, database_option, open_app
from api.http.auth import DEFAULT_LIFETIME, ROLES, AlreadyRevoked, UnknownToken
from domain.history import TOKYO

_LIFETIME = re.compile(r"^([1-9][0-9]{0,4})([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def register(commands: Any) -> None:
    """The ``token`` group: ``create`` (with ``--expires-in``), ``list`` and ``revoke``."""
    token = commands.add_parser("token", help="アクセストークンの管理 (bearer tokens)")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_commands.add_parser(
        "create", help="トークンを発行し1行で表示する (print one new bearer token)"
    )
    create.add_argument("--role", required=True, choices=ROLES, help="staff | auditor | admin")
    create.add_argument("--name", required=True, help="利用者名(記録者名として残ります)")
    create.add_argument("--office", help="事業所番号10桁 (staff では必須)")
    database_option(create)
    create.set_defaults(handler=lambda args: _create(args, create))
    create.add_argument(
        "--expires-in", type=lifetime, default=DEFAULT_LIFETIME, metavar="N{d|h|m}",
        help="有効期間。例 90d, 12h, 30m (lifetime; default 90d)",
    )  # fmt: skip
    listing = token_commands.add_parser(
        "list", help="発行済みトークンの一覧 (id, name, role, office, expiry, status)"
    )
    database_option(listing)
    listing.set_defaults(handler=_list)
    revoke = token_commands.add_parser(
        "revoke", help="トークンを取り消す。次のリクエストから全プロセスで無効 (revoke)"
    )
    revoke.add_argument("id", type=UUID, metavar="ID", help="token list が表示する ID")
    revoke.add_argument("--reason", default="", help="取消の理由(記録に残ります)")
    database_option(revoke)
    revoke.set_defaults(handler=_revoke)


def _create(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    name = args.name.strip()
    if not name:
        parser.error("--name が空です / --name must not be empty")
    if args.role == "staff" and not args.office:
        parser.error(
            "staff のトークンには --office(事業所番号10桁)が必要です / staff tokens need --office"
        )
    if args.role != "staff" and args.office:
        parser.error(f"--office は staff のみ指定できます({args.role} は全事業所が対象です)")
    if args.office and not re.fullmatch(r"[0-9]{10}", args.office):
        parser.error("--office は半角数字10桁の事業所番号です / --office must be 10 digits")
    app = open_app(args.database)
    try:
        token = app.state.tokens.create(args.role, name, args.office, args.expires_in)
    finally:
        close_app(app)
    print(token)
    return 0


def lifetime(text: str) -> timedelta:
    """``90d``, ``12h`` or ``30m`` as a duration (argparse reports anything else)."""
    match = _LIFETIME.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: 有効期間は 90d・12h・30m のように指定してください (e.g. 90d)"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _list(args: argparse.Namespace) -> int:
    app = open_app(args.database)
    try:
        tokens = app.state.tokens
        now = tokens.clock()
        rows = tokens.list()
    finally:
        close_app(app)
    print("ID\t名前\t役割\t事業所\t発行\t有効期限\t状態")
    for t in rows:
        when = jst(t.revoked_at) if t.revoked_at else ""
        status = t.status_ja(now) + (f"({when})" if when else "")
        print(
            f"{t.id}\t{t.name}\t{t.role}\t{t.office_id or '-'}\t"
            f"{jst(t.issued_at)}\t{jst(t.expires_at)}\t{status}"
        )
    return 0


def jst(instant: datetime) -> str:
    """An instant in Japan time with its offset shown (+09:00), to the second."""
    return instant.astimezone(TOKYO).isoformat(timespec="seconds")


def _revoke(args: argparse.Namespace) -> int:
    app = open_app(args.database)
    try:
        info = app.state.tokens.revoke(args.id, args.reason.strip())
    except UnknownToken as exc:
        print(f"{exc} / no token with this id", file=sys.stderr)
        return 1
    except AlreadyRevoked as exc:
        when = jst(exc.info.revoked_at) if exc.info.revoked_at else ""
        print(f"{exc}({when})/ already revoked: nothing changed", file=sys.stderr)
        return 0
    finally:
        close_app(app)
    print(f"トークン {info.id}({info.name})を取り消しました (revoked)", file=sys.stderr)
    return 0
