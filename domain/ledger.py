"""A case's history kept step by step: each recorded event is read once, when it arrives.

The aggregate stores its events in their JSON form (``Case._records``: the snapshot
state). :class:`Ledger` is derived from that list and never stored: it reads only the
stored records it has not seen yet, types each payload once (:attr:`Recorded.typed`),
and keeps the facts as known now — corrections applied, retractions removed — so that
``Case.records`` and ``Case.history()`` cost nothing per event, and an append checks
its invariants on the few facts it can affect (:meth:`Ledger.scoped`).

It folds exactly as :func:`domain.history.read_history` does, one event at a time
(``tests/unit/test_projection_properties.py`` checks that the two always agree).
"""

from __future__ import annotations

import threading
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
        self._now: History | None = None
        self._lock = threading.Lock()

    # -- reading the stored records -------------------------------------------------

    def catch_up(self, stored: Sequence[Mapping[str, Any]]) -> None:
        """Read the stored records (JSON form, in version order) not read yet."""
        if len(self.recorded) >= len(stored):
            return
        # A cached aggregate may be read by two requests at once: one of them reads.
        with self._lock:
            for data in stored[len(self.recorded) :]:
                self.add(Recorded.from_json({"case_id": str(self.case_id), **data}))

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
        rec = self.typed(rec)
        self.recorded.append(rec)
        self._now = None
        if rec.type == "event_corrected":
            target = int(rec.payload["target_version"])
            self.corrections[target] = (*self.corrections.get(target, ()), rec)
            if target in self.facts:
                original = self.facts[target].recorded
                self.facts[target] = fact_of(original, self.corrections[target])
        elif rec.type == "event_retracted":
            target = int(rec.payload["target_version"])
            self.retracted[target] = rec
            self.facts.pop(target, None)
            self.sequence.discard(target)
        elif rec.version not in self.retracted:
            self.facts[rec.version] = fact_of(rec, self.corrections.get(rec.version, ()))
            if rec.type in SEQUENCE_TYPES:
                self.sequence.add(rec.version)

    # -- answers ----------------------------------------------------------------------

    def at(self, version: int) -> Recorded | None:
        """The recorded event of ``version`` (versions run 1, 2, … without gaps)."""
        if 1 <= version <= len(self.recorded):
            rec = self.recorded[version - 1]
            if rec.version == version:
                return rec
        return next((r for r in self.recorded if r.version == version), None)

    def history(self, as_of: datetime | None = None) -> History:
        """The history as known at ``as_of``; as known now, it is built once per version."""
        if as_of is not None:
            return read_history(self.recorded, as_of)
        now = self._now
        if now is None:
            facts = tuple(sorted(self.facts.values(), key=fact_order))
            now = self._now = History(None, tuple(self.recorded), facts, dict(self.retracted))
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
        """An independent copy holding the first ``upto`` versions (shares the records and
        the history as known now)."""
        other = Ledger(self.case_id)
        with self._lock:
            if len(self.recorded) != upto:
                for rec in self.recorded[:upto]:
                    other.add(rec)
                return other
            other.recorded = list(self.recorded)
            other.facts = dict(self.facts)
            other.corrections = dict(self.corrections)
            other.retracted = dict(self.retracted)
            other.sequence = set(self.sequence)
            # Built here, on the shared ledger, so every copy reads (and keeps answers
            # on) the one history of this version instead of each building its own.
            other._now = self.history()
        return other


def _partial(facts: list[Fact]) -> History:
    return History(None, (), tuple(sorted(facts, key=fact_order)))
