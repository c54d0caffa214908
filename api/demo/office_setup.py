"""The demo office's 体制 (issue 22): registration, the tiers notified, two 加算.

Called once by the demo loader after the cases (``record_office_setup(cases, today)``), so
the claim, its record sheets and the tier check have an office to read. No 地域区分 unit
price is entered: fees.md does not know this service's, and the demo does not invent one
(the claim then answers in units).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from api.demo.story import ADMIN, OFFICE
from domain.office import Office, office_aggregate_id
from domain.store.application import CaseLog


def office_setup_events(today: date) -> list[tuple[str, dict[str, Any]]]:
    """The demo office's events, every day on or before ``today``."""
    year = today.year if today.month >= 4 else today.year - 1
    events: list[tuple[str, dict[str, Any]]] = [
        ("tier_notified", {"fiscal_year": year - 1, "tier_percent": 80,
                           "notified_on": f"{year - 1}-04-01"}),
        ("tier_notified", {"fiscal_year": year, "tier_percent": 70,
                           "notified_on": f"{year}-04-01"}),
        ("addon_notified", {"addon": "job_coach", "from_month": "2024-04",
                            "notified_on": "2024-03-15"}),
        ("addon_notified", {"addon": "treatment", "level": "I", "from_month": "2024-06",
                            "notified_on": "2024-05-15"}),
    ]  # fmt: skip
    return [(t, p) for t, p in events if p["notified_on"] <= today.isoformat()]


def record_office_setup(cases: CaseLog, today: date) -> int:
    """Record the demo office's 体制 (once: nothing when the office already has events)."""
    try:
        cases.repository.get(office_aggregate_id(OFFICE))
        return 0
    except AggregateNotFoundError:
        pass
    office = Office.register(
        {"office_id": OFFICE, "name": "みほん就労定着支援センター", "designated_on": "2019-04-01"},
        recorded_by=ADMIN, recorded_at=cases.clock(),
    )  # fmt: skip
    for event_type, payload in office_setup_events(today):
        office.record(event_type, payload, recorded_by=ADMIN, recorded_at=cases.clock())
    cases.save(office)
    return len(office.records)
