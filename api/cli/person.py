"""``teichaku person erase``: erase one person's personal data (crypto-shredding).

Records ``person_erased`` on the case, then destroys the case's person key
(:meth:`domain.store.application.CaseLog.erase_person`). Afterwards every read shows the name,
kana, 受給者証番号 and free texts as 〔消去済み〕, while dates, rule results and the hash
chain still verify. It cannot be undone: at a terminal it asks to be confirmed; without
a terminal (piped input, a script) it refuses unless ``--yes`` is given. Nothing
personal is printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any
from uuid import UUID

from api.cli.common import CommandError, close_app, database_option, open_app


def register(commands: Any) -> None:
    person = commands.add_parser("person", help="本人の個人情報 (personal data of a person)")
    actions = person.add_subparsers(dest="person_command", metavar="ACTION", required=True)
    erase = actions.add_parser(
        "erase",
        help="個人情報を暗号消去する。元に戻せません (crypto-shred a person's personal data)",
        description=(
            "ケースの氏名・フリガナ・受給者証番号・自由記述を、本人の鍵を破棄して読めなくします。"
            "日付・ルールの判定・ハッシュ連鎖はそのまま検証できます。元に戻せません。"
        ),
    )
    erase.add_argument("--case", required=True, type=_case_id, metavar="ID", help="ケースID")
    erase.add_argument(
        "--reason", required=True,
        help="消去の根拠(記録に残ります。個人情報は書かないでください)。例: 本人からの削除請求",
    )  # fmt: skip
    erase.add_argument("--by", help="記録者名 (default: このコマンドを実行した利用者)")
    erase.add_argument("--yes", action="store_true", help="確認せずに実行する (no prompt)")
    database_option(erase)
    erase.set_defaults(handler=_erase)


def _case_id(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: ケースIDの形式ではありません") from None


def _erase(args: argparse.Namespace) -> int:
    from domain.case import CaseRuleViolation
    from domain.payloads import InvalidPayload
    from domain.store.application import AlreadyErased, CaseNotFound, NotErasable

    reason = args.reason.strip()
    if not reason:
        raise CommandError("--reason が空です(消去の根拠を書いてください)")
    by = (args.by or "").strip() or f"{getpass.getuser()} (teichaku person erase)"
    if not args.yes and not sys.stdin.isatty():  # piped input must not confirm (issue 21)
        raise CommandError(
            "端末(ターミナル)から実行していないため、確認できません。消去してよいことを確かめたうえで"
            " --yes を付けて実行してください (not a terminal: add --yes to erase)"
        )
    if not args.yes:
        answer = input(
            f"ケース {args.case} の個人情報を消去します。元に戻せません。"
            "続けるにはケースIDの先頭8文字を入力してください: "
        )
        if answer.strip() != str(args.case)[:8]:
            print("中止しました (cancelled)", file=sys.stderr)
            return 1
    app = open_app(args.database, read_only=True)
    try:
        cases = app.state.cases
        try:
            done = cases.erase_person(args.case, reason=reason, recorded_by=by)
        except CaseNotFound:
            raise CommandError(f"ケースが見つかりません: {args.case}") from None
        except AlreadyErased:
            raise CommandError(f"ケース {args.case} の個人情報は既に消去されています") from None
        except NotErasable as exc:
            hint = "README「Erasure」を参照してください"
            raise CommandError(f"ケース {args.case}: {exc}。{hint}") from None
        except (InvalidPayload, CaseRuleViolation) as exc:
            raise CommandError(f"消去できません: {exc}") from None
        views = getattr(app.state, "views", None)
        if views is not None:
            views.catch_up()  # lists and dashboards show the erasure at once
    finally:
        close_app(app)
    if done.recorded is None:
        print(f"ケース {args.case}: 前回の消去を完了しました(鍵を破棄)")
        return 0
    key = "鍵を破棄しました" if done.key_destroyed else "このケースには鍵がありませんでした"
    version = done.recorded.version
    print(f"ケース {args.case}: 個人情報を消去しました(第{version}版 person_erased、{key})")
    return 0
