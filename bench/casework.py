"""One synthetic case's 3 years 6 months, planned as the events an office would enter.

Opened two weeks before the hire, hired, consent and contract before support starts
(ELIG-3: six months after the hire), a decision each year, the plan revised every three
months (a case meeting every six), face-to-face contacts with the person and a visit to
the employer every month, phone/online/mail check-ins, the monthly report, yearly
evidence, and — for some cases — a change within the employer, a change of employer
within a month (JOB-2), a withdrawn consent, corrections and a retraction; support ends
on the ELIG-4 day. Names are fictional. Period arithmetic is ``domain.rules.cal``'s; here
only days within a month are chosen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from domain.rules.cal import add_months, month_end, month_start, next_period_start, period_end

OFFICE = "1310100001"
STAFF = ["支援員 甲", "支援員 乙", "支援員 丙"]
SURNAMES = ["架空", "見本", "試験", "仮名", "例示", "模擬", "標本", "雛形"]
GIVEN = ["花子", "太郎", "次郎", "桜", "翼", "葵", "蓮", "陽菜"]
EMPLOYERS = ["株式会社みほん物流", "架空食品株式会社", "例示ホテル株式会社", "試験電機株式会社"]
INFO = ["就労状況", "支援レポート", "障害特性"]
CENTER = "みほん障害者就業・生活支援センター"


@dataclass
class Entry:
    """One planned event of a case; ``target`` is the entry a correction/retraction amends."""

    day: date
    type: str
    payload: dict[str, Any]
    target: Entry | None = None
    version: int = 0


@dataclass
class Plan:
    """One case's events, in the order they will be recorded."""

    opened: dict[str, Any]
    opened_day: date
    entries: list[Entry] = field(default_factory=list)

    def add(self, day: date, event_type: str, target: Entry | None = None, **payload: Any) -> Entry:
        entry = Entry(day, event_type, payload, target)
        self.entries.append(entry)
        return entry


def plan_case(
    n: int, hired_on: date, rng: random.Random, intensity: int = 2, office: str = OFFICE
) -> Plan:
    """The 3.5 years of case ``n`` hired on ``hired_on``; ``intensity`` = person contacts/month.

    ``office``: the 10-digit office the case belongs to (default :data:`OFFICE`).
    """
    employer = EMPLOYERS[n % len(EMPLOYERS)]
    opened_on = hired_on - timedelta(days=14)
    plan = Plan(_opened(n, opened_on, hired_on, office), opened_on)
    plan.add(hired_on, "hired", hired_on=_iso(hired_on), employer={"name": employer})
    support_from = next_period_start(hired_on, 6)  # ELIG-3
    last_day = period_end(hired_on, 42)  # ELIG-4
    _consent(plan, "C1", support_from - timedelta(days=10), [employer, "本人"])
    signed = support_from - timedelta(days=7)
    plan.add(signed, "contract_signed", signed_on=_iso(signed), support_from=_iso(support_from))
    _decisions(plan, support_from, last_day)
    _plans_and_meetings(plan, support_from, last_day, [employer, "本人"])
    employer = _monthly(plan, n, support_from, last_day, employer, rng, intensity)
    plan.add(
        last_day,
        "support_ended",
        ended_on=_iso(last_day),
        reason="period_expired",
        handed_over_to=CENTER,
    )
    plan.entries.sort(key=lambda e: e.day)  # stable: same-day entries keep their order
    for version, entry in enumerate(plan.entries, start=2):
        entry.version = version
    return plan


def _opened(n: int, opened_on: date, hired_on: date, office: str = OFFICE) -> dict[str, Any]:
    name = f"{SURNAMES[n % len(SURNAMES)]} {GIVEN[(n // len(SURNAMES)) % len(GIVEN)]}"
    return {
        "person": {"name": name},
        "recipient_number": f"{9000000000 + n}",
        "municipality_code": "131016",
        "office_id": office,
        "prior_service": {
            "kind": "employment_transition",
            "ended_on": _iso(hired_on - timedelta(days=1)),
        },
        "opened_on": _iso(opened_on),
    }


def _consent(plan: Plan, cid: str, day: date, parties: list[str]) -> None:
    plan.add(
        day,
        "consent_given",
        consent_id=cid,
        given_on=_iso(day),
        written=True,
        parties=parties,
        information=INFO,
        purpose="職場定着の支援のため",
    )


def _decisions(plan: Plan, support_from: date, last_day: date) -> None:
    start = support_from
    while start <= last_day:
        end = min(period_end(start, 12), last_day)
        decided = start - timedelta(days=20)
        plan.add(
            decided,
            "decision_granted",
            decided_on=_iso(decided),
            valid_from=_iso(start),
            valid_to=_iso(end),
            municipality_code="131016",
        )
        start = next_period_start(start, 12)


def _plans_and_meetings(plan: Plan, support_from: date, last_day: date, parties: list[str]) -> None:
    revised, count = support_from, 0
    while revised <= last_day:
        goals = ["生活リズムを整えて遅刻なく出勤する", "困ったときに上司へ相談できる"][
            : 1 + count % 2
        ]
        plan.add(
            revised,
            "plan_revised",
            revised_on=_iso(revised),
            goals=goals,
            agreed_on=_iso(revised),
            delivered_on=_iso(revised),
        )
        if count % 2 == 1:
            plan.add(
                revised,
                "case_meeting_held",
                held_on=_iso(revised),
                parties=parties,
                person_attended=True,
                information_shared=["就労状況"],
            )
        revised = period_end(revised, 3) - timedelta(days=5)  # reviewed before PLAN-2's limit
        count += 1


def _monthly(
    plan: Plan, n: int, first: date, last: date, employer: str, rng: random.Random, intensity: int
) -> str:
    """Contacts, visits, reports, evidence, and the occasional change; returns the employer."""
    changes_employer = n % 7 == 3
    month, index = month_start(first), 0
    while month <= last:
        end = min(month_end(month), last)
        start = max(month, first)
        if changes_employer and index == 14:
            employer, start = _change_employer(plan, start, employer)
        if index % 12 == 1:
            plan.add(
                start,
                "evidence_received",
                received_on=_iso(start),
                kind="employment_certificate",
                covers_on=_iso(start),
            )
        _contacts(plan, start, end, employer, rng, intensity)
        if n % 4 == 1 and index == 9:
            plan.add(
                start,
                "job_changed",
                changed_on=_iso(start),
                aspect="supervisor",
                description="直属の上司が交代した",
            )
        if n % 5 == 2 and index == 20:
            plan.add(end, "consent_withdrawn", consent_id="C1", withdrawn_on=_iso(end))
            _consent(plan, "C2", end, [employer, "本人"])
        plan.add(
            end,
            "support_report_shared",
            month=month.strftime("%Y-%m"),
            shared_on=_iso(end),
            shared_with=["本人", employer],
        )
        month, index = add_months(month, 1), index + 1
    return employer


def _contacts(
    plan: Plan, start: date, end: date, employer: str, rng: random.Random, intensity: int
) -> None:
    span = (end - start).days
    for k in range(intensity):
        day = start + timedelta(days=span * k // max(intensity, 1))
        summary = rng.choice(
            ["体調は安定。", "業務量に不安あり。", "通勤は問題なし。", "睡眠不足の訴え。"]
        )
        contact = plan.add(
            day,
            "contact_recorded",
            contact_on=_iso(day),
            counterpart="person",
            mode="face_to_face",
            place="職場近くの面談室",
            summary=summary,
        )
        if rng.random() < 0.04:
            fixed = {**contact.payload, "summary": summary + "(聞き取り内容を補足)"}
            plan.add(
                min(day + timedelta(days=1), end),
                "event_corrected",
                contact,
                target_version=0,
                reason="記載漏れの補足",
                replacement=fixed,
            )
        elif rng.random() < 0.01:
            plan.add(
                min(day + timedelta(days=1), end),
                "event_retracted",
                contact,
                target_version=0,
                reason="別の方の記録を誤って登録したため",
            )
    visit = start + timedelta(days=span // 2)
    plan.add(
        visit,
        "contact_recorded",
        contact_on=_iso(visit),
        counterpart="employer",
        mode="face_to_face",
        party=employer,
        summary="職場訪問。上司と業務の様子を確認。",
    )
    for _ in range(intensity // 2):
        call = start + timedelta(days=rng.randint(0, span))
        plan.add(
            call,
            "contact_recorded",
            contact_on=_iso(call),
            counterpart="person",
            mode=rng.choice(["phone", "online", "mail"]),
            summary="近況の確認",
        )


def _change_employer(plan: Plan, day: date, old: str) -> tuple[str, date]:
    """JOB-2: leave, coordinate with an agency, and start a new job within a month."""
    new = EMPLOYERS[(EMPLOYERS.index(old) + 1) % len(EMPLOYERS)]
    plan.add(day, "resigned", resigned_on=_iso(day), reason="人間関係による自己都合退職")
    talk = day + timedelta(days=5)
    plan.add(
        talk,
        "contact_recorded",
        contact_on=_iso(talk),
        counterpart="agency",
        mode="face_to_face",
        summary="相談支援専門員と次の職場について調整",
    )
    hired = day + timedelta(days=20)
    plan.add(hired, "hired", hired_on=_iso(hired), employer={"name": new})
    _consent(plan, "C-" + new, hired, [new, "本人"])
    return new, hired


def _iso(day: date) -> str:
    return day.isoformat()
