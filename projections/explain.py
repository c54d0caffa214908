"""The explanation every derived date, status and verdict carries.

``rule`` is an id of :mod:`domain.rules.catalogue`; ``events`` are the versions of the events
the fact came from (an original and the corrections applied to it); ``text_ja`` is a
sentence a staff member could read aloud in a dispute. Interpretive rules (⚠) say so
in their text, so the reader knows where judgement entered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.rules.catalogue import RULES


@dataclass(frozen=True, slots=True)
class Explanation:
    rule: str
    text_ja: str
    events: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise KeyError(f"unknown rule id {self.rule!r}")

    @property
    def interpretive(self) -> bool:
        return RULES[self.rule].interpretive

    def as_json(self) -> dict[str, Any]:
        text = self.text_ja
        if self.interpretive and "⚠" not in text:
            text = f"{text}(⚠解釈に基づく判断)"
        return {
            "rule": self.rule,
            "text_ja": text,
            "events": sorted(set(self.events)),
            "source": RULES[self.rule].source,
        }


def explained(rule: str, text_ja: str, *sources: Iterable[int]) -> Explanation:
    """Build an explanation from one or more groups of event versions."""
    versions: set[int] = set()
    for group in sources:
        versions.update(group)
    return Explanation(rule, text_ja, tuple(sorted(versions)))
