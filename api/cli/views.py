"""``teichaku projections rebuild|status``: the stored views, rebuilt and watched.

``rebuild`` folds every case again into a new generation of the views beside the live
one, in ``--workers`` processes, with a progress bar (events/s, time left), and switches
to it when done; killed midway, the same command resumes where it stopped. ``status``
shows each view's position against the head of the event log.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.cli.common import database_option, open_app
from api.settings import Settings


def register(commands: Any) -> None:
    views = commands.add_parser("projections", help="集計ビューの再構築・状態 (stored views)")
    actions = views.add_subparsers(dest="projections_command", metavar="ACTION", required=True)
    rebuild = actions.add_parser(
        "rebuild", help="イベントからビューを作り直す (rebuild the views from the event log)"
    )
    rebuild.add_argument(
        "--workers", type=int, default=1, help="並列に処理するプロセス数 (default 1)"
    )
    rebuild.add_argument(
        "--throttle-ms", type=int, default=0,
        help="20件ごとに休む時間(ミリ秒)。稼働中のサーバーへの負荷を抑える (default 0)",
    )  # fmt: skip
    database_option(rebuild)
    rebuild.set_defaults(handler=_rebuild)
    status = actions.add_parser("status", help="ビューの反映位置と遅れを表示する (view lag)")
    database_option(status)
    status.set_defaults(handler=_status)


def _rebuild(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from projections.views.rebuild import rebuild

    if args.workers < 1:
        print("--workers は 1 以上にしてください / --workers must be at least 1", file=sys.stderr)
        return 2
    settings = Settings(database_url=args.database)
    _prepare(settings)
    bar = tqdm(unit="ev", unit_scale=True, file=sys.stderr, desc="ビュー再構築", dynamic_ncols=True)

    def started(gen: int, total: int, done: int, events: int) -> None:
        bar.total = events  # the cases still to fold, in events: gives the time left
        bar.refresh()
        if done:
            print(f"再開します: {total} 件中 {done} 件は作成済み (resuming)", file=sys.stderr)
        bar.set_description(f"ビュー再構築 g{gen}")

    def progress(events: int, count: int) -> None:
        bar.update(events)

    try:
        report = rebuild(
            settings.persistence_env(), args.workers, progress, args.throttle_ms, started
        )
    finally:
        bar.close()
    print(
        f"ビューを再構築しました: 世代 {report.generation}、ケース {report.cases} 件"
        f"(うち再開前に作成済み {report.resumed} 件)、{report.events} 件の記録を "
        f"{report.seconds:.1f} 秒 ({report.rate:,.0f} events/s)",
        file=sys.stderr,
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    app = open_app(args.database, read_only=True)
    try:
        lag = app.state.views.lag()
        count = app.state.views.store.count(lag.generation)
    finally:
        app.state.cases.close()
    state = "最新" if lag.behind == 0 else f"{lag.behind} 件遅れ"
    print(
        f"case_view g{lag.generation}: 位置 {lag.position} / ログの先頭 {lag.head}"
        f"({state})、ケース {count} 件"
    )
    return 0


def _prepare(settings: Settings) -> None:
    """Create the store's folder or schema as the server would (before worker processes)."""
    from api.app import open_cases

    open_cases(settings).close()
