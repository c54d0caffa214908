"""Builders for given-events tests: a case recorded through the real aggregate, no database.

``CaseBuilder`` drives :class:`domain.case.Case` with a controllable clock, so tests
state facts in the domain's words and get the same ``Recorded`` events the store holds::

    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.at("2025-02-01T10:00:00+09:00").contact("2025-01-20")
    entitlement(b.records, on=date(2025, 1, 31))
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.history import Recorded

OFFICE = "1310100001"
OTHER_OFFICE = "2710100002"


def case_opened_payload(opened_on: str = "2024-03-01", **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "person": {"name": "試験 花子", "name_kana": "シケン ハナコ"},
        "recipient_number": "1234567890",
        "municipality_code": "131016",
        "office_id": OFFICE,
        "prior_service": {"kind": "employment_transition", "ended_on": "2024-03-31"},
        "opened_on": opened_on,
    }
    payload.update(overrides)
    return payload


class CaseBuilder:
    """Records events on a real ``Case``; each event is recorded one minute after the last."""

    def __init__(
        self,
        opened_on: str = "2024-03-01",
        *,
        now: str = "2027-12-31T12:00:00+09:00",
        case_id: UUID | None = None,
        by: str = "担当 一郎",
        **overrides: Any,
    ) -> None:
        self.now = datetime.fromisoformat(now)
        self.by = by
        self.case = Case.open(
            case_opened_payload(opened_on, **overrides),
            recorded_by=by,
            recorded_at=self._tick(),
            case_id=case_id or UUID("00000000-0000-4000-8000-000000000001"),
        )

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now.astimezone(UTC)

    def at(self, instant: str) -> CaseBuilder:
        """Record the next events from this instant on."""
        self.now = datetime.fromisoformat(instant) - timedelta(minutes=1)
        return self

    @property
    def records(self) -> list[Recorded]:
        return self.case.records

    @property
    def last_instant(self) -> datetime:
        return self.records[-1].recorded_at

    def event(self, event_type: str, **payload: Any) -> int:
        """Record any event; returns its version."""
        rec = self.case.record(event_type, payload, recorded_by=self.by, recorded_at=self._tick())
        return rec.version

    # Shorthands in the domain's words (dates as ISO text) ------------------------
    def hired(self, on: str, employer: str = "株式会社サンプル", **kw: Any) -> int:
        return self.event("hired", hired_on=on, employer={"name": employer}, **kw)

    def resigned(self, on: str, **kw: Any) -> int:
        return self.event("resigned", resigned_on=on, **kw)

    def decision(self, valid_from: str, valid_to: str, decided_on: str | None = None) -> int:
        return self.event(
            "decision_granted",
            decided_on=decided_on or valid_from,
            valid_from=valid_from,
            valid_to=valid_to,
        )

    def contract(self, signed_on: str, support_from: str | None = None) -> int:
        start = support_from or signed_on
        return self.event("contract_signed", signed_on=signed_on, support_from=start)

    def contact(
        self, on: str, mode: str = "face_to_face", counterpart: str = "person", **kw: Any
    ) -> int:
        return self.event(
            "contact_recorded", contact_on=on, counterpart=counterpart, mode=mode, **kw
        )

    def report(self, month: str, shared_on: str, shared_with: list[str] | None = None) -> int:
        return self.event(
            "support_report_shared", month=month, shared_on=shared_on,
            shared_with=shared_with or ["本人", "株式会社サンプル"],
        )  # fmt: skip

    def plan(self, revised_on: str, goals: list[str] | None = None) -> int:
        goals = goals or ["生活リズムの安定"]
        return self.event("plan_revised", revised_on=revised_on, goals=goals)

    def consent(
        self,
        consent_id: str,
        given_on: str,
        parties: list[str],
        information: list[str],
        written: bool = True,
    ) -> int:
        return self.event(
            "consent_given", consent_id=consent_id, given_on=given_on, written=written,
            parties=parties, information=information,
        )  # fmt: skip

    def correct(self, target: int, reason: str = "入力誤りの訂正", **replacement: Any) -> int:
        return self.event(
            "event_corrected", target_version=target, reason=reason, replacement=replacement
        )

    def retract(self, target: int, reason: str = "誤登録のため取消") -> int:
        return self.event("event_retracted", target_version=target, reason=reason)


def d(text: str) -> date:
    return date.fromisoformat(text)
