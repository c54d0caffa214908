"""``teichaku verify`` and ``teichaku export``: check stored chains, write and check bundles.

``verify`` reads the stored rows themselves (never snapshots) and prints, per case, OK or
each break with its version and problem; it exits 1 when anything is broken.
``verify --bundle FILE`` checks an exported bundle with no database at all. Only case
ids, versions and hashes are printed: never names or other personal data.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from api.cli.common import close_app, database_option, open_app, say
from domain.history import tokyo_date
from domain.store.application import CaseLog, CaseNotFound


def register(commands: Any) -> None:
    """Add ``verify`` and ``export`` to the ``teichaku`` command line."""
    verify = commands.add_parser(
        "verify", help="ハッシュ連鎖・バンドルを検証する (verify stored chains or a bundle)"
    )
    verify.add_argument("--case", type=UUID, help="このケースだけを検証 (default: all cases)")
    verify.add_argument(
        "--bundle", type=Path, help="書き出したバンドルをデータベースなしで検証 (offline)"
    )
    database_option(verify)
    verify.set_defaults(handler=_verify)

    export = commands.add_parser("export", help="ケースをバンドルに書き出す (export a case)")
    export.add_argument("--case", type=UUID, required=True, help="ケースID")
    export.add_argument("--out", type=Path, help="書き出すファイル (default: 標準出力)")
    export.add_argument("--by", default="teichaku export", help="書き出した人 (exported_by)")
    database_option(export)
    export.set_defaults(handler=_export)


def _verify(args: argparse.Namespace) -> int:
    if args.bundle is not None:
        return _verify_bundle(args.bundle)
    app = open_app(args.database, read_only=True)
    try:
        cases: CaseLog = app.state.cases
        ids = [args.case] if args.case else cases.stored_case_ids()
        broken = sum(not _verify_case(cases, case_id) for case_id in ids)
        # The access log's chains (decision 0052): the case's own, or every stream; and
        # every office's 体制 (issue 22), which shares the case chain's design.
        streams = [str(args.case)] if args.case else cases.access.streams()
        broken_logs = sum(not _verify_stream(cases, s) for s in streams)
        offices = [] if args.case else cases.stored_office_ids()
        broken_offices = sum(not _verify_office(cases, o) for o in offices)
    finally:
        close_app(app)
    say(f"{len(ids)} 件中 {broken} 件に問題があります" if broken else f"{len(ids)} 件すべて OK")
    say(f"閲覧記録 {len(streams)} 系列中 {broken_logs} 系列に問題があります" if broken_logs
        else f"閲覧記録 {len(streams)} 系列すべて OK")  # fmt: skip
    if offices:
        say(f"事業所の体制 {len(offices)} 件中 {broken_offices} 件に問題があります"
            if broken_offices else f"事業所の体制 {len(offices)} 件すべて OK")  # fmt: skip
    return 1 if broken or broken_logs or broken_offices else 0


def _verify_stream(cases: CaseLog, stream: str) -> bool:
    """One access-log stream's chain: OK, or each entry where it does not hold."""
    breaks = cases.access.verify(stream)
    for b in breaks:
        print(f"access-log {stream} NG entry {b.seq} {b.problem}")
    return not breaks


def _verify_office(cases: CaseLog, aggregate_id: UUID) -> bool:
    """One office's 体制 chain, read from the stored events (no snapshot is taken of it)."""
    from domain.office import Office

    office: object = cases.repository.get(aggregate_id)
    assert isinstance(office, Office)
    broken = office.chain_breaks()
    if not broken:
        print(f"office {office.office_id} OK ({len(office.records)} events)")
        return True
    for version in broken:
        print(f"office {office.office_id} NG version {version}: "
              "記録時のハッシュと一致しないか、前の記録につながっていません")  # fmt: skip
    return False


def _verify_case(cases: CaseLog, case_id: UUID) -> bool:
    from projections.audit import verify_chain

    try:
        records = cases.stored_records(case_id)
    except CaseNotFound:
        print(f"{case_id} NG: 記録が1件もありません (no stored events)")
        return False
    report = verify_chain(records)
    if report.verified:
        print(f"{case_id} OK ({len(records)} events, head {report.head})")
        return True
    for b in report.breaks:
        print(f"{case_id} NG version {b['version']} {b['problem']}: {b['text_ja']}")
    return False


def _verify_bundle(path: Path) -> int:
    from projections.bundle import verify_bundle_bytes

    try:
        raw = path.read_bytes()
    except OSError as exc:
        say(f"ファイルを読めません: {path} ({exc.strerror})")
        return 2
    report = verify_bundle_bytes(raw)
    if report.case_id is None:  # not JSON, or not an object: not a bundle at all
        say(f"バンドルとして読めません: {path}({report.problems[0]['text_ja']})")
        return 2
    if report.ok:
        print(f"{report.case_id} OK bundle {path} (head {report.head})")
        return 0
    name = report.case_id if report.case_id != "None" else str(path)  # no case_id in it
    for p in report.problems:
        print(f"{name} NG {p['location']} {p['problem']}: {p['text_ja']}")
    return 1


def _export(args: argparse.Namespace) -> int:
    from projections.bundle import build_bundle

    app = open_app(args.database, read_only=True)
    try:
        cases: CaseLog = app.state.cases
        try:
            records = cases.stored_records(args.case)
        except CaseNotFound:
            say(f"ケースが見つかりません: {args.case}")
            return 1
        today: date = tokyo_date(cases.clock())
        bundle = build_bundle(
            args.case, records, exported_at=cases.clock(), exported_by=args.by, on=today
        )
    finally:
        close_app(app)
    text = orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"
    if args.out is None:
        sys.stdout.buffer.write(text)
    else:
        args.out.write_bytes(text)
        say(f"{args.case} を {args.out} に書き出しました (head {bundle['head']})")
    return 0

