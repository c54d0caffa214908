"""The rulebook's catalogue: every rule id of spec/rules.md and spec/fees.md with its source.

Derived dates and verdicts name a rule from here; :data:`RULES` is what the API and
the pages use to print the rule's title, source, and whether it rests on an
interpretation (⚠), so a reader knows where judgement entered.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.rules.fee import FEE_RULES


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: its id, a short Japanese title, its source, and whether it is ⚠."""

    id: str
    title_ja: str
    source: str
    interpretive: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem a rule found: the rule id, a short code, and a Japanese sentence."""

    rule: str
    code: str
    text_ja: str


_CATALOGUE = [
    Rule("CAL-1", "初日算入(午前零時から始まる期間)", "民法140条ただし書"),
    Rule("CAL-2", "月で定めた期間の満了日(応当日の前日/末日)", "民法143条2項"),
    Rule("CAL-3", "期間満了の翌日", "民法143条"),
    Rule("ELIG-1", "対象者:就労移行支援等を経て通常の事業所に新たに雇用", "S002, S001, 留意R6"),
    Rule("ELIG-2", "起算日:就職日(在職中の一時利用はその終了の翌日)", "留意R6"),
    Rule("ELIG-3", "就職後6月経過の翌日から対象", "S002, S004"),
    Rule("ELIG-4", "就労継続期間3年6月未満まで", "S002"),
    Rule("ELIG-5", "定着率のための利用者選別の禁止", "S002"),
    Rule("PER-1", "支給決定は1年ごと・最長3年", "S001, S002"),
    Rule("PER-2", "利用開始が遅れても終期は3年6月の満了日", "S002"),
    Rule("PER-3", "支給決定の期間の問題(対象期間外・1年超)", "S002, 民法143条"),
    Rule("PER-4", "更新期限の30日前警告(製品上の選択)", "製品の判断", interpretive=True),
    Rule("PER-5", "期間終了後の自主的支援(請求対象外)", "S002"),
    Rule("JOB-1", "退職により契約終了", "S001"),
    Rule(
        "JOB-2", "離職後1か月以内の転職は継続とみなす(1回限り)", "QA H30, S001", interpretive=True
    ),
    Rule("JOB-3", "転職猶予期間と期限", "QA H30", interpretive=True),
    Rule("JOB-4", "2回目の転職で支援対象終了", "QA H30"),
    Rule("JOB-5", "離職後の相談支援等との連絡調整", "QA H30"),
    Rule("JOB-6", "同一事業主内の変化(期間は変わらない)", "S003"),
    Rule("MON-1", "毎月1回以上の対面支援", "S002", interpretive=True),
    Rule("MON-2", "対面支援のない月は請求できない", "S002"),
    Rule("MON-3", "事業主への月1回以上の訪問(努力義務)", "S002"),
    Rule("MON-4", "支援レポートの毎月の共有", "令和3年度報酬改定", interpretive=True),
    Rule("PLAN-1", "就労定着支援計画の作成・同意・交付", "基準, S004"),
    Rule("PLAN-2", "3か月に1回以上の計画の見直し", "S002"),
    Rule("CON-1", "情報提供前の書面による同意", "S000, S003"),
    Rule("CON-2", "撤回後・対象外の相手・対象外の情報の共有は違反", "S000"),
    Rule("CON-3", "事後の同意では治癒しない", "S000"),
    Rule(
        "EVID-1",
        "定着の証明(在職証明書、困難なら給与明細・保険証の写し)。支援各年の末日までに、"
        "開始3か月前以降の日の分を。60日前から表示(製品上の選択)",
        "QA H30, 製品の判断",
        interpretive=True,
    ),
    Rule("END-1", "終了時の障害者就業・生活支援センター等への引継ぎ", "S002"),
    Rule(
        "END-2", "終了3か月前からの情報共有(支援体制構築)", "令和6年度報酬改定", interpretive=True
    ),
    Rule("RATE", "就労定着率と基本報酬の区分", "令和6年度報酬改定", interpretive=True),
    # spec/fees.md (issue 22): the claim's rules, titled where the claim names them.
    *(Rule(rule_id, title, source, interpretive)
      for rule_id, (title, source, interpretive) in FEE_RULES.items()),
]  # fmt: skip

RULES: dict[str, Rule] = {rule.id: rule for rule in _CATALOGUE}


def rule(rule_id: str) -> Rule:
    """The rule with this id; a KeyError names an id the rulebook does not have."""
    return RULES[rule_id]
