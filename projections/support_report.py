"""The monthly support report (支援レポート, MON-4): a draft from the case's facts for one month.

A pure function of one reading of the case (its facts as known now, evaluated on today):
the person, the office, the month's face-to-face support with the person, the contacts
and visits with the employer, the other contacts and case meetings, the plan's goals
(the latest revision on or before the month's end), the face-to-face verdict of
:func:`projections.compliance.compliance` for the month, and two free texts that staff
edit: 今月の様子 (drafted from the month's summaries) and 次月に向けて (drafted from the
plan). Who may receive it is :mod:`projections.support_report_recipients` (CON-1..3).

The report's *content* (:meth:`SupportReport.content`) is what is handed out; its
SHA-256 (:func:`content_sha256`, the same canonical JSON as the hash chain) is recorded
with ``support_report_shared`` so the sharing names exactly what was shared. The content
leaves out whether the month's report was already shared (MON-4): that changes when the
report is recorded, and the hash must not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from domain.history import Fact
from domain.payloads import CaseMeetingHeld, CaseOpened, ContactRecorded, Hired, PlanRevised
from domain.rules import con, mon
from domain.rules.cal import month_end
from projections.compliance import compliance, plan_status
from projections.reading import Reading

FORMAT = "teichaku-support-report/1"
#: The longest free text accepted (a page and a half of the printed report).
MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class Line:
    """One contact or meeting of the month, as the report prints it."""

    day: date
    with_ja: str  # 本人・事業主・… or the meeting's parties
    mode_ja: str  # 対面・電話・… or ケース会議
    place: str
    summary: str
    version: int

    def as_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "with": self.with_ja, "mode": self.mode_ja,
                "place": self.place, "summary": self.summary, "version": self.version}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verdict:
    """MON-1/MON-2 for the month: was there face-to-face support that can be billed?"""

    face_to_face: int
    met: bool
    reasons: tuple[tuple[str, str], ...]  # (rule id, text) of every reason but MON-4

    def as_json(self) -> dict[str, Any]:
        reasons = [{"rule": rule, "text_ja": text} for rule, text in self.reasons]
        return {"face_to_face": self.face_to_face, "met": self.met, "reasons": reasons}


@dataclass(frozen=True, slots=True)
class SupportReport:
    case_id: UUID
    month: str
    person: str
    office_id: str
    employer: str
    face_to_face: tuple[Line, ...]
    employer_contacts: tuple[Line, ...]
    other_contacts: tuple[Line, ...]
    plan_revised_on: date | None
    goals: tuple[str, ...]
    verdict: Verdict
    situation: str
    next_steps: str

    def content(self) -> dict[str, Any]:
        """What is handed out and hashed: every section, the free texts as edited."""
        return {
            "format": FORMAT, "case_id": str(self.case_id), "month": self.month,
            "person": self.person, "office_id": self.office_id, "employer": self.employer,
            "face_to_face": [x.as_json() for x in self.face_to_face],
            "employer_contacts": [x.as_json() for x in self.employer_contacts],
            "other_contacts": [x.as_json() for x in self.other_contacts],
            "plan": {"revised_on": _iso(self.plan_revised_on), "goals": list(self.goals)},
            "verdict": self.verdict.as_json(),
            "situation": self.situation, "next_steps": self.next_steps,
        }  # fmt: skip

    def with_text(self, situation: str | None, next_steps: str | None) -> SupportReport:
        """The report with the free texts staff edited (None keeps the draft's)."""
        return replace(
            self,
            situation=self.situation if situation is None else normalize_text(situation),
            next_steps=self.next_steps if next_steps is None else normalize_text(next_steps),
        )


def content_sha256(report: SupportReport) -> str:
    """SHA-256 of the canonical JSON of the content: keys sorted, no spaces, UTF-8 as is."""
    text = json.dumps(report.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_text(text: str) -> str:
    """Browsers send CRLF: one form of a text, so the same words always hash the same."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def month_first_day(month: str) -> date:
    """The first day of ``YYYY-MM``; ValueError (in Japanese) when it is not a month."""
    try:
        year, number = month.split("-")
        if len(year) != 4 or len(number) != 2:
            raise ValueError
        return date(int(year), int(number), 1)
    except ValueError:
        raise ValueError("月は YYYY-MM の形式で指定してください") from None


def draft_report(reading: Reading, case_id: UUID, month: str) -> SupportReport:
    """The report of ``month`` drafted from the case as ``reading`` reads it."""
    first = month_first_day(month)
    last = month_end(first)
    facts = [f for f in reading.history.facts if first <= f.effective_on <= last]
    contacts = [(f, f.payload) for f in facts if isinstance(f.payload, ContactRecorded)]
    f2f = [_line(f, c) for f, c in contacts if mon.satisfies_face_to_face(c)]
    employer = [_line(f, c) for f, c in contacts if mon.is_employer_contact(c)]
    others = [
        _line(f, c) for f, c in contacts
        if not mon.satisfies_face_to_face(c) and not mon.is_employer_contact(c)
    ] + [_meeting(f) for f in facts if isinstance(f.payload, CaseMeetingHeld)]  # fmt: skip
    others.sort(key=lambda x: (x.day, x.version))
    plan = _plan(reading, last)
    goals = tuple(plan.goals) if plan else ()
    opened = reading.history.opened()
    person = opened.payload if opened and isinstance(opened.payload, CaseOpened) else None
    return SupportReport(
        case_id, month, person.person.name if person else "", person.office_id if person else "",
        _employer(reading, last), tuple(f2f), tuple(employer), tuple(others),
        plan.revised_on if plan else None, goals, _verdict(reading, month),
        _situation(facts), _next_steps(reading, goals, last),
    )  # fmt: skip


def _line(fact: Fact, c: ContactRecorded) -> Line:
    who = c.party or con.COUNTERPART_LABEL_JA[c.counterpart]
    return Line(fact.effective_on, who, mon.MODE_LABEL_JA[c.mode], c.place or "",
                c.summary or "", fact.version)  # fmt: skip


def _meeting(fact: Fact) -> Line:
    m = fact.payload
    assert isinstance(m, CaseMeetingHeld)
    return Line(fact.effective_on, "・".join(m.parties), "ケース会議", "", m.summary or "",
                fact.version)  # fmt: skip


def _plan(reading: Reading, last: date) -> PlanRevised | None:
    """The plan in force at the month's end: its latest revision on or before that day."""
    plans = [f.payload for f in reading.history.of_type("plan_revised") if f.effective_on <= last]
    found = plans[-1] if plans else None
    return found if isinstance(found, PlanRevised) else None


def _employer(reading: Reading, last: date) -> str:
    """The employer of the latest hire on or before the month's end."""
    hires = [f.payload for f in reading.history.of_type("hired") if f.effective_on <= last]
    found = hires[-1] if hires else None
    return found.employer.name if isinstance(found, Hired) else ""


def _verdict(reading: Reading, month: str) -> Verdict:
    """MON-1/MON-2 from the compliance projection; MON-4 (this report) is left out."""
    found = compliance(reading, from_month=month, to_month=month).months[0]
    reasons = tuple((r.rule, r.text_ja) for r in found.reasons if r.rule != "MON-4")
    return Verdict(found.face_to_face, not reasons and found.face_to_face > 0, reasons)


def _situation(facts: list[Fact]) -> str:
    """今月の様子: each summary of the month, dated, in day order."""
    lines = []
    for fact in facts:
        p = fact.payload
        if isinstance(p, ContactRecorded | CaseMeetingHeld) and p.summary:
            day = f"{fact.effective_on.month}月{fact.effective_on.day}日"
            lines.append(f"{day}({_kind_ja(p)}): {p.summary}")
    return "\n".join(lines) or "今月の支援記録には所見の記入がありません。"


def _kind_ja(p: ContactRecorded | CaseMeetingHeld) -> str:
    if isinstance(p, CaseMeetingHeld):
        return "ケース会議"
    who = con.COUNTERPART_LABEL_JA[p.counterpart]
    return f"{who}・{mon.MODE_LABEL_JA[p.mode]}"


def _next_steps(reading: Reading, goals: tuple[str, ...], last: date) -> str:
    """次月に向けて: the plan's goals, and the plan review when it falls due by next month."""
    if not goals:
        return "支援計画の記録がありません。計画を作成し、本人の同意を得て交付します。"
    text = "支援計画の目標(" + "・".join(f"「{g}」" for g in goals) + ")に沿って支援を続けます。"
    plan = plan_status(reading)
    due = plan.review_due_by
    if plan.overdue and due is not None:
        text += f"\n支援計画の見直し期限({due.isoformat()})を過ぎています。見直します。"
    elif due is not None and due <= month_end(date.fromordinal(last.toordinal() + 1)):
        text += f"\n支援計画の見直し期限は{due.isoformat()}です。"
    return text


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
