"""``teichaku serve``: the HTTP API and the staff's pages, in one process or several.

The server's own protections (issue 23, docs/hardening.md): ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are believed only from the addresses given to
``--forwarded-allow-ips`` (by default from none, so the sign-in limit counts the real
peer); an idle keep-alive connection is closed after :data:`KEEP_ALIVE_SECONDS`; request
headers still incomplete past :data:`MAX_HEADER_BYTES` are refused. A slow client (headers
or a body trickling in) is not timed out here: that needs a reverse proxy.
"""

from __future__ import annotations

import argparse
import os
import secrets
from typing import Any

from api.cli.common import close_app, database_option, masked, open_app, say

#: Seconds an idle keep-alive connection stays open after an answer (uvicorn's default,
#: set here so an upgrade cannot change it unseen): pages load their few files within it.
KEEP_ALIVE_SECONDS = 5
#: Bytes h11 buffers of a request line and headers not yet complete before refusing the
#: request (400): far above ours (a session cookie, a token, an Idempotency-Key of 200).
#: It bounds memory per connection; headers arriving whole in one read (up to 64 KiB)
#: pass, so a hard limit on their size is the reverse proxy's (docs/hardening.md).
MAX_HEADER_BYTES = 16 * 1024


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="HTTP API を起動する (run the HTTP API)")
    serve.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="待ち受けるポート (default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1,
        help="サーバープロセスの数。CPU コア数が目安 (processes; default 1, e.g. one per core)",
    )  # fmt: skip
    serve.add_argument(
        "--forwarded-allow-ips", metavar="IPS", default="",
        help="X-Forwarded-For / X-Forwarded-Proto を信じるプロキシのアドレス(カンマ区切り、"
        "CIDR 可)。既定はなし (trusted reverse proxies; default: none)",
    )  # fmt: skip
    serve.add_argument(
        "--fee-schedule", metavar="DIR", default=None,
        help="事業所が追加・訂正する報酬の版(TOML)のフォルダ (fee-schedule files; "
        "else $TEICHAKU_FEE_SCHEDULE; docs/claim.md)",
    )  # fmt: skip
    database_option(serve)
    serve.set_defaults(handler=_serve)


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's settings for ``teichaku serve`` (also for each worker process)."""
    trusted = args.forwarded_allow_ips.strip()
    return {
        "host": args.host,
        "port": args.port,
        # Proxy headers only from the configured proxies: uvicorn would otherwise believe
        # them from 127.0.0.1, and anyone on the machine could pose as any address.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
        "http": "h11",  # the implementation MAX_HEADER_BYTES applies to
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["TEICHAKU_FOLLOW_VIEWS"] = "1"  # each server process keeps the views current
    if getattr(args, "fee_schedule", None):
        os.environ["TEICHAKU_FEE_SCHEDULE"] = args.fee_schedule  # read by every process
    if args.workers < 1:
        say("--workers は 1 以上を指定してください / --workers must be at least 1")
        return 2
    app = open_app(args.database)
    url = app.state.settings.url
    say(f"teichaku: http://{args.host}:{args.port}/ で待ち受けます (database: {masked(url)})")
    say("API の説明 (OpenAPI): /docs  — 停止は Ctrl+C")
    if args.workers == 1:
        uvicorn.run(app, **server_options(args))
        return 0
    # Several processes (one GIL each): each builds its own app from the environment, so
    # they share the database and the secret that signs the web forms, and nothing else.
    close_app(app)
    os.environ["TEICHAKU_DATABASE"] = url
    os.environ.setdefault("TEICHAKU_WEB_SECRET", secrets.token_hex(32))
    say(f"{args.workers} 個のプロセスで待ち受けます (workers)")
    uvicorn.run("api.app:create_app", factory=True, workers=args.workers, **server_options(args))
    return 0
