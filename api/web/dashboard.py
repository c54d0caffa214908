"""The office dashboard's rows: what needs a staff member's attention, case by case.

Read from the stored case view (:mod:`projections.views.follower`), never by folding every case
in the store: the office filter is SQL, the rows are paged, and a row evaluated on an
earlier day is folded again for today before it is shown (so the page says what the
fold would say today). Each item carries the rule behind it: this month's face-to-face
contact (MON-1/MON-2), a decision ending within 30 days (PER-1/PER-4 ⚠), an overdue plan
review (PLAN-2), consent problems (CON-1..3). The page is one read, logged once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from api.http.access_log import record_listing
from api.http.auth import Principal
from domain.rules import per
from domain.rules.cal import month_of
from domain.store.application import CaseLog
from projections.views.follower import CaseViews
from projections.views.office import days_left_in_month
from projections.views.row import CaseRow
from projections.views.store import Cursor

#: States in which the monthly duties (MON-1, PLAN-2) apply.
SUPPORTING = ("in_support",)
#: Rows on one page of the dashboard.
PAGE = 200


@dataclass
class Dashboard:
    rows: list[dict[str, Any]] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)
    next_cursor: str | None = None
    behind: int = 0


def dashboard(
    cases: CaseLog,
    views: CaseViews,
    principal: Principal,
    wanted: str | None,
    today: date,
    after: Cursor | None = None,
) -> Dashboard:
    """The rows of the office ``wanted`` (all offices when None), and every office seen."""
    gen, behind = views.fresh(5_000)
    rows, following = views.page(wanted, after, PAGE, months=f"{today:%Y-%m}", gen=gen)
    rows = views.refresh(rows, today, gen)
    # The dashboard shows names and verdicts of the cases: it is a read, and logged once.
    record_listing(cases, principal, "web:dashboard", on=today, case_ids=[r.case_id for r in rows])
    return Dashboard(
        rows=[_row(r, today) for r in rows],
        # Only auditors and admins choose an office: staff pages skip the DISTINCT scan.
        offices=views.store.offices(gen) if principal.role != "staff" else [],
        next_cursor=following.token() if following else None,
        behind=behind,
    )


def days_left(month: str, on: date) -> int | None:
    """Days still open in ``month`` counting ``on`` itself, or None when it is not ``on``'s.

    The month of the day shown is still in progress: a face-to-face contact may yet be
    made, so it is not "unbillable" until it has ended (MON-1/MON-2). The dashboard and
    the case page's month grid both ask this, so they agree.
    """
    return days_left_in_month(on) if month == month_of(on) else None


def _row(row: CaseRow, today: date) -> dict[str, Any]:
    derived = row.derived
    status = row.status_on(today)
    month = f"{today.year:04d}-{today.month:02d}"
    this_month = next((m for m in row.months if m.month == month), None)
    supporting = status in SUPPORTING
    renewal_due = derived["renewal_due_by"]
    renewal = date.fromisoformat(renewal_due["date"]) if renewal_due else None
    plan = derived["plan"]
    return {
        "case_id": row.case_id,
        "office_id": row.office_id,
        "person": row.person,
        "status": status,
        "supporting": supporting,
        "face_to_face": this_month.face_to_face if this_month else None,
        "no_face_to_face": supporting and this_month is not None and not this_month.face_to_face,
        "days_left": days_left(month, today),
        "renewal": renewal,
        "renewal_soon": renewal is not None and per.renewal_warning(renewal, today),
        "plan_due": plan["review_due_by"],
        "plan_overdue": supporting and plan["overdue"],
        "consent_problems": len(derived["consent_violations"]),
    }
