"""The read-access log of cases, as the API notes it: every read after authorization.

The use case is the application's (:meth:`domain.store.application.CaseLog.note_access`,
:meth:`~domain.store.application.CaseLog.access_entries`); this module only turns the API's
principal into the reader's name and role, and is the one name the routers and pages
call (tests may stand in their own module under this name).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.http.auth import Principal
from domain.listing_access import ListingRead
from domain.store.application import CaseLog
from domain.store.failures import ACCESS_LOG_JA, StorageFull, storage_full
from domain.store.listings import listings_naming


def record_access(
    cases: CaseLog,
    case_id: UUID,
    principal: Principal,
    endpoint: str,
    *,
    as_of: datetime | None,
    on: date | None,
) -> None:
    """Append one entry to the case's access log (retrying on a concurrent append).

    A read is logged before it is answered; when the disk is full the log cannot be
    written, and the answer says that this is why the read is refused (503).
    """
    with _writing_the_log():
        cases.note_access(
            case_id, reader=principal.name, role=principal.role, endpoint=endpoint,
            as_of=as_of, on=on,
        )  # fmt: skip


def record_listing(
    cases: CaseLog,
    principal: Principal,
    endpoint: str,
    *,
    on: date | None,
    case_ids: Sequence[UUID],
) -> None:
    """One entry for a list or dashboard read naming every case it showed: one write,
    however many cases (:class:`domain.listing_access.ListingRead`)."""
    listing = ListingRead.note(
        endpoint=endpoint, principal_name=principal.name, role=principal.role, on=on,
        case_ids=case_ids, at=cases.clock(),
    )  # fmt: skip
    with _writing_the_log():
        cases.save(listing)


@contextmanager
def _writing_the_log() -> Iterator[None]:
    """A full disk is said to be why the read is refused (503), not a bare 500."""
    try:
        yield
    except Exception as exc:
        if storage_full(exc):
            raise StorageFull(ACCESS_LOG_JA) from exc
        raise


def access_entries(cases: CaseLog, case_id: UUID) -> list[dict[str, Any]]:
    """The case's access log, oldest first: at, endpoint, principal_name, role, as_of, on;
    the lists and dashboards that showed the case included."""
    entries = cases.access_entries(case_id) + listings_naming(cases, case_id)
    entries.sort(key=lambda e: str(e["at"]))
    return entries
