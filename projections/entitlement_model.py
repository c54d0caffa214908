"""The entitlement's result types: derived dates, decisions, and the entitlement itself.

Kept apart from the fold (:mod:`projections.entitlement`) so the shapes other modules
read, and their JSON form (spec/api.md), are in one short place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.rules import per
from projections.explain import Explanation

STATUSES = (
    "not_employed",
    "waiting",
    "eligible_no_decision",
    "in_support",
    "job_change_grace",
    "ended",
    "expired",
)


@dataclass(frozen=True, slots=True)
class Derived:
    """A derived date with the explanation of where it comes from."""

    date: dt.date
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class DecisionView:
    """One 支給決定 as granted, with its PER-3 problems (shown, never clipped)."""

    version: int
    decided_on: dt.date
    valid_from: dt.date
    valid_to: dt.date
    problems: tuple[Explanation, ...]
    sources: tuple[int, ...]

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "decided_on": self.decided_on.isoformat(),
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "problems": [p.as_json() for p in self.problems],
            "events": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The entitlement on ``on`` as known at ``as_of`` (see :mod:`projections.entitlement`)."""

    on: dt.date
    base_date: Derived | None
    eligible_from: Derived | None
    last_eligible_day: Derived | None
    job_change_deadline: Derived | None
    renewal_due_by: Derived | None
    support_end: Derived | None
    contract_from: Derived | None
    status: str
    status_explanation: Explanation
    job_change_used: bool
    decisions: tuple[DecisionView, ...]
    explanation: tuple[Explanation, ...]
    renewal_warning: bool = False
    #: PER-1: the first support start of all contracts (``contract_from`` is the latest's).
    support_from: Derived | None = None

    def covers(self, day: dt.date) -> bool:
        """Does ``day`` lie within the entitlement (eligible_from..support_end)?"""
        if self.eligible_from is None or self.support_end is None:
            return False
        return per.is_billable_day(day, self.eligible_from.date, self.support_end.date)

    def decision_on(self, day: dt.date) -> DecisionView | None:
        """The decision covering ``day`` (the latest granted when several do)."""
        return covering(self.decisions, day)

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "base_date": _date(self.base_date),
            "eligible_from": _date(self.eligible_from),
            "last_eligible_day": _date(self.last_eligible_day),
            "status": self.status,
            "job_change_used": self.job_change_used,
            "job_change_deadline": _date(self.job_change_deadline),
            "decisions": [d.as_json() for d in self.decisions],
            "renewal_due_by": _date(self.renewal_due_by),
            "renewal_warning": self.renewal_warning,
            "support_end": _date(self.support_end),
            "contract_from": _date(self.contract_from),
            "support_from": _date(self.support_from),
            "status_explanation": self.status_explanation.as_json(),
            "explanation": [e.as_json() for e in self.explanation],
        }


def covering(decisions: Sequence[DecisionView], day: dt.date) -> DecisionView | None:
    """The decision covering ``day``; the latest granted wins when several do."""
    found = [d for d in decisions if d.covers(day)]
    return max(found, key=lambda d: (d.decided_on, d.version)) if found else None


def _date(derived: Derived | None) -> str | None:
    return derived.date.isoformat() if derived is not None else None
