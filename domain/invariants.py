"""Invariants that need the case's history, checked on the history as it would read.

The aggregate builds the history that *would* result from a new event (corrections and
retractions included) and refuses the event when it creates a problem that was not
there before. One checker therefore guards plain events, corrections and retractions
alike: retracting a hire that a resignation depends on is refused just like a
resignation without a hire.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.history import Fact, History
from domain.payloads import (
    EFFECTIVE_DATE_FIELD,
    CaseOpened,
    ConsentGiven,
    ConsentWithdrawn,
    Hired,
    Resigned,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """An inconsistency in a history: which event, which field, what a person should do."""

    code: str
    version: int
    field: str
    message: str


def consistency_problems(history: History) -> list[Problem]:
    """Every inconsistency of the history, in effective order."""
    problems: list[Problem] = []
    problems += _before_opening(history)
    problems += _employment_sequence(history.facts)
    problems += _consent_sequence(history.facts)
    return problems


def _before_opening(history: History) -> list[Problem]:
    opened = history.opened()
    if opened is None:
        return []
    assert isinstance(opened.payload, CaseOpened)
    opened_on = opened.payload.opened_on
    return [
        Problem(
            "before_opening",
            f.version,
            EFFECTIVE_DATE_FIELD[f.type],
            f"ケース開始日({opened_on.isoformat()})より前の日付は記録できません",
        )
        for f in history.facts
        if f.type != "case_opened" and f.effective_on < opened_on
    ]


def _employment_sequence(facts: tuple[Fact, ...]) -> list[Problem]:
    problems: list[Problem] = []
    current: Hired | None = None
    for fact in facts:
        if fact.type == "hired":
            if current is not None:
                problems.append(
                    Problem(
                        "hire_while_employed",
                        fact.version,
                        "hired_on",
                        "在職中の就職は記録できません。先に前職の退職を記録してください",
                    )
                )
            assert isinstance(fact.payload, Hired)
            current = fact.payload
        elif fact.type == "resigned":
            assert isinstance(fact.payload, Resigned)
            if current is None:
                problems.append(
                    Problem(
                        "resignation_without_employment",
                        fact.version,
                        "resigned_on",
                        "この日に在職中の就職記録がありません。先に就職を記録してください",
                    )
                )
            current = None
        elif fact.type == "job_changed" and current is None:
            problems.append(
                Problem(
                    "job_change_without_employment",
                    fact.version,
                    "changed_on",
                    "この日に在職中の就職記録がありません(職場内の変化は在職中のみ記録できます)",
                )
            )
    return problems


def _consent_sequence(facts: tuple[Fact, ...]) -> list[Problem]:
    problems: list[Problem] = []
    given: set[str] = set()
    withdrawn: set[str] = set()
    for fact in facts:
        if isinstance(fact.payload, ConsentGiven):
            if fact.payload.consent_id in given:
                problems.append(
                    Problem(
                        "duplicate_consent",
                        fact.version,
                        "consent_id",
                        "同じ同意IDが既に記録されています。別のIDを付けてください",
                    )
                )
            given.add(fact.payload.consent_id)
        elif isinstance(fact.payload, ConsentWithdrawn):
            cid = fact.payload.consent_id
            if cid not in given:
                message = "この日までに記録された同意にこの同意IDはありません"
                problems.append(Problem("unknown_consent", fact.version, "consent_id", message))
            elif cid in withdrawn:
                message = "この同意は既に撤回されています"
                code = "consent_already_withdrawn"
                problems.append(Problem(code, fact.version, "consent_id", message))
            withdrawn.add(cid)
    return problems
