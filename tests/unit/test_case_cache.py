"""The aggregate cache is bounded by the bytes its cases hold, not their count (decision 0051)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from domain.store.cache import BASE_BYTES, BYTES_PER_EVENT, CaseCache, case_cache, estimate


def _case(events: int) -> Any:
    return SimpleNamespace(_records=[{}] * events)


def test_big_cases_push_out_the_least_recently_used_until_the_budget_holds() -> None:
    cache = CaseCache(max_bytes=estimate(_case(1000)) * 3)
    for key in "abc":
        cache.put(key, _case(1000))
    cache.get("a")  # a is now the most recently used
    cache.put("d", _case(1000))  # over budget: b, the least recently used, goes
    assert sorted(cache._items) == ["a", "c", "d"]
    with pytest.raises(KeyError):
        cache.get("b")
    assert cache.total == 3 * estimate(_case(1000)) <= cache.max_bytes


def test_many_small_cases_fit_where_few_big_ones_do() -> None:
    budget = estimate(_case(400)) * 4
    cache = CaseCache(max_bytes=budget)
    for n in range(40):
        cache.put(n, _case(20))
    assert len(cache) == 40  # forty small cases fit in the room of four of 400 events
    cache.put("big", _case(400 * 4))  # one case as big as the budget: the others go
    assert list(cache._items) == ["big"]


def test_a_case_that_grew_is_measured_again_when_read() -> None:
    cache = CaseCache(max_bytes=estimate(_case(100)) * 2)
    grown = _case(100)
    cache.put("old", _case(100))
    cache.put("grown", grown)
    grown._records.extend([{}] * 100)  # fast-forwarded in place
    cache.get("grown")
    assert "old" not in cache._items and cache.total == estimate(grown)


def test_the_count_still_bounds_and_evict_removes() -> None:
    cache = CaseCache(max_bytes=10**12, max_items=2)
    for key in "abc":
        cache.put(key, _case(1))
    assert sorted(cache._items) == ["b", "c"]
    cache.get("b", evict=True)
    assert list(cache._items) == ["c"] and cache.total == estimate(_case(1))


def test_the_budget_comes_from_the_setting() -> None:
    assert case_cache({"TEICHAKU_CASE_CACHE_MB": "64"}, 256).max_bytes == 64 * 1024 * 1024
    assert case_cache({}, 256).max_bytes == 128 * 1024 * 1024
    assert estimate(_case(10)) == BASE_BYTES + 10 * BYTES_PER_EVENT
