"""A case's history kept step by step: each recorded event is read once, when it arrives.

The aggregate stores its events in their JSON form (``Case._records``: the snapshot
state). :class:`Ledger` is derived from that list and never stored: it reads only the
stored records it has not seen yet, types each payload once, when first read (:class:`Fact`),
and keeps the facts as known now — corrections applied, retractions removed — so that
``Case.records`` and ``Case.history()`` cost nothing per event, and an append checks
its invariants on the few facts it can affect (:meth:`Ledger.scoped`).

It folds exactly as :func:`domain.history.read_history` does, one event at a time
(``tests/unit/test_projection_properties.py`` checks that the two always agree).

Appends flat in case size (issue 24): the facts are kept in history order as they come
and go (a history copies a list, never sorts), and a copy of a case's ledger
(:meth:`Ledger.fork`, for each request's copy of the cached case) shares its structures
until either side changes — whichever does copies them first if the other still lives —
while a write applies its record to its own copy only if that copy is read again
(:meth:`Ledger.later`). ``tests/unit/test_ledger_copy_on_write.py``.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.history import (
    Fact,
    History,
    Recorded,
    fact_of,
    fact_order,
    parse_payload,
    read_history,
)
from domain.payloads import AMENDMENT_TYPES, PAYLOADS, Payload

#: Fact types whose consistency depends on other facts of the case (domain.invariants).
SEQUENCE_TYPES = frozenset(
    {"hired", "resigned", "job_changed", "consent_given", "consent_withdrawn"}
)


class Ledger:
    """The incremental history of one case (see the module docstring)."""

    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.recorded: list[Recorded] = []
        self.facts: dict[int, Fact] = {}
        self.corrections: dict[int, tuple[Recorded, ...]] = {}
        self.retracted: dict[int, Recorded] = {}
        self.sequence: set[int] = set()
        #: The facts in history order (:func:`fact_order`), kept as facts come and go, so
        #: a history is a copy of a list, never a sort (appends flat in case size).
        self._sorted: list[Fact] = []
        self._now: History | None = None
        self._lock = threading.Lock()
        #: Records appended by a write, applied when the ledger is next read (:meth:`later`).
        self._pending: list[Recorded] = []
        #: Copy on write: the ledger whose structures this one shares since :meth:`fork`,
        #: and the forks that share this one's. Whichever changes first copies them, so a
        #: copy costs nothing until it (or its origin, while it lives) changes.
        self._origin: Ledger | None = None
        self._forks: weakref.WeakSet[Ledger] = weakref.WeakSet()

    # -- reading the stored records -------------------------------------------------

    def catch_up(self, stored: Sequence[Mapping[str, Any]]) -> None:
        """Read the stored records (JSON form, in version order) not read yet, after the
        ones a write appended (:meth:`later`)."""
        if not self._pending and len(self.recorded) >= len(stored):
            return
        # A cached aggregate may be read by two requests at once: one of them reads.
        with self._lock:
            for rec in self._pending:
                self._add(rec)
            self._pending.clear()
            for data in stored[len(self.recorded) :]:
                # Not typed here: a fact's payload is typed when first read (Fact.payload).
                self._add(Recorded.from_json({**data, "case_id": self.case_id}))

    def typed(self, rec: Recorded) -> Recorded:
        """``rec`` carrying the typed payload it puts into the history."""
        if rec.typed is not None:
            return rec
        return rec.with_typed(self._typed_payload(rec))

    def _typed_payload(self, rec: Recorded) -> Payload | None:
        if rec.type == "event_corrected":
            target = self.at(int(rec.payload["target_version"]))
            if target is None or target.type not in PAYLOADS or target.type in AMENDMENT_TYPES:
                return None
            return parse_payload(target.type, rec.payload["replacement"])
        if rec.type in AMENDMENT_TYPES or rec.type not in PAYLOADS:
            return None
        return parse_payload(rec.type, rec.payload)

    def add(self, rec: Recorded) -> None:
        """Apply one more recorded event (the next version) to the history."""
        with self._lock:  # a copy being forked meanwhile sees it whole or not at all
            self._add(self.typed(rec))

    def later(self, rec: Recorded) -> None:
        """:meth:`add`, when the ledger is next read (``Case._ledger`` catches up first): a
        write's copy of a case is usually not read again, so it never copies what it
        shares with the cached case (appends flat in case size)."""
        with self._lock:
            self._pending.append(self.typed(rec))
            self._now = None

    def _own(self) -> None:
        """Copy the structures before changing them, if another ledger shares them."""
        origin = self._origin
        if origin is None and not self._forks:
            return
        self.recorded = list(self.recorded)
        self.facts = dict(self.facts)
        self.corrections = dict(self.corrections)
        self.retracted = dict(self.retracted)
        self.sequence = set(self.sequence)
        self._sorted = list(self._sorted)
        self._forks = weakref.WeakSet()  # they keep the structures as they were
        if origin is not None:
            self._origin = None
            with origin._lock:
                origin._forks.discard(self)

    def _add(self, rec: Recorded) -> None:
        self._own()
        self.recorded.append(rec)
        self._now = None
        if rec.type == "event_corrected":
            target = int(rec.payload["target_version"])
            self.corrections[target] = (*self.corrections.get(target, ()), rec)
            if target in self.facts:
                original = self.facts[target]
                self._set(fact_of(original.recorded, self.corrections[target]), original)
        elif rec.type == "event_retracted":
            target = int(rec.payload["target_version"])
            self.retracted[target] = rec
            gone = self.facts.pop(target, None)
            if gone is not None:
                self._unplace(gone)
            self.sequence.discard(target)
        elif rec.version not in self.retracted:
            fact = fact_of(rec, self.corrections.get(rec.version, ()))
            self._set(fact, self.facts.get(rec.version))
            if rec.type in SEQUENCE_TYPES:
                self.sequence.add(rec.version)

    def _set(self, fact: Fact, replaces: Fact | None) -> None:
        if replaces is not None:
            self._unplace(replaces)
        self.facts[fact.version] = fact
        self._sorted.insert(bisect_left(self._sorted, fact_order(fact), key=fact_order), fact)

    def _unplace(self, fact: Fact) -> None:
        at = bisect_left(self._sorted, fact_order(fact), key=fact_order)
        assert self._sorted[at] is fact
        del self._sorted[at]

    # -- answers ----------------------------------------------------------------------

    def at(self, version: int) -> Recorded | None:
        """The recorded event of ``version`` (versions run 1, 2, … without gaps)."""
        if 1 <= version <= len(self.recorded):
            rec = self.recorded[version - 1]
            if rec.version == version:
                return rec
        return next((r for r in self.recorded if r.version == version), None)

    def history(self, as_of: datetime | None = None) -> History:
        """The history as known at ``as_of``; as known now, it is built once per version
        (by the ledger a fork shares its structures with, so every copy of one version
        reads, and keeps answers on, the one history)."""
        if as_of is not None:
            return read_history(self.recorded, as_of)
        now = self._now
        origin = self._origin
        if now is None and origin is not None and origin.facts is self.facts:
            now = origin.history()
            if origin.facts is self.facts:  # still the same structures: the same history
                self._now = now
                return now
            now = None
        if now is None:
            with self._lock:  # not from structures a catch-up is changing meanwhile
                now = self._now
                if now is None:
                    facts = tuple(self._sorted)
                    now = History(None, tuple(self.recorded), facts, dict(self.retracted))
                    self._now = now
        return now

    def opened_on(self) -> date:
        """The opening day as it reads now (a correction of version 1 counts)."""
        return self.facts[1].effective_on

    def scoped(self, candidate: Recorded) -> tuple[History, History]:
        """The facts ``candidate`` can make inconsistent, before and after it.

        An event can only create a problem among the facts it adds, changes or removes,
        the opening (every fact is compared with its day) and the employment and consent
        sequences. Other facts read the same before and after, so their problems, old or
        none, cancel out: only a change of the opening itself needs every fact.
        """
        candidate = self.typed(candidate)
        changed: dict[int, Fact] = {}
        removed: set[int] = set()
        target = int(candidate.payload.get("target_version", 0))
        if candidate.type == "event_corrected" and target in self.facts:
            applied = (*self.corrections.get(target, ()), candidate)
            changed[target] = fact_of(self.facts[target].recorded, applied)
        elif candidate.type == "event_retracted":
            removed.add(target)
        elif candidate.type not in AMENDMENT_TYPES:
            changed[candidate.version] = fact_of(candidate)
        if 1 in changed or 1 in removed:
            scope = set(self.facts) | set(changed)
        else:
            scope = {1, *self.sequence, *changed, *removed}
        before = [self.facts[v] for v in scope if v in self.facts]
        after = [changed.get(v) or self.facts[v] for v in scope if v not in removed]
        return _partial(before), _partial([f for f in after if f is not None])

    def fork(self, upto: int) -> Ledger:
        """An independent copy holding the first ``upto`` versions. It shares this
        ledger's structures (and its history, built once per version) until either of the
        two changes: that one copies them first (:meth:`_own`)."""
        other = Ledger(self.case_id)
        with self._lock:
            for rec in self._pending:
                self._add(rec)
            self._pending.clear()
            if len(self.recorded) != upto:
                for rec in self.recorded[:upto]:
                    other._add(rec)
                return other
            other.recorded = self.recorded
            other.facts = self.facts
            other.corrections = self.corrections
            other.retracted = self.retracted
            other.sequence = self.sequence
            other._sorted = self._sorted
            other._now = self._now
            other._origin = self
            self._forks.add(other)
        return other


def _partial(facts: list[Fact]) -> History:
    return History(None, (), tuple(sorted(facts, key=fact_order)))
