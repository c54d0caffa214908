"""An office's rows as known at an instant, evaluated on a chosen day (issue 21).

The stored views answer for *now*: each row is the fold of everything recorded, as
evaluated on the day it was last refreshed. An auditor asks for the office's month as it
was known on the day a claim was made (``as_of``), and the due list for a past day
(``on``) must judge every item — plan reviews and renewals included — on that day, not
on the day the row was refreshed. :func:`office_rows_as_of` folds each case once, from
the records known at ``as_of``, on the day asked, into the same :class:`CaseRow` the
views hold: the office functions (:mod:`projections.views.office`) read it unchanged.

Which cases: those whose office *as known at* ``as_of`` is the office (a case moved away
since still counts for the month it was there; one moved in since does not). The person's
values are the records' own as read now: an erasure since ``as_of`` shows erased.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from domain.history import Recorded, known_at, read_history
from domain.payloads import CaseOpened
from domain.transfer import current_office
from projections.views.row import CaseRow, case_row


def office_rows_as_of(
    cases: Iterable[tuple[UUID, Sequence[Recorded]]],
    office_id: str,
    as_of: dt.datetime | None,
    on: dt.date,
) -> list[CaseRow]:
    """The rows of the office's cases as known at ``as_of`` (None: now), folded on ``on``."""
    rows = []
    for case_id, records in cases:
        known = known_at(records, as_of)
        if not known:
            continue  # not yet opened at as_of
        history = read_history(known)
        opened = history.opened()
        if opened is None or current_office(history) != office_id:
            continue
        row = case_row(case_id, known, on)
        rows.append(replace(row, person=_person(opened.payload)))
    rows.sort(key=lambda r: (r.opened_at, str(r.case_id)))
    return rows


def _person(payload: Any) -> dict[str, Any]:
    """The person's values as the records read them (opened, or erased)."""
    assert isinstance(payload, CaseOpened)
    return {
        "name": payload.person.name,
        "name_kana": payload.person.name_kana,
        "recipient_number": payload.recipient_number,
        "municipality_code": payload.municipality_code,
    }
