"""The read-access log of cases, as the API notes it: every read after authorization.

The use case is the application's (:meth:`domain.application.CaseLog.note_access`,
:meth:`~domain.application.CaseLog.access_entries`); this module only turns the API's
principal into the reader's name and role, and is the one name the routers and pages
call (tests may stand in their own module under this name).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.auth import Principal
from domain.application import CaseLog


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
    cases.note_access(
        case_id, reader=principal.name, role=principal.role, endpoint=endpoint, as_of=as_of, on=on
    )


def access_entries(cases: CaseLog, case_id: UUID) -> list[dict[str, Any]]:
    """The case's access log, oldest first: at, endpoint, principal_name, role, as_of, on."""
    return cases.access_entries(case_id)
