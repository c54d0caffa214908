"""``teichaku account create|list|disable|enable|reset|role``: accounts on the server.

The very first administrator is made here (``account create --role admin``): the
one-time set-up code is printed once, as the one line on stdout, and the person signs
in with it at ``/web/login`` and chooses a password. Nothing printed is a password or a
hash; times are Japan time with the offset shown. Each change is an event of the
account, recorded as made by ``--by`` (default: the user running the command).
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from api.cli.common import CommandError, close_app, database_option, open_app, say
from api.cli.tokens import jst
from api.http.accounts import SETUP_CODE_LIFETIME, AccountExists
from domain.accounts import ROLES, AccountProblem, account_id


def register(commands: Any) -> None:
    account = commands.add_parser("account", help="ログインするアカウントの管理 (accounts)")
    actions = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create", help="アカウントを作り、初回の設定コードを1行で表示する (print the set-up code)"
    )
    create.add_argument(
        "login_id", metavar="LOGIN_ID", help="ログインID(大文字小文字・全角半角は区別しません)"
    )
    create.add_argument("--name", required=True, help="表示名(記録者名として残ります)")
    create.add_argument("--role", required=True, choices=ROLES, help="staff | auditor | admin")
    create.add_argument("--office", help="事業所番号10桁 (staff では必須)")
    _common(create, _create)

    listing = actions.add_parser("list", help="アカウントの一覧 (login id, name, role, status)")
    database_option(listing)
    listing.set_defaults(handler=_list)

    for name, help_ja, handler in (
        ("disable", "停止する。開いている画面は次の操作で終わります (disable)", _disable),
        ("enable", "停止を解除する (enable)", _enable),
        ("reset", "新しい設定コードを発行する。パスワードは使えなくなります (reset)", _reset),
    ):
        sub = actions.add_parser(name, help=help_ja)
        sub.add_argument("login_id", metavar="LOGIN_ID")
        if name == "disable":
            sub.add_argument("--reason", default="", help="停止の理由(記録に残ります)")
        _common(sub, handler)

    role = actions.add_parser("role", help="役割・事業所を変える (change role and office)")
    role.add_argument("login_id", metavar="LOGIN_ID")
    role.add_argument("--role", required=True, choices=ROLES)
    role.add_argument("--office", help="事業所番号10桁 (staff では必須)")
    _common(role, _role)


def _common(parser: argparse.ArgumentParser, handler: Any) -> None:
    parser.add_argument("--by", help="操作した人の名前 (default: このコマンドを実行した利用者)")
    database_option(parser)
    parser.set_defaults(handler=handler)


def _by(args: argparse.Namespace) -> str:
    return (args.by or "").strip() or f"{getpass.getuser()} (teichaku account)"


def _create(args: argparse.Namespace) -> int:
    app = open_app(args.database)
    try:
        _, code = app.state.accounts.create(
            args.login_id, args.name, args.role, args.office, _by(args)
        )
    except AccountProblem as exc:
        raise CommandError(exc.message) from None
    except AccountExists as exc:
        raise CommandError(str(exc)) from None
    finally:
        close_app(app)
    hours = int(SETUP_CODE_LIFETIME.total_seconds() // 3600)
    say(
        f"アカウントを作りました。次の設定コードを本人に渡してください({hours}時間有効、"
        "一度だけ表示します)。本人は /web/login でログインIDとこのコードを入れ、"
        "パスワードを決めます。"
    )
    print(code)
    return 0


def _list(args: argparse.Namespace) -> int:
    app = open_app(args.database, read_only=True)
    try:
        accounts = app.state.accounts.list()
    finally:
        close_app(app)
    print("ログインID\t表示名\t役割\t事業所\t状態\t2段階認証\t最終ログイン")
    for a in accounts:
        last = jst(a.last_sign_in) if a.last_sign_in else "-"
        totp = "あり" if a.totp_secret else "なし"
        print(
            f"{a.login_id}\t{a.display_name}\t{a.role}\t{a.office_id or '-'}\t"
            f"{a.status_ja()}\t{totp}\t{last}"
        )
    return 0


def _change(args: argparse.Namespace, change: Any) -> Any:
    app = open_app(args.database, read_only=True)
    try:
        store = app.state.accounts
        try:
            aid = account_id(args.login_id)
        except AccountProblem as exc:
            raise CommandError(exc.message) from None
        if store.get(aid) is None:
            raise CommandError("このログインIDのアカウントはありません")
        try:
            return change(store, aid)
        except AccountProblem as exc:
            raise CommandError(exc.message) from None
    finally:
        close_app(app)


def _disable(args: argparse.Namespace) -> int:
    _change(args, lambda store, aid: store.disable(aid, _by(args), args.reason.strip()))
    say("停止しました。開いている画面は次の操作で終わり、このアカウントのトークンも使えません")
    return 0


def _enable(args: argparse.Namespace) -> int:
    _change(args, lambda store, aid: store.enable(aid, _by(args)))
    say("停止を解除しました")
    return 0


def _reset(args: argparse.Namespace) -> int:
    code = _change(args, lambda store, aid: store.reset(aid, _by(args)))
    say("新しい設定コードを発行しました(一度だけ表示します)。これまでのパスワードは使えません")
    print(code)
    return 0


def _role(args: argparse.Namespace) -> int:
    account = _change(
        args, lambda store, aid: store.change_role(aid, args.role, args.office, _by(args))
    )
    say(f"役割を {account.role}、事業所を {account.office_id or '-'} にしました")
    return 0
