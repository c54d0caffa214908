"""Rule RATE ⚠: the office's 就労定着率 and the base-fee tier it selects (令和6年度).

就労定着率 = persons still employed at the end of the previous fiscal year ÷ all users
of 就労定着支援 over the past three fiscal years. Tier lower bounds are inclusive.
Interpretive: the rulebook marks this ⚠, and tiers change with each 報酬改定.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

# Source: 令和6年度報酬改定(就労定着率区分).
#: (lower bound inclusive, units per month), highest first.
BASE_FEE_TIERS_R6: tuple[tuple[Fraction, int], ...] = (
    (Fraction(95, 100), 3512),
    (Fraction(90, 100), 3348),
    (Fraction(80, 100), 2768),
    (Fraction(70, 100), 2234),
    (Fraction(50, 100), 1690),
    (Fraction(30, 100), 1433),
    (Fraction(0), 1074),
)


@dataclass(frozen=True, slots=True)
class RetentionRate:
    """The rate as an exact fraction (no rounding near a tier boundary) and its tier."""

    retained: int
    users: int
    rate: Fraction
    units_per_month: int

    @property
    def percent(self) -> float:
        return float(self.rate * 100)


def retention_rate(retained: int, users: int) -> RetentionRate:
    """RATE: the retention rate of an office and the base fee it earns (units per month)."""
    if users <= 0:
        raise ValueError("利用者数が0のため就労定着率を計算できません")
    if not 0 <= retained <= users:
        raise ValueError("定着者数は0以上かつ利用者数以下である必要があります")
    rate = Fraction(retained, users)
    units = next(u for bound, u in BASE_FEE_TIERS_R6 if rate >= bound)
    return RetentionRate(retained, users, rate, units)
