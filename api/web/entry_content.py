"""What a timeline entry says, in words: the content of the record, not only its type.

Reading last month's notes before a meeting is the most common thing a worker does, so
the 経過 list shows each record's content — where, with whom, how, what was written,
who received which information — with long notes folded (one click opens them).
Version numbers, hashes and JSON are for auditors (they see versions on the same page);
a staff member reads who recorded it and what it says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from api.web.labels import CHOICE_LABEL_JA, label_of

#: The fields each record type shows, in order (its date is the entry's date; the type
#: is its title). Hashes, ids of other records and the opening's personal data are left
#: out: the page's header already names the person.
SHOWN: dict[str, tuple[str, ...]] = {
    "hired": ("employer.name", "job_title", "weekly_hours", "disclosed"),
    "resigned": ("reason",),
    "job_changed": ("aspect", "description"),
    "contract_signed": ("support_from",),
    "decision_granted": ("valid_from", "valid_to"),
    "consent_given": ("consent_id", "written", "parties", "information", "purpose", "valid_until"),
    "consent_withdrawn": ("consent_id",),
    "contact_recorded": ("counterpart", "mode", "place", "party", "information_shared", "summary"),
    "case_meeting_held": ("parties", "person_attended", "information_shared", "summary"),
    "plan_revised": ("goals", "agreed_on", "delivered_on"),
    "support_report_shared": ("month", "shared_with"),
    "evidence_received": ("kind", "covers_on"),
    "support_ended": ("reason", "handed_over_to"),
    "request_declined": ("reason",),
}
#: A text longer than this many characters is folded, its first part shown.
FOLD_AT = 80
_HINT = re.compile(r"\([^)]*\)$")  # a form's hint after a label: 「共有先(1行に1件)」
_VERSION_NOTE = re.compile(r"\(第\d+版(?:で(訂正|取消))?\)")


@dataclass(frozen=True, slots=True)
class Shown:
    """One line of a record's content: its label, its text, whether it is folded."""

    label: str
    text: str

    @property
    def folded(self) -> bool:
        return len(self.text) > FOLD_AT

    @property
    def opening(self) -> str:
        """What a folded text shows before it is opened."""
        return self.text[: FOLD_AT // 2].rstrip() + "…"


def entry_content(entry: dict[str, Any]) -> list[Shown]:
    """The content of a timeline entry (a milestone has none: its rule says it)."""
    payload = entry.get("payload") or {}
    shown = []
    for name in SHOWN.get(str(entry.get("kind", "")), ()):
        text = _text(_value(payload, name))
        if text:
            shown.append(Shown(_HINT.sub("", label_of(name)), text))
    return shown


def staff_label(label: str) -> str:
    """A timeline label without version numbers: 「(第12版で訂正)」 → 「(訂正あり)」, and a
    milestone's 「支給決定の終了日(第90版)」 → 「支給決定の終了日」."""
    return _VERSION_NOTE.sub(lambda m: f"({m.group(1)}あり)" if m.group(1) else "", label)


def _value(payload: dict[str, Any], dotted: str) -> Any:
    value: Any = payload
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    text = str(value)
    return CHOICE_LABEL_JA.get(text, text)
