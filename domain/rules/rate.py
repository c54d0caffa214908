"""Rule RATE ⚠: the office's 就労定着率, and the base-fee tier it selects.

The tier's units are FEE-1's, read from the fee schedule in force (rule VER,
:mod:`domain.rules.schedule`); this module holds no table of units.

就労定着率 = persons still employed at the end of the previous fiscal year ÷ all users
of 就労定着支援 over the past three fiscal years. Tier lower bounds are inclusive.
Interpretive: the rulebook marks this ⚠, and tiers change with each 報酬改定.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from domain.rules.fee import base_fee_entry
from domain.rules.schedule import Entry, Version


@dataclass(frozen=True, slots=True)
class RetentionRate:
    """The rate as an exact fraction (no rounding near a tier boundary) and its tier."""

    retained: int
    users: int
    rate: Fraction
    #: FEE-1's units of the tier (``None``: the version has no table without a user band).
    units_per_month: int | None
    #: The schedule value behind ``units_per_month`` (version, file, certainty).
    base_fee: Entry | None = None

    @property
    def percent(self) -> float:
        return float(self.rate * 100)


def retention_rate(retained: int, users: int, version: Version | None = None) -> RetentionRate:
    """RATE: the retention rate of an office and the base fee it earns (units per month)
    under ``version`` (else the latest built-in version of the fee schedule)."""
    if users <= 0:
        raise ValueError("利用者数が0のため就労定着率を計算できません")
    if not 0 <= retained <= users:
        raise ValueError("定着者数は0以上かつ利用者数以下である必要があります")
    rate = Fraction(retained, users)
    entry = base_fee_entry(rate, version)
    units = int(entry.value) if entry is not None else None
    return RetentionRate(retained, users, rate, units, entry)
