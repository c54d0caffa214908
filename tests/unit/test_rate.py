"""RATE: the retention rate selects the base-fee tier; lower bounds are inclusive."""

from __future__ import annotations

import pytest

from domain.rules.rate import retention_rate


@pytest.mark.parametrize(
    ("retained", "users", "units"),
    [
        (19, 20, 3512),  # exactly 95% → top tier (inclusive lower bound)
        (189, 200, 3348),  # 94.5%
        (9, 10, 3348),  # exactly 90%
        (8, 10, 2768),
        (7, 10, 2234),
        (1, 2, 1690),
        (3, 10, 1433),
        (29, 100, 1074),
        (0, 5, 1074),
    ],
)
def test_rate_selects_the_tier_whose_lower_bound_it_reaches(
    retained: int, users: int, units: int
) -> None:
    assert retention_rate(retained, users).units_per_month == units


def test_rate_just_below_a_bound_stays_in_the_lower_tier() -> None:
    # 949/1000 = 94.9%: float rounding must not lift it into the 95% tier.
    assert retention_rate(949, 1000).units_per_month == 3348


def test_rate_without_users_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="利用者数"):
        retention_rate(0, 0)
