"""One reading of a case: its history as known at ``as_of``, evaluated on the day ``on``.

A request (an API read, a web page, a dispute report, a bundle) makes one
:class:`Reading` and passes it to every projection it shows. The history is read once,
and each projection's answer is kept (:meth:`Reading.memo`): compliance, the timeline
and the dispute report reuse the one entitlement instead of folding the case again.
Projections accept either a reading or plain records (``entitlement(records, on,
as_of)`` still works: it makes a reading of its own).

Answers are kept on the history itself (``History.answers``), keyed by the day: a
history never changes, and a loaded case's history as known now is shared by every
read until its next event. So the second read of an unchanged case on the same day
derives nothing again. Answers are frozen values; at most :data:`DAYS_KEPT` days are
kept per history (a client asking for many days cannot grow it without bound).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from domain.case import Case
from domain.history import History, Recorded, read_history

T = TypeVar("T")
HistoryAt = Callable[[datetime | None], History]
#: Days whose answers one history keeps (the oldest are dropped beyond that).
DAYS_KEPT = 8


class Reading:
    """The history at ``as_of`` (read on first use) evaluated on ``on``; answers memoised."""

    __slots__ = ("_history", "_history_at", "as_of", "on")

    def __init__(self, on: date, as_of: datetime | None, history_at: HistoryAt) -> None:
        self.on = on
        self.as_of = as_of
        self._history_at = history_at
        self._history: History | None = None

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = self._history_at(self.as_of)
        return self._history

    @property
    def records(self) -> tuple[Recorded, ...]:
        """The records known at ``as_of``, in recorded order."""
        return self.history.recorded

    def at(self, as_of: datetime | None) -> Reading:
        """The same case and day, as known at another instant."""
        return Reading(self.on, as_of, self._history_at)

    def on_day(self, on: date) -> Reading:
        """The same history evaluated on another day (the history is not read again)."""
        if on == self.on:
            return self
        other = Reading(on, self.as_of, self._history_at)
        other._history = self.history
        return other

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer under ``key`` for this reading's day, computed on first use."""
        answers = self.history.answers.get(self.on)
        if answers is None:
            answers = self._day_answers()
        if key not in answers:
            answers[key] = compute()
        found: T = answers[key]
        return found

    def _day_answers(self) -> dict[Hashable, Any]:
        kept = self.history.answers
        while len(kept) >= DAYS_KEPT:
            kept.pop(next(iter(kept), None), None)  # the day asked about longest ago
        answers: dict[Hashable, Any] = kept.setdefault(self.on, {})
        return answers


def read_records(records: Sequence[Recorded], on: date, as_of: datetime | None = None) -> Reading:
    """A reading of plain records (e.g. a bundle's, or the rows as stored)."""
    kept = tuple(records)
    return Reading(on, as_of, lambda instant: read_history(kept, instant))


def read_case(case: Case, on: date, as_of: datetime | None = None) -> Reading:
    """A reading of a loaded case: its history as known now is the aggregate's own."""
    return Reading(on, as_of, case.history)


def read(
    source: Sequence[Recorded] | Reading, on: date | None = None, as_of: datetime | None = None
) -> Reading:
    """``source`` as a reading: a reading as it is (``on``/``as_of`` given move it), records
    read at ``as_of`` on ``on`` (then ``on`` is required)."""
    if isinstance(source, Reading):
        reading = source if as_of is None or as_of == source.as_of else source.at(as_of)
        return reading if on is None else reading.on_day(on)
    if on is None:
        raise TypeError("on (the day to evaluate) is required when reading records")
    return read_records(source, on, as_of)
