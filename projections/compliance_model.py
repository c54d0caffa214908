"""Compliance result types and their JSON form (spec/api.md), apart from the fold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from projections.consent import ConsentViolation
from projections.explain import Explanation


@dataclass(frozen=True, slots=True)
class MonthCompliance:
    """One calendar month: its counts, whether it can be billed, and every reason why not.

    ``report_shared`` says whether MON-4 holds: the month's report reached the person.
    """

    month: str
    face_to_face: int
    employer_contacts: int
    report_shared: bool
    billable: bool
    reasons: tuple[Explanation, ...]
    warnings: tuple[Explanation, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "face_to_face": self.face_to_face,
            "employer_contacts": self.employer_contacts,
            "report_shared": self.report_shared,
            "billable": self.billable,
            "reasons": [r.as_json() for r in self.reasons],
            "warnings": [w.as_json() for w in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class PlanStatus:
    """PLAN-1/PLAN-2: the last revision, the next review's due day, and whether it is late."""

    last_revised_on: dt.date | None
    review_due_by: dt.date | None
    overdue: bool
    explanation: Explanation

    def as_json(self) -> dict[str, Any]:
        return {
            "last_revised_on": _iso(self.last_revised_on),
            "review_due_by": _iso(self.review_due_by),
            "overdue": self.overdue,
            **self.explanation.as_json(),
        }


@dataclass(frozen=True, slots=True)
class Compliance:
    on: dt.date
    months: tuple[MonthCompliance, ...]
    plan: PlanStatus
    consent_violations: tuple[ConsentViolation, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "months": [m.as_json() for m in self.months],
            "plan": self.plan.as_json(),
            "consent_violations": [v.as_json() for v in self.consent_violations],
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
