"""One vocabulary for a month's billing state, shared by every staff page (issue 20).

The list (dashboard), the case page's month grid, the report page, the due list and the
billing check all say a month's state with :func:`month_words`, so one month reads the
same everywhere:

- 「請求可」 — the month is billable;
- 「今月まだ: 支援レポート(残り26日)」 — the month is still in progress (decision 0028)
  and something is missing: what (対面支援, 支援レポート) and the days left;
- 「請求不可」 — the month has ended unbilled; every reason with its rule id.

Presentation only: the verdict is the compliance fold's (``billable``), and "in
progress" is the billing check's own test (the month of the day shown), unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.rules.cal import month_of
from projections.views.office import days_left_in_month

BILLABLE, IN_PROGRESS, UNBILLABLE = "billable", "in_progress", "unbillable"
LABEL_JA = {BILLABLE: "請求可", IN_PROGRESS: "今月まだ", UNBILLABLE: "請求不可"}
FACE_TO_FACE_JA, REPORT_JA = "対面支援", "支援レポート"


@dataclass(frozen=True, slots=True)
class MonthWords:
    """A month's state in words: the short text every page shows, and the reasons why."""

    state: str  # billable | in_progress | unbillable
    missing: tuple[str, ...]  # 対面支援 and/or 支援レポート (in progress only)
    days_left: int | None  # in progress only
    reasons: tuple[tuple[str, str], ...]  # (rule id, text) of every reason not met

    @property
    def label(self) -> str:
        return LABEL_JA[self.state]

    @property
    def text(self) -> str:
        """「請求可」, 「今月まだ: 対面支援・支援レポート(残りN日)」 or 「請求不可」."""
        if self.state != IN_PROGRESS:
            return self.label
        return f"{self.label}: {'・'.join(self.missing)}(残り{self.days_left}日)"

    @property
    def sentence(self) -> str:
        """What is still missing as a sentence (「支援レポートがまだです」), or ""."""
        return f"{'と'.join(self.missing)}がまだです" if self.missing else ""


def month_words(month: Any, today: dt.date) -> MonthWords:
    """The words for one month (a compliance month, a view row's month, or its JSON)
    judged on ``today``: the month of ``today`` is in progress until it ends."""
    billable = bool(_get(month, "billable"))
    reasons = tuple(_reason(r) for r in _get(month, "reasons") or ())
    if billable:
        return MonthWords(BILLABLE, (), None, ())
    if _get(month, "month") != month_of(today):
        return MonthWords(UNBILLABLE, (), None, reasons)
    return MonthWords(IN_PROGRESS, _missing(month, reasons), days_left_in_month(today), reasons)


def _missing(month: Any, reasons: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    # Any reason but MON-4 is about the face-to-face (none yet, or none on a covered day).
    face = not _get(month, "face_to_face") or any(rule != "MON-4" for rule, _ in reasons)
    report = not _get(month, "report_shared")
    return tuple(w for w, lacking in ((FACE_TO_FACE_JA, face), (REPORT_JA, report)) if lacking)


def _get(month: Any, name: str) -> Any:
    return month.get(name) if isinstance(month, Mapping) else getattr(month, name)


def _reason(reason: Any) -> tuple[str, str]:
    return str(_get(reason, "rule")), str(_get(reason, "text_ja"))


def billing_words(line: Mapping[str, Any], today: dt.date) -> MonthWords:
    """The words for one line of the billing check (its verdict stands for ``billable``)."""
    return month_words({**line, "billable": line["verdict"] == BILLABLE}, today)
