"""``teichaku serve``: the HTTP API and the staff's pages, in one process or several."""

from __future__ import annotations

import argparse
import os
import secrets
from typing import Any

from api.cli.common import close_app, database_option, masked, open_app, say


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="HTTP API を起動する (run the HTTP API)")
    serve.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="待ち受けるポート (default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1,
        help="サーバープロセスの数。CPU コア数が目安 (processes; default 1, e.g. one per core)",
    )  # fmt: skip
    database_option(serve)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["TEICHAKU_FOLLOW_VIEWS"] = "1"  # each server process keeps the views current
    if args.workers < 1:
        say("--workers は 1 以上を指定してください / --workers must be at least 1")
        return 2
    app = open_app(args.database)
    url = app.state.settings.url
    say(f"teichaku: http://{args.host}:{args.port}/ で待ち受けます (database: {masked(url)})")
    say("API の説明 (OpenAPI): /docs  — 停止は Ctrl+C")
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port)
        return 0
    # Several processes (one GIL each): each builds its own app from the environment, so
    # they share the database and the secret that signs the web forms, and nothing else.
    close_app(app)
    os.environ["TEICHAKU_DATABASE"] = url
    os.environ.setdefault("TEICHAKU_WEB_SECRET", secrets.token_hex(32))
    say(f"{args.workers} 個のプロセスで待ち受けます (workers)")
    uvicorn.run(
        "api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers
    )
    return 0
