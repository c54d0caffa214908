"""The aggregate cache bounded by bytes, not by count (issue 24, decision 0051).

The library's cache keeps up to N aggregates whatever their size; a case costs memory in
proportion to its events (about 4 KB each, typed facts and history included, measured by
``tracemalloc``; the projections' answers kept with its history add to that), so 256
cases of 400 events held over 1 GB while 256 small ones hold 50 MB. :class:`CaseCache`
keeps the most recently used aggregates whose estimated size fits in a byte budget
(``TEICHAKU_CASE_CACHE_MB``, default :data:`DEFAULT_MB`), and at most ``max_items`` of them.
A case's estimate grows as it is fast-forwarded: it is taken again at every ``get``.

It offers what the library's :class:`~eventsourcing.application.Repository` asks of a
cache: ``get(key, evict=False)`` raising ``KeyError`` on a miss, and ``put(key, value)``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from eventsourcing.application import Cache

DEFAULT_MB = 128
#: Estimated bytes per recorded event of a cached case (measured ≈ 4,000 for the case and
#: its history; rounded up for the answers kept with the history).
BYTES_PER_EVENT = 6_000
#: Estimated bytes of any cached aggregate besides its events.
BASE_BYTES = 4_000


def estimate(value: Any) -> int:
    """Estimated bytes a cached aggregate holds."""
    records = getattr(value, "_records", None)
    return BASE_BYTES + (len(records) * BYTES_PER_EVENT if isinstance(records, list) else 0)


class CaseCache(Cache[Any, Any]):
    """Least recently used aggregates within ``max_bytes`` (and ``max_items``)."""

    def __init__(self, max_bytes: int, max_items: int | None = None) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._sizes: dict[Any, int] = {}
        self.total = 0
        self._lock = threading.Lock()

    def __bool__(self) -> bool:  # the library asks ``if self.repository.cache``
        return True

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Any, *, evict: bool = False) -> Any:
        with self._lock:
            value = self._items[key]  # KeyError on a miss, as the library expects
            if evict:
                self._forget(key)
                return value
            self._items.move_to_end(key)
            self._resize(key, value)
            self._shrink(keep=key)
            return value

    def put(self, key: Any, value: Any) -> None:
        if value is None:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            self._resize(key, value)
            self._shrink(keep=key)

    def _resize(self, key: Any, value: Any) -> None:
        size = estimate(value)
        self.total += size - self._sizes.get(key, 0)
        self._sizes[key] = size

    def _forget(self, key: Any) -> None:
        self._items.pop(key, None)
        self.total -= self._sizes.pop(key, 0)

    def _shrink(self, keep: Any) -> None:
        """Drop the least recently used until the budget holds (never ``keep``)."""
        while self._items and (
            self.total > self.max_bytes
            or (self.max_items is not None and len(self._items) > self.max_items)
        ):
            oldest = next(iter(self._items))
            if oldest == keep:
                break
            self._forget(oldest)


def case_cache(env: Any, max_items: int | None) -> CaseCache:
    """The cache for an application whose settings are ``env``."""
    raw = env.get("TEICHAKU_CASE_CACHE_MB") or ""
    megabytes = int(raw) if raw.strip().isdigit() else DEFAULT_MB
    return CaseCache(megabytes * 1024 * 1024, max_items)
