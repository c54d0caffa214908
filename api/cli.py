"""The ``teichaku`` command line: run the API, create bearer tokens, load the demo office.

Every subcommand opens the store the way the API does (``create_app(Settings(...))``),
so a token created here, or a demo loaded here, is the one the server reads, with the
same cipher and database settings. Messages for people are Japanese, with English
where it helps; nothing personal is ever printed.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from api import cli_person, cli_tokens, cli_trust, cli_views
from api.cli_common import CommandError, close_app, database_option, masked
from api.cli_common import open_app as open_app  # importable from here, as before

ROLES = ("staff", "auditor", "admin")


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

    serve = commands.add_parser("serve", help="HTTP API を起動する (run the HTTP API)")
    serve.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="待ち受けるポート (default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1,
        help="サーバープロセスの数。CPU コア数が目安 (processes; default 1, e.g. one per core)",
    )  # fmt: skip
    _database_option(serve)
    serve.set_defaults(handler=_serve)

    token = commands.add_parser("token", help="アクセストークンの管理 (bearer tokens)")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_commands.add_parser(
        "create", help="トークンを発行し1行で表示する (print one new bearer token)"
    )
    create.add_argument("--role", required=True, choices=ROLES, help="staff | auditor | admin")
    create.add_argument("--name", required=True, help="利用者名(記録者名として残ります)")
    create.add_argument("--office", help="事業所番号10桁 (staff では必須)")
    _database_option(create)
    create.set_defaults(handler=lambda args: _token_create(args, create))
    cli_tokens.register(token_commands, create)  # --expires-in, list, revoke (issue 12)

    demo = commands.add_parser("demo", help="デモ事業所を読み込む (load the demo office)")
    demo.add_argument(
        "--if-empty", action="store_true", help="ケースが既にあれば何もしない (skip when loaded)"
    )
    demo.add_argument(
        "--tokens-file",
        type=Path,
        help="デモ用トークンを書き出すファイル (e.g. var/demo-tokens.txt)",
    )
    _database_option(demo)
    demo.set_defaults(handler=_demo)

    cli_trust.register(commands)  # verify, export (issue 4)
    cli_views.register(commands)  # projections rebuild, status (issue 9)
    cli_person.register(commands)  # person erase (issue 12)
    return parser


# Shared with the other command modules (api.cli_common: no import cycle between them).
_database_option = database_option
_close = close_app


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["TEICHAKU_FOLLOW_VIEWS"] = "1"  # each server process keeps the views current
    if args.workers < 1:
        _say("--workers は 1 以上を指定してください / --workers must be at least 1")
        return 2
    app = open_app(args.database)
    url = app.state.settings.url
    _say(f"teichaku: http://{args.host}:{args.port}/ で待ち受けます (database: {masked(url)})")
    _say("API の説明 (OpenAPI): /docs  — 停止は Ctrl+C")
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port)
        return 0
    # Several processes (one GIL each): each builds its own app from the environment, so
    # they share the database and the secret that signs the web forms, and nothing else.
    _close(app)
    os.environ["TEICHAKU_DATABASE"] = url
    os.environ.setdefault("TEICHAKU_WEB_SECRET", secrets.token_hex(32))
    _say(f"{args.workers} 個のプロセスで待ち受けます (workers)")
    uvicorn.run(
        "api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers
    )
    return 0


def _token_create(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
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
        _close(app)
    print(token)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from api.demo import create_demo_tokens, load_demo, tokens_file_text

    app = open_app(args.database)
    cases = app.state.cases
    try:
        if args.if_empty and cases.case_ids():
            _say(
                "デモ事業所は読み込み済みのため、何もしません (cases exist: demo not loaded again)"
            )
            if args.tokens_file is not None and not args.tokens_file.exists():
                _write_tokens(args.tokens_file, tokens_file_text(create_demo_tokens(cases)))
            return 0
        summary = load_demo(cases)
        app.state.views.catch_up()  # the lists and the dashboard read the stored views
    finally:
        _close(app)
    _say(
        f"デモ事業所を読み込みました: ケース {len(summary.cases)} 件、記録 {summary.events} 件 "
        f"(事業所 {summary.office_id} / {summary.other_office_id}、基準日 {summary.today})"
    )
    text = tokens_file_text(summary.tokens)
    if args.tokens_file is not None:
        _write_tokens(args.tokens_file, text)
    else:
        print(text, end="")
    return 0


def _write_tokens(path: Path, text: str) -> None:
    """Write the demo tokens readable by the owner only (they are credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    _say(f"デモ用トークンを {path} に書き出しました")


def _say(message: str) -> None:
    print(message, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
