"""Rule FEE of spec/fees.md: what a month earns.

FEE-1: the base fee (就労定着支援サービス費) by the tier the office's 就労定着率 (rule RATE)
selects. Only the 令和6年度 table (施行 2024-04-01, ✔ 報酬告示 第14の2 1) is held today,
as before; a schedule versioned by 施行日 (rule VER) is issue 22's work.
"""

from __future__ import annotations

from fractions import Fraction

# Source: 令和6年度報酬改定(就労定着率区分), 報酬告示 第14の2 1 ✔.
#: FEE-1: (lower bound inclusive, units per month), highest first.
BASE_FEE_TIERS_R6: tuple[tuple[Fraction, int], ...] = (
    (Fraction(95, 100), 3512),
    (Fraction(90, 100), 3348),
    (Fraction(80, 100), 2768),
    (Fraction(70, 100), 2234),
    (Fraction(50, 100), 1690),
    (Fraction(30, 100), 1433),
    (Fraction(0), 1074),
)


def base_fee_units(rate: Fraction) -> int:
    """FEE-1 (令和6年度): units per month for a retention rate (tier bounds inclusive)."""
    return next(units for bound, units in BASE_FEE_TIERS_R6 if rate >= bound)
