"""The read-access log of cases: every read of a case is noted after authorization.

Entries live in the case's own :class:`domain.access.CaseAccessLog` aggregate (same store,
never part of the case's events). Concurrent reads race on the log's version; the loser
re-reads and appends again, so every read is logged.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from api.auth import Principal
from domain.access import CaseAccessLog, access_log_id
from domain.application import CaseLog

_ATTEMPTS = 50


def record_access(
    cases: CaseLog,
    case_id: UUID,
    principal: Principal,
    endpoint: str,
    *,
    as_of: datetime | None,
    on: date | None,
) -> None:
    """Append one entry to the case's access log (retrying on a concurrent append)."""
    at = cases.clock()  # read once: the instant of this read, whatever the retries
    for attempt in range(_ATTEMPTS):
        log = _load(cases, case_id) or CaseAccessLog.start(case_id, at)
        log.note(
            endpoint=endpoint,
            principal_name=principal.name,
            role=principal.role,
            as_of=as_of,
            on=on,
            at=at,
        )
        try:
            cases.save(log)
            return
        except IntegrityError:
            # Another read appended first: back off a little, re-read, append again.
            time.sleep(min(0.002 * (attempt + 1), 0.05))
    raise RuntimeError("アクセス記録を保存できませんでした。もう一度お試しください")


def access_entries(cases: CaseLog, case_id: UUID) -> list[dict[str, Any]]:
    """The case's access log, oldest first: at, endpoint, principal_name, role, as_of, on."""
    events = cases.events.get(access_log_id(case_id))
    return [e.entry() for e in events if isinstance(e, CaseAccessLog.Accessed)]


def _load(cases: CaseLog, case_id: UUID) -> CaseAccessLog | None:
    try:
        log: object = cases.repository.get(access_log_id(case_id))
    except AggregateNotFoundError:
        return None
    return log if isinstance(log, CaseAccessLog) else None
