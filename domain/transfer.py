"""Moving a case to another office (事業所の移管): a correction of the opening's office.

A case belongs to the office its opening names, as the opening reads now (a corrected
``office_id`` counts). So a correction of ``case_opened`` whose replacement names another
office moves the case: from the instant it is recorded, lists, office pages and the
right to read the case follow the new office, and a read ``as_of`` an earlier instant
still shows the old one (docs/decisions/0031-office-transfer.md).

This module states that fact, once, for the doors and the projections: whether an event
about to be recorded would move the case (:func:`office_change`), and which recorded
corrections did (:func:`office_changes`). Who may move a case is an access rule, decided
by the doors (``api.http.auth.ensure_can_write``); nothing here knows of principals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.history import History, Recorded
from domain.payloads import CaseOpened, EventCorrected, InvalidPayload, validate_payload


@dataclass(frozen=True, slots=True)
class OfficeChange:
    """The case moves (or moved) from one office to another, for ``reason``.

    ``version``: the correction that moved it, once recorded (``None`` while proposed).
    """

    from_office: str | None
    to_office: str
    reason: str
    version: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"from_office": self.from_office, "to_office": self.to_office}


def current_office(history: History) -> str | None:
    """The case's office in ``history`` (the opening as it reads then, corrections applied)."""
    opened = history.opened()
    if opened is None or not isinstance(opened.payload, CaseOpened):
        return None
    return opened.payload.office_id


def office_change(
    history: History, event_type: str, data: Mapping[str, Any]
) -> OfficeChange | None:
    """The move ``data`` would make if recorded on a case whose history is ``history``.

    Read exactly as the aggregate will read it: only a valid correction of the opening
    whose valid replacement names another office is a move. Anything the aggregate would
    refuse (422) is no move here, so a request is never let through by reading it more
    loosely than it will be recorded.
    """
    if event_type != "event_corrected":
        return None
    try:
        correction = validate_payload(event_type, data)
        assert isinstance(correction, EventCorrected)
        target = next((r for r in history.recorded if r.version == correction.target_version), None)
        if target is None or target.type != "case_opened":
            return None
        replacement = validate_payload("case_opened", correction.replacement)
    except InvalidPayload:
        return None
    assert isinstance(replacement, CaseOpened)
    before = current_office(history)
    if replacement.office_id == before:
        return None
    return OfficeChange(before, replacement.office_id, correction.reason)


def office_changes(records: Iterable[Recorded]) -> dict[int, OfficeChange]:
    """Every recorded correction that moved the case, by its version, in recorded order.

    ``records`` in recorded order (e.g. a history's ``recorded``: what was known at its
    ``as_of``); each correction is compared with the office as it read just before it.
    """
    found: dict[int, OfficeChange] = {}
    office: str | None = None
    opening: int | None = None
    for rec in records:
        if rec.type == "case_opened":
            office, opening = _office_in(rec.payload), rec.version
        elif rec.type == "event_corrected" and rec.payload.get("target_version") == opening:
            moved_to = _office_in(rec.payload.get("replacement", {}))
            if moved_to is not None and moved_to != office:
                reason = str(rec.payload.get("reason", ""))
                found[rec.version] = OfficeChange(office, moved_to, reason, rec.version)
            office = moved_to
    return found


def _office_in(payload: Mapping[str, Any]) -> str | None:
    office = payload.get("office_id")
    return str(office) if office is not None else None
