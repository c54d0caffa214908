"""A case that holds every event type once, with Japanese text in every free-text field."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.payloads import PAYLOADS, SYSTEM_TYPES
from domain.store.application import CaseLog

STAFF = "担当 一郎"
PERSON_NAME = "定着 花子"

OPENED: dict[str, Any] = {
    "person": {"name": PERSON_NAME, "name_kana": "テイチャク ハナコ"},
    "recipient_number": "1234567890",
    "municipality_code": "131016",
    "office_id": "1310100001",
    "prior_service": {"kind": "employment_transition", "ended_on": "2024-03-31"},
    "opened_on": "2024-03-01",
}

#: (type, payload) in an order the case's invariants accept; versions start at 2.
EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("hired", {"hired_on": "2024-04-01", "employer": {"name": "株式会社さくら物流"},
               "job_title": "倉庫内軽作業", "weekly_hours": 30, "disclosed": True}),
    ("contract_signed", {"signed_on": "2024-09-20", "support_from": "2024-10-01"}),
    ("decision_granted", {"decided_on": "2024-09-25", "valid_from": "2024-10-01",
                          "valid_to": "2025-09-30", "municipality_code": "131016"}),
    ("consent_given", {"consent_id": "同意-001", "given_on": "2024-09-20", "written": True,
                       "parties": ["株式会社さくら物流 人事課"],
                       "information": ["障害特性", "通院状況"], "purpose": "職場定着の支援のため"}),
    ("contact_recorded", {"contact_on": "2024-10-15", "counterpart": "person",
                          "mode": "face_to_face", "place": "自宅近くの喫茶店",
                          "summary": "睡眠リズムが整ってきた。「疲れやすい」との訴えあり。"}),
    ("case_meeting_held", {"held_on": "2024-10-20", "parties": ["本人", "人事課 鈴木"],
                           "person_attended": True, "information_shared": ["障害特性"],
                           "summary": "配置換えの希望を確認"}),
    ("plan_revised", {"revised_on": "2024-10-25", "goals": ["生活リズムの安定", "報連相の定着"],
                      "agreed_on": "2024-10-25", "delivered_on": "2024-10-26"}),
    ("support_report_shared", {"month": "2024-10", "shared_on": "2024-10-31",
                               "shared_with": ["本人", "株式会社さくら物流"]}),
    ("evidence_received", {"received_on": "2024-11-05", "kind": "payslip",
                           "covers_on": "2024-10-31"}),
    ("job_changed", {"changed_on": "2024-11-10", "aspect": "supervisor",
                     "description": "上司が田中さんから佐藤さんに交代"}),
    ("consent_withdrawn", {"consent_id": "同意-001", "withdrawn_on": "2024-12-01"}),
    ("request_declined", {"declined_on": "2024-12-02", "reason": "定員超過のため(記録のみ)"}),
    ("resigned", {"resigned_on": "2025-03-31", "reason": "体調不良による自己都合退職"}),
    ("support_ended", {"ended_on": "2025-03-31", "reason": "resigned",
                       "handed_over_to": "○○障害者就業・生活支援センター"}),
    ("event_corrected", {"target_version": 6, "reason": "聞き取り内容の誤記を訂正",
                         "replacement": {"contact_on": "2024-10-15", "counterpart": "person",
                                         "mode": "face_to_face", "place": "駅前の喫茶店",
                                         "summary": "睡眠リズムは整ってきた。"}}),
    ("event_retracted", {"target_version": 13, "reason": "別の方の記録を誤って登録したため"}),
]  # fmt: skip

assert {t for t, _ in EVENTS} | {"case_opened"} == set(PAYLOADS) - SYSTEM_TYPES, "every type once"


def record_every_type(app: CaseLog) -> UUID:
    """Open the sample case and record every other event type on it; returns its id."""
    case = app.open_case(OPENED, recorded_by=STAFF)
    for event_type, payload in EVENTS:
        app.record(case.id, event_type, payload, recorded_by=STAFF)
    return case.id
