"""The office dashboard's rows: what needs a staff member's attention, case by case.

Computed in-process with the projections (never by HTTP to the app itself), each item
with the rule behind it: this month's face-to-face contact (MON-1/MON-2), a decision
ending within 30 days (PER-1/PER-4 ⚠), an overdue plan review (PLAN-2), consent
problems (CON-1..3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from api.access_log import record_access
from api.auth import Principal
from api.deps import office_of
from domain.application import CaseLog
from domain.history import read_history
from projections.compliance import compliance
from projections.entitlement import entitlement

#: PER-4 ⚠: the product warns this many days before a decision ends.
RENEWAL_WARNING = timedelta(days=30)
#: States in which the monthly duties (MON-1, PLAN-2) apply.
SUPPORTING = ("in_support",)


@dataclass
class Dashboard:
    rows: list[dict[str, Any]] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)


def dashboard(cases: CaseLog, principal: Principal, wanted: str | None, today: date) -> Dashboard:
    """The rows of the office ``wanted`` (all offices when None), and every office seen."""
    out = Dashboard()
    offices: set[str] = set()
    for case_id in cases.case_ids():
        records = cases.records(case_id)
        office = office_of(records)
        if office is not None:
            offices.add(office)
        if wanted is not None and office != wanted:
            continue
        # The dashboard shows names and verdicts of the case: it is a read, and logged.
        record_access(cases, case_id, principal, "web:dashboard", as_of=None, on=today)
        out.rows.append(_row(case_id, office, records, today))
    out.offices = sorted(offices)
    return out


def _row(case_id: UUID, office: str | None, records: list[Any], today: date) -> dict[str, Any]:
    ent = entitlement(records, today)
    month = f"{today.year:04d}-{today.month:02d}"
    comp = compliance(records, today, None, month, month).as_json()
    opened = read_history(records).opened()
    supporting = ent.status in SUPPORTING
    this_month = comp["months"][0] if comp["months"] else None
    renewal = ent.renewal_due_by.date if ent.renewal_due_by else None
    return {
        "case_id": case_id,
        "office_id": office,
        "person": getattr(getattr(opened, "payload", None), "person", None),
        "status": ent.status,
        "supporting": supporting,
        "face_to_face": this_month["face_to_face"] if this_month else None,
        "no_face_to_face": supporting and this_month is not None and not this_month["face_to_face"],
        "renewal": renewal,
        "renewal_soon": renewal is not None and renewal - today <= RENEWAL_WARNING,
        "plan_due": comp["plan"]["review_due_by"],
        "plan_overdue": supporting and comp["plan"]["overdue"],
        "consent_problems": len(comp["consent_violations"]),
    }
