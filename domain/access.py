"""``CaseAccessLog``: who read a case, when, through which endpoint, for which window.

Written up to decision 0052; reads are now rows of the access table
(:mod:`domain.store.access_table`). The class stays so that stores written before keep
loading, and their entries are copied into the table once, in order (docs/access-log.md).

One log per case, its id derived from the case id (:func:`access_log_id`), stored in the
same event store as the case but never among the case's events, so reading a case never
changes its history, its hash chain or its projections. Append-only: the aggregate has
no way to remove or alter an entry, and no endpoint deletes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

#: Fixed namespace: the log of a case is found again from the case id alone.
ACCESS_LOG_NAMESPACE = UUID("9d3c2b1e-6f4a-4e8b-8c2d-1a7e5f3b9c40")


def access_log_id(case_id: UUID) -> UUID:
    """The id of a case's access log (uuid5 of the case id in a fixed namespace)."""
    return uuid5(ACCESS_LOG_NAMESPACE, str(case_id))


class CaseAccessLog(Aggregate):
    """The append-only record of reads of one case."""

    class Started(Aggregate.Created):
        case_id: str

    class Accessed(Aggregate.Event):
        endpoint: str
        principal_name: str
        role: str
        as_of: str | None
        on: str | None

        def entry(self) -> dict[str, Any]:
            """The entry as the access-log endpoint shows it."""
            return {
                "at": self.timestamp.isoformat(),
                "endpoint": self.endpoint,
                "principal_name": self.principal_name,
                "role": self.role,
                "as_of": self.as_of,
                "on": self.on,
            }

    # The entries are read from the stored events, not kept in the aggregate: a log read
    # on every request grows without end, and appending must not cost loading all of it
    # (snapshots of an empty state keep each append's load to a few events).
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id

    @classmethod
    def start(cls, case_id: UUID, at: datetime) -> CaseAccessLog:
        """A new, empty log for the case."""
        return cls._create(
            cls.Started, id=access_log_id(case_id), case_id=str(case_id), timestamp=_utc(at)
        )

    def note(
        self,
        *,
        endpoint: str,
        principal_name: str,
        role: str,
        as_of: datetime | None,
        on: date | None,
        at: datetime,
    ) -> None:
        """Append one read; ``at`` is the recorded instant (the application's clock)."""
        self.trigger_event(
            self.Accessed,
            endpoint=endpoint,
            principal_name=principal_name,
            role=role,
            as_of=as_of.isoformat() if as_of is not None else None,
            on=on.isoformat() if on is not None else None,
            timestamp=_utc(at),
        )


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
