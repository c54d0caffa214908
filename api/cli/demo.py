"""``teichaku demo``: load the demo office (fictitious people) and write its tokens and
its accounts' login ids and passwords (issue 21)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from api.cli.common import close_app, database_option, open_app, say


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="デモ事業所を読み込む (load the demo office)")
    demo.add_argument(
        "--if-empty", action="store_true", help="ケースが既にあれば何もしない (skip when loaded)"
    )
    demo.add_argument(
        "--tokens-file",
        type=Path,
        help="デモ用トークンを書き出すファイル (e.g. var/demo-tokens.txt)",
    )
    database_option(demo)
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from api.demo.load import create_demo_accounts, create_demo_tokens, load_demo, tokens_file_text

    app = open_app(args.database)
    cases = app.state.cases
    try:
        if args.if_empty and cases.case_ids():
            say(
                "デモ事業所は読み込み済みのため、何もしません (cases exist: demo not loaded again)"
            )
            if args.tokens_file is not None and not args.tokens_file.exists():
                text = tokens_file_text(create_demo_tokens(cases), create_demo_accounts(cases))
                _write_tokens(args.tokens_file, text)
            return 0
        summary = load_demo(cases)
        app.state.views.catch_up()  # the lists and the dashboard read the stored views
    finally:
        close_app(app)
    say(
        f"デモ事業所を読み込みました: ケース {len(summary.cases)} 件、記録 {summary.events} 件 "
        f"(事業所 {summary.office_id} / {summary.other_office_id}、基準日 {summary.today})"
    )
    text = tokens_file_text(summary.tokens, summary.accounts)
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
    say(f"デモ用トークンを {path} に書き出しました")
