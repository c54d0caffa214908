"""Hypothesis strategies: random but valid case histories, recorded through the real aggregate.

Each history is built step by step with :class:`tests.factories.CaseBuilder`: the clock
moves forward by a random number of days before every step, each fact is dated on or
before the day it is recorded (never before the case opened), and a step the aggregate
refuses (a resignation with no job, a withdrawal of an unknown consent, …) is skipped,
exactly as staff would see it refused. Corrections and retractions target earlier
events, so read-as-of behaviour is exercised too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from domain.case import CaseRuleViolation
from domain.history import Recorded, tokyo_date
from domain.payloads import AMENDMENT_TYPES, EFFECTIVE_DATE_FIELD, InvalidPayload
from tests.factories import CaseBuilder

OPENED_ON = date(2024, 3, 1)
START = datetime.fromisoformat("2024-03-01T09:00:00+09:00")

STEP_KINDS = (
    "hire", "hire", "resign", "contact", "contact", "employer_contact", "report", "plan",
    "decision", "contract", "consent", "withdraw", "job_change", "meeting", "correct",
    "retract",
)  # fmt: skip

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _day(draw: Draw, b: CaseBuilder) -> str:
    """A fact's day: on or up to 20 days before the day it is recorded, never before opening."""
    today = tokyo_date(b.now + timedelta(minutes=1))
    day = today - timedelta(days=draw(st.integers(0, 20)))
    return max(day, OPENED_ON).isoformat()


EMPLOYERS = st.sampled_from(["株式会社サンプル", "有限会社テスト"])
CONSENT_IDS = st.integers(1, 3).map(lambda n: f"C{n}")
Step = Callable[[Draw, CaseBuilder, str], object]

#: One way of recording each kind of event, given a draw, the builder and the fact's day.
STEPS: dict[str, Step] = {
    "hire": lambda draw, b, on: b.hired(on, employer=draw(EMPLOYERS)),
    "resign": lambda draw, b, on: b.resigned(on),
    "contact": lambda draw, b, on: b.contact(
        on, mode=draw(st.sampled_from(["face_to_face", "face_to_face", "phone"]))
    ),
    "employer_contact": lambda draw, b, on: b.contact(
        on,
        counterpart="employer",
        party="株式会社サンプル",
        information_shared=draw(st.sampled_from([[], ["勤務状況"]])),
    ),
    "report": lambda draw, b, on: b.report(on[:7], on),
    "plan": lambda draw, b, on: b.plan(on),
    "decision": lambda draw, b, on: b.decision(
        on, (date.fromisoformat(on) + timedelta(days=draw(st.integers(30, 400)))).isoformat()
    ),
    "contract": lambda draw, b, on: b.contract(on),
    "consent": lambda draw, b, on: b.consent(
        draw(CONSENT_IDS), on, ["株式会社サンプル"], ["勤務状況"]
    ),
    "withdraw": lambda draw, b, on: b.event(
        "consent_withdrawn", consent_id=draw(CONSENT_IDS), withdrawn_on=on
    ),
    "job_change": lambda draw, b, on: b.event(
        "job_changed", changed_on=on, aspect=draw(st.sampled_from(["duties", "hours"]))
    ),
    "meeting": lambda draw, b, on: b.event(
        "case_meeting_held", held_on=on, parties=["株式会社サンプル"], information_shared=[]
    ),
    "correct": lambda draw, b, on: _amend(draw, b, "correct"),
    "retract": lambda draw, b, on: _amend(draw, b, "retract"),
}


def _amend(draw: Draw, b: CaseBuilder, kind: str) -> None:
    facts = [r for r in b.records if r.type not in AMENDMENT_TYPES]
    target = draw(st.sampled_from(facts))
    if kind == "retract":
        b.retract(target.version)
        return
    b.event(
        "event_corrected",
        target_version=target.version,
        reason="入力誤りの訂正",
        replacement=_shifted(draw, b, target),
    )


def _shifted(draw: Draw, b: CaseBuilder, target: Recorded) -> dict[str, Any]:
    """The target's payload (as first recorded) with its effective day moved a little."""
    payload = dict(target.payload)
    name = EFFECTIVE_DATE_FIELD[target.type]
    payload[name] = _day(draw, b) if draw(st.booleans()) else payload[name]
    if target.type == "decision_granted":
        payload["decided_on"] = payload["valid_from"] = min(payload[name], payload["valid_to"])
    return payload


@st.composite
def case_histories(draw: Draw, max_steps: int = 14) -> list[Recorded]:
    """A valid case history: ``case_opened`` then up to ``max_steps`` accepted events."""
    b = CaseBuilder(opened_on=OPENED_ON.isoformat(), now=START.isoformat())
    for _ in range(draw(st.integers(0, max_steps))):
        gap = timedelta(days=draw(st.integers(0, 60)), minutes=draw(st.integers(1, 600)))
        b.at((b.now + gap).isoformat())
        try:
            kind = draw(st.sampled_from(STEP_KINDS))
            STEPS[kind](draw, b, _day(draw, b))
        except (CaseRuleViolation, InvalidPayload):
            continue  # the aggregate refused it: the history stays valid without it
    return b.records


def instants_within(records: list[Recorded]) -> st.SearchStrategy[datetime]:
    """An instant somewhere between the first and the last record (inclusive)."""
    first, last = records[0].recorded_at, records[-1].recorded_at
    span = int((last - first).total_seconds())
    return st.integers(0, span).map(lambda s: first + timedelta(seconds=s))


evaluation_days = st.dates(min_value=date(2024, 3, 1), max_value=date(2028, 6, 30))
