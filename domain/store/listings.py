"""The listings that showed a case: a query over the notification log, for the access log.

No longer called (decision 0052: the access table indexes the cases a listing named); it
scans every listing event, so it must not come back onto a request path.

:class:`domain.listing_access.ListingRead` is the pure aggregate; this is the read that
finds its events in the store (the auditors' access log of one case).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from domain.listing_access import ListingRead


def listings_naming(app: Application[UUID], case_id: UUID) -> list[dict[str, Any]]:
    """Every listing that showed ``case_id``, oldest first, as access-log entries."""
    topic = get_topic(ListingRead.Listed)
    wanted = str(case_id)
    found: list[dict[str, Any]] = []
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, 1000, topics=[topic])
        for n in batch:
            event = app.mapper.to_domain_event(n)
            if isinstance(event, ListingRead.Listed) and wanted in event.case_ids:
                at = event.timestamp
                found.append({
                    "at": at if isinstance(at, str) else at.isoformat(),
                    "endpoint": event.endpoint, "principal_name": event.principal_name,
                    "role": event.role, "as_of": None, "on": event.on,
                })  # fmt: skip
        if len(batch) < 1000:
            return found
        start = batch[-1].id + 1
