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
from api.http.claim_check import pending, settled
from domain.store.application import CaseLog
from domain.store.failures import ACCESS_LOG_JA, StorageFull, storage_full


def record_access(
    cases: CaseLog,
    case_id: UUID,
    principal: Principal,
    endpoint: str,
    *,
    as_of: datetime | None,
    on: date | None,
) -> None:
    """Append one entry to the case's access log (a row of the access table, decision 0052).

    A read is logged before it is answered; when the disk is full the log cannot be
    written, and the answer says that this is why the read is refused (503). A pending
    :func:`~api.http.claim_check.checking` is checked with it (:class:`ClaimChanged`,
    nothing written, when the remembered caller changed since: decisions 0058–0060).
    """
    check = pending()
    with _writing_the_log():
        noted = cases.note_access(
            case_id, reader=principal.name, role=principal.role, endpoint=endpoint,
            as_of=as_of, on=on, unchanged=check.unchanged if check else (),
        )  # fmt: skip
    settled(check, noted)


def record_listing(
    cases: CaseLog,
    principal: Principal,
    endpoint: str,
    *,
    on: date | None,
    case_ids: Sequence[UUID],
) -> None:
    """One entry for a list or dashboard read naming every case it showed: one write,
    however many cases (one row of the access table, decision 0052); a pending
    :func:`checking` is checked with it."""
    check = pending()
    with _writing_the_log():
        noted = cases.note_listing(
            case_ids, reader=principal.name, role=principal.role, endpoint=endpoint, on=on,
            unchanged=check.unchanged if check else (),
        )  # fmt: skip
    settled(check, noted)


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
    return cases.access_entries(case_id)


def access_chain(cases: CaseLog, case_id: UUID) -> dict[str, Any]:
    """The hash-chain check of the case's reads (its stream of the access table):
    ``verified``, and each break with its entry number and what is wrong in Japanese."""
    breaks = cases.access.verify(str(case_id))
    return {
        "verified": not breaks,
        "breaks": [{"seq": b.seq, "text_ja": f"第{b.seq}件: {b.problem}"} for b in breaks],
    }
