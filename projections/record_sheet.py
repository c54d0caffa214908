"""Rules REC-1, REC-2 of spec/fees.md: the month's 実績記録票 (就労定着支援, J611).

Drawn from the events alone (REC-2): the case's reading at ``as_of`` and the claim of the
same month (:func:`projections.claim.person_month`), so a correction recorded later
changes the sheet, and ``as_of`` reproduces the sheet as it was printed.

- header (J611:01): サービス提供年月, 市町村番号, 事業所番号, 受給者証番号, 合計算定日数 (37),
  利用開始日 / 30日目 / 当月算定日数 (70–72), 特別地域加算(回) (123),
  定着支援連携促進加算(回) (146), 支援レポート共有日 (153).
- one line (J611:02) per day of the month with support: 算定日数 (45) 1 on a day of
  face-to-face support with the person (REC-1 ⚠); 特別地域加算 (81) 1 on the first such day
  when FEE-6 applies ⚠; 定着支援連携促進加算 (90) 1 (Ⅰ) or 2 (Ⅱ) on the day of the meeting
  FEE-3 claims; 備考 (35): how the day's support was given (never the summary's text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.history import Fact
from domain.payloads import (
    CaseMeetingHeld,
    CaseOpened,
    ContactRecorded,
    DecisionGranted,
    SupportReportShared,
)
from domain.rules import mon
from domain.rules.cal import month_end, month_of
from projections.claim import PersonMonth
from projections.reading import Reading

#: J611 item numbers and names (fees.md REC, 国保連 interface spec 令和7年10月版).
HEADER_ITEMS = {
    "service_month": ("サービス提供年月", None),
    "municipality_code": ("市町村番号", None),
    "office_id": ("事業所番号", None),
    "recipient_number": ("受給者証番号", None),
    "total_days": ("合計算定日数", 37),
    "start_day": ("利用開始日", 70),
    "day30": ("30日目", 71),
    "initial_days": ("当月算定日数", 72),
    "special_area_times": ("特別地域加算(回)", 123),
    "meeting_times": ("定着支援連携促進加算(回)", 146),
    "report_shared_on": ("支援レポート共有日", 153),
}
LINE_ITEMS = {
    "day": ("日付", None),
    "counted": ("算定日数", 45),
    "special_area": ("特別地域加算", 81),
    "meeting": ("定着支援連携促進加算", 90),
    "note": ("備考", 35),
}
MODE_JA = {"face_to_face": "対面", "online": "オンライン", "phone": "電話", "mail": "メール"}
WHO_JA = {"person": "本人", "employer": "事業主", "family": "家族", "agency": "関係機関",
          "medical": "医療機関"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SheetLine:
    day: dt.date
    counted: int
    special_area: int
    meeting: int | None
    note: str
    events: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "counted": self.counted,
                "special_area": self.special_area, "meeting": self.meeting, "note": self.note,
                "events": list(self.events)}  # fmt: skip


@dataclass(frozen=True)
class RecordSheet:
    case_id: str
    month: str
    header: dict[str, Any]
    lines: tuple[SheetLine, ...]
    verdict: str
    as_of: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id, "month": self.month, "verdict": self.verdict,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "header": self.header,
            "header_items": {k: {"name_ja": n, "item": i} for k, (n, i) in HEADER_ITEMS.items()},
            "lines": [ln.as_json() for ln in self.lines],
            "line_items": {k: {"name_ja": n, "item": i} for k, (n, i) in LINE_ITEMS.items()},
            "rules": ["REC-1", "REC-2"],
            "interpretation_ja": (
                "⚠ 算定日数は本人との対面支援の日に1(REC-1)。特別地域加算は最初の算定日に1、"
                "地域連携会議は加算を算定した会議の日に(Ⅰ)=1・(Ⅱ)=2 としています"
            ),
        }  # fmt: skip


def record_sheet(reading: Reading, month: str, claim: PersonMonth, case_id: str) -> RecordSheet:
    """REC-1, REC-2: the sheet of ``month`` from the reading and the month's claim."""
    history = reading.history
    opened = history.opened()
    assert opened is not None and isinstance(opened.payload, CaseOpened)
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    last = month_end(first)
    days: dict[dt.date, list[Fact]] = {}
    for f in history.facts:
        if first <= f.effective_on <= last and f.type in ("contact_recorded", "case_meeting_held"):
            days.setdefault(f.effective_on, []).append(f)
    billable = claim.verdict == "billable"
    meeting = claim.meeting if claim.meeting is not None and claim.meeting.units else None
    lines: list[SheetLine] = []
    special_done = False
    for day in sorted(days):
        facts = days[day]
        counted = int(any(_face_to_face(f) for f in facts))
        special = int(bool(counted and billable and claim.special_area and not special_done))
        special_done = special_done or bool(special)
        code = meeting.code if meeting is not None and meeting.day == day else None
        lines.append(SheetLine(day, counted, special, code, _note(facts),
                               tuple(v for f in facts for v in f.sources)))  # fmt: skip
    initial = claim.initial or {}
    start, day30 = initial.get("start"), initial.get("day30")
    in_window = [ln for ln in lines if start and day30 and start <= ln.day <= day30 and ln.counted]
    shows_initial = bool(start and day30 and month in (month_of(start), month_of(day30)))
    header = {
        "service_month": month.replace("-", ""),
        "municipality_code": _municipality(history.facts, opened.payload),
        "office_id": opened.payload.office_id,
        "office_name": claim.office_name,  # not a J611 item: shown on the form, not sent
        "recipient_number": opened.payload.recipient_number,
        "total_days": sum(ln.counted for ln in lines),
        "start_day": start.strftime("%Y%m%d") if shows_initial and start else None,
        "day30": day30.strftime("%Y%m%d") if shows_initial and day30 else None,
        "initial_days": len(in_window) if shows_initial else None,
        "special_area_times": sum(ln.special_area for ln in lines),
        "meeting_times": 1 if meeting is not None else 0,
        "report_shared_on": _report_day(history.facts, month, opened.payload),
    }
    return RecordSheet(case_id, month, header, tuple(lines), claim.verdict, reading.as_of)


def _face_to_face(f: Fact) -> bool:
    return isinstance(f.payload, ContactRecorded) and mon.satisfies_face_to_face(f.payload)


def _note(facts: list[Fact]) -> str:
    parts = []
    for f in facts:
        p = f.payload
        if isinstance(p, ContactRecorded):
            who, how = WHO_JA.get(p.counterpart, p.counterpart), MODE_JA.get(p.mode, p.mode)
            parts.append(f"{who}・{how}")
        elif isinstance(p, CaseMeetingHeld):
            parts.append("ケース会議" + ("(関係機関)" if p.outside_bodies else ""))
    return "、".join(parts)


def _municipality(facts: tuple[Fact, ...], opened: CaseOpened) -> str:
    decisions = [f.payload.municipality_code for f in facts
                 if isinstance(f.payload, DecisionGranted) and f.payload.municipality_code]
    return str(decisions[-1]) if decisions else opened.municipality_code


def _report_day(facts: tuple[Fact, ...], month: str, opened: CaseOpened) -> str | None:
    names = [n for n in (opened.person.name, opened.person.name_kana) if n]
    shared = [f.payload for f in facts if isinstance(f.payload, SupportReportShared)
              and mon.report_for_month(f.payload, month)
              and mon.report_reaches_person(f.payload, names)]  # fmt: skip
    return min(p.shared_on for p in shared).strftime("%Y%m%d") if shared else None
