"""Rule FEE of spec/fees.md: what a month earns.

The values live in the fee schedule (rule VER, :mod:`domain.rules.schedule`): one TOML file
per revision under ``domain/rules/schedules/``. This module only chooses among them:
FEE-1's base fee by the tier the office's 就労定着率 (rule RATE) selects, in the version in
force for the service month. The units of a person's month are
:mod:`projections.claim`'s.
"""

from __future__ import annotations

from fractions import Fraction

from domain.rules.schedule import Entry, Version, builtin

#: The rules of fees.md, as the claim names them (title, source, ⚠ interpretive).
FEE_RULES: dict[str, tuple[str, str, bool]] = {
    "VER-1": ("サービス提供月の版で判定", "fees.md", False),
    "VER-2": ("版はデータ(1改定1ファイル)", "fees.md", False),
    "VER-3": ("新しい版の影響(同じ月を2つの版で)", "fees.md", False),
    "FEE-1": ("基本報酬(就労定着率の区分、令和6年度前は利用者数規模も)", "報酬告示 第14の2", False),
    "FEE-2": ("初期加算(利用開始月に1回)", "R6 告示", True),
    "FEE-3": ("地域連携会議実施加算(月1回・年4回)", "二次資料", True),
    "FEE-4": ("就労定着実績体制加算", "R6 告示, Q&A VOL.3 問14", False),
    "FEE-5": ("職場適応援助者養成研修修了者配置体制加算", "二次資料", True),
    "FEE-6": ("特別地域加算", "二次資料", True),
    "FEE-7": ("利用者負担上限額管理加算", "二次資料", True),
    "FEE-8": ("福祉・介護職員等処遇改善加算(率、四捨五入)", "二次資料", True),
    "FEE-9": ("減算", "二次資料", True),
    "FEE-10": ("利用者負担(1割、上限月額)", "MHLW パンフレット 2024-04", False),
    "REC-1": ("算定日数: 本人との対面支援の日", "J611 item 45", True),
    "REC-2": ("実績記録票は記録から作り、as_of で再現できる", "fees.md", False),
}


def base_fee_entry(
    rate: Fraction, version: Version | None = None, band: str = "any"
) -> Entry | None:
    """FEE-1: the base fee entry for ``rate`` (tier lower bounds inclusive) in ``version``
    (else the latest built-in one); ``None`` when the version holds no such table."""
    return (version or builtin().latest()).base_fee(rate, band)


def base_fee_units(rate: Fraction, version: Version | None = None) -> int | None:
    """FEE-1: units per month for a retention rate (令和6年度 on: no user band)."""
    entry = base_fee_entry(rate, version)
    return int(entry.value) if entry is not None else None
