"""The shape of a demo story, and the demo office's names (see :mod:`api.demo.load`).

Kept apart from :mod:`api.demo.load` so that the stories (:mod:`api.demo.cases`) and the
loader that records them import this module, and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.payloads import EFFECTIVE_DATE_FIELD

OFFICE = "1310100001"
OTHER_OFFICE = "2710100002"
STAFF = "支援員 見本"
OTHER_STAFF = "支援員 例示"
AUDITOR = "監査員 仮名"
ADMIN = "管理者 試行"


@dataclass
class Entry:
    """One event of a demo story: the day staff entered it, its type and payload."""

    day: date
    type: str
    payload: dict[str, Any]
    key: str | None = None  # a name later entries use to target this one's version
    target: str | None = None  # for corrections/retractions: the key of the target


@dataclass
class Story:
    """One case's history in the domain's words; entries are recorded in entry-day order."""

    scenario: str
    opened: dict[str, Any]
    opened_entered: date
    office_id: str = OFFICE
    entries: list[Entry] = field(default_factory=list)

    def add(
        self,
        event_type: str,
        *,
        entered: date | None = None,
        key: str | None = None,
        target: str | None = None,
        **payload: Any,
    ) -> None:
        """Add an event; by default entered on its own effective day."""
        day = entered or payload[EFFECTIVE_DATE_FIELD[event_type]]
        self.entries.append(Entry(day, event_type, payload, key, target))
