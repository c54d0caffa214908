"""The office's 体制 as a reader needs it: the facts as known at ``as_of``, and the
notified 就労定着率 tier beside the one the records compute (RATE ⚠), with a warning
when they differ. Pure: the facts (:func:`domain.office.office_facts`), the retention
reports (:func:`projections.views.office.retention`) and the fee schedule are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from domain.office import OfficeFacts
from domain.rules.fee import base_fee_entry
from domain.rules.schedule import FeeSchedule
from projections.views.office import Retention


def tier_of_percent_key(key: str) -> int:
    """The lower bound (%) of a base-fee key ``base_fee.<band>.<lower>``."""
    return int(key.rsplit(".", 1)[1])


def tier_checks(
    facts: OfficeFacts, reports: Mapping[int, Retention], schedule: FeeSchedule
) -> list[dict[str, Any]]:
    """For each fiscal year: the tier notified and the tier the records compute (RATE ⚠)."""
    out = []
    for year in sorted(reports, reverse=True):
        report = reports[year].as_json()
        notified = facts.tier(year)
        version = schedule.in_force(date(year, 4, 1))
        band_fact = facts.band(year)
        band = "any"
        if version is not None and version.banded():
            band = str(band_fact.payload["band"]) if band_fact else "upto20"
        computed = None
        if report["denominator"] and version is not None:
            entry = base_fee_entry(Fraction(report["numerator"], report["denominator"]),
                                   version, band)  # fmt: skip
            computed = tier_of_percent_key(entry.key) if entry else None
        differs = notified is not None and computed is not None and (
            int(notified.payload["tier_percent"]) != computed
        )
        out.append({
            "fiscal_year": year,
            "notified_tier_percent": notified.payload["tier_percent"] if notified else None,
            "notified_events": list(notified.events) if notified else [],
            "computed_tier_percent": computed,
            "computed_percent": report["percent"],
            "numerator": report["numerator"], "denominator": report["denominator"],
            "schedule_version": version.name if version else None,
            "band": band,
            "rule": "RATE",
            "warning": differs,
            "warning_ja": (
                f"届け出た区分({notified.payload['tier_percent']}%以上)と記録から計算した区分"
                f"({computed}%以上)が違います。体制届か記録を確認してください"
                if differs and notified else None
            ),
        })  # fmt: skip
    return out


def setup_answer(
    facts: OfficeFacts, reports: Mapping[int, Retention], schedule: FeeSchedule
) -> dict[str, Any]:
    """``GET /offices/{id}/setup``: the facts and the tier checks."""
    return {**facts.as_json(), "registered": facts.registration is not None,
            "tier_checks": tier_checks(facts, reports, schedule)}  # fmt: skip
