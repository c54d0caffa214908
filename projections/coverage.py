"""Coverage of a day for billing: is it within a decision, the entitlement and the contract?

Part of :mod:`projections.compliance`. A day of face-to-face support can be billed only
when it lies within a 支給決定 (and its first year, PER-3), within the entitlement
(ELIG-3, ELIG-4, JOB, PER-5) and on or after the contract's support start (PER-1).
Each gap names its rule and the versions it came from.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.history import Fact
from domain.rules.per import decision_max_end
from projections.entitlement import Entitlement
from projections.explain import Explanation, explained


@dataclass(frozen=True, slots=True)
class Gap:
    """Why one day cannot be billed: the rule, a grouping key, and a predicate sentence."""

    rule: str
    key: str
    text_ja: str
    events: tuple[int, ...] = ()


def gaps_on(ent: Entitlement, day: dt.date) -> list[Gap]:
    """Every reason ``day`` is not covered (empty when support on it can be billed)."""
    return [*_decision_gaps(ent, day), *_entitlement_gaps(ent, day), *_contract_gaps(ent, day)]


@dataclass
class Coverage:
    """:func:`gaps_on` for the days of one entitlement, computed once per stretch of days.

    Whether a day is covered changes only where one of the dates :func:`gaps_on` compares
    it with is crossed (a decision's first day, the day after its last day or after its
    first year; the eligible-from day; the day after the support end; the contract's
    start). Between two such days every day has the same gaps, so a month of
    compliance asks the rules a few times instead of once per day.
    """

    ent: Entitlement
    _breaks: list[dt.date] = field(default_factory=list)
    _found: dict[int, list[Gap]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        days: set[dt.date] = set()
        for d in self.ent.decisions:
            days |= {d.valid_from, _next(d.valid_to), _next(decision_max_end(d.valid_from))}
        for derived in (self.ent.eligible_from, self.ent.support_from):
            if derived is not None:
                days.add(derived.date)
        if self.ent.support_end is not None:
            days.add(_next(self.ent.support_end.date))
        self._breaks = sorted(days)

    def gaps_on(self, day: dt.date) -> list[Gap]:
        stretch = bisect_right(self._breaks, day)
        if stretch not in self._found:
            self._found[stretch] = gaps_on(self.ent, day)
        return self._found[stretch]


def _next(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1) if day < dt.date.max else day


def _decision_gaps(ent: Entitlement, day: dt.date) -> list[Gap]:
    decision = ent.decision_on(day)
    if decision is None:
        text = "どの支給決定の期間にも入っていません(支給決定は1年ごとに必要です)"
        return [Gap("PER-1", "no_decision", text)]
    limit = decision_max_end(decision.valid_from)
    if day > limit:
        text = (
            f"支給決定({decision.valid_from.isoformat()}〜{decision.valid_to.isoformat()})"
            f"のうち開始から1年({limit.isoformat()}満了)を"
            "超えた部分で、有効な支給決定として扱えません"
        )
        return [Gap("PER-3", f"beyond_year_{decision.version}", text, decision.sources)]
    return []


def _entitlement_gaps(ent: Entitlement, day: dt.date) -> list[Gap]:
    eligible, end = ent.eligible_from, ent.support_end
    if eligible is None or end is None:
        why = ent.status_explanation
        if why.rule == "ELIG-2":  # employed, but the base date awaits the end of a use
            text = "起算日が定まっていません(在職中の一時利用の終了日が未記録)"
            return [Gap("ELIG-2", "base_date_pending", text, why.events)]
        return [Gap("ELIG-1", "not_employed", "就職の記録がなく、対象期間が定まりません")]
    if day < eligible.date:
        text = (
            f"対象となる{eligible.date.isoformat()}より前です"
            "(就職後6か月間は前のサービスによるフォローの期間です)"
        )
        return [Gap("ELIG-3", "before_eligible", text, eligible.explanation.events)]
    if day > end.date:
        why = end.explanation
        text = f"対象期間の終了日{end.date.isoformat()}より後です({why.text_ja})"
        unbilled = "対象期間の終了後の支援は事業所の判断で続けられますが、請求はできません"
        return [Gap(why.rule, "after_end", text, why.events), Gap("PER-5", "unbilled", unbilled)]
    return []


def _contract_gaps(ent: Entitlement, day: dt.date) -> list[Gap]:
    contract = ent.support_from  # the first contract: a later one does not undo earlier support
    if contract is None:
        text = "利用契約の記録がありません(支援は契約締結後に始まります)"
        return [Gap("PER-1", "no_contract", text)]
    if day < contract.date:
        text = f"利用契約による支援開始日{contract.date.isoformat()}より前です"
        return [Gap("PER-1", "before_contract", text, contract.explanation.events)]
    return []


def coverage_reasons(
    ent: Entitlement,
    month: str,
    f2f: list[Fact],
    days: list[dt.date],
    gaps: Callable[[dt.date], list[Gap]] | None = None,
) -> list[Explanation]:
    """Each coverage gap once, naming the face-to-face days it hit (or the whole month).

    ``gaps``: the gaps of a day (default :func:`gaps_on`; e.g. a :class:`Coverage`'s).
    """
    gaps_of = gaps or (lambda day: gaps_on(ent, day))
    examined = sorted({f.effective_on for f in f2f}) or days
    hit: dict[str, tuple[Gap, list[dt.date]]] = {}
    for day in examined:
        for gap in gaps_of(day):
            hit.setdefault(gap.key, (gap, []))[1].append(day)
    reasons: list[Explanation] = []
    for gap, gap_days in hit.values():
        if f2f:
            on_days = "、".join(d.isoformat() for d in gap_days)
            support = [f.sources for f in f2f if f.effective_on in gap_days]
            text = f"{month}の対面支援の日({on_days})は{gap.text_ja}"
            reasons.append(explained(gap.rule, text, gap.events, *support))
        elif len(gap_days) == len(days):
            reasons.append(explained(gap.rule, f"{month}はどの日も{gap.text_ja}", gap.events))
    return reasons
