"""``ListingRead``: one list or dashboard read, naming every case it showed.

Written up to decision 0052; listings are now rows of the access table
(:mod:`domain.store.access_table`), and the events written before are copied there once.
What follows describes the events as they were written.

A list shows many cases at once; noting it in each case's own access log would cost one
durable write per case shown. A listing is instead one aggregate with one event, saved in
one transaction, that names the cases; a query over the log (removed with decision 0052)
found the listings that showed a case, for the auditors' access log. Append-only like the case
access logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate


class ListingRead(Aggregate):
    """Who listed which cases, when, through which endpoint, for which day."""

    class Listed(Aggregate.Created):
        endpoint: str
        principal_name: str
        role: str
        on: str | None
        case_ids: list[str]

    def __init__(
        self, endpoint: str, principal_name: str, role: str, on: str | None, case_ids: list[str]
    ) -> None:
        self.endpoint = endpoint
        self.principal_name = principal_name
        self.role = role
        self.on = on
        self.case_ids = case_ids

    @classmethod
    def note(
        cls,
        *,
        endpoint: str,
        principal_name: str,
        role: str,
        on: date | None,
        case_ids: Sequence[UUID],
        at: datetime,
    ) -> ListingRead:
        return cls._create(
            cls.Listed, id=uuid4(), endpoint=endpoint, principal_name=principal_name,
            role=role, on=on.isoformat() if on else None,
            case_ids=[str(i) for i in case_ids], timestamp=at.astimezone(UTC),
        )  # fmt: skip
