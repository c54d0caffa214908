"""Entitlement: from when, until when, and in which state a person may be supported.

A pure fold of a case's events (as known at ``as_of``) into the state on the day ``on``:
facts whose effective date lies after ``on`` had not happened yet and are left out.
The rules are :mod:`domain.rules`; this module picks the facts they apply to and
explains every derived date with its rule id and the versions it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain import rules
from domain.history import Fact, Recorded, read_history
from domain.payloads import (
    CaseOpened,
    ContractSigned,
    DecisionGranted,
    Hired,
    Resigned,
    SupportEnded,
)
from domain.rulebook import RULES
from projections.explain import Explanation, explained

_RULE_ORDER = {rule_id: i for i, rule_id in enumerate(RULES)}

STATUSES = (
    "not_employed",
    "waiting",
    "eligible_no_decision",
    "in_support",
    "job_change_grace",
    "ended",
    "expired",
)


@dataclass(frozen=True, slots=True)
class Derived:
    """A derived date with the explanation of where it comes from."""

    date: dt.date
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class DecisionView:
    """One 支給決定 as granted, with its PER-3 problems (shown, never clipped)."""

    version: int
    decided_on: dt.date
    valid_from: dt.date
    valid_to: dt.date
    problems: tuple[Explanation, ...]
    sources: tuple[int, ...]

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "decided_on": self.decided_on.isoformat(),
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "problems": [p.as_json() for p in self.problems],
            "events": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The entitlement on ``on`` as known at ``as_of`` (see module docstring)."""

    on: dt.date
    base_date: Derived | None
    eligible_from: Derived | None
    last_eligible_day: Derived | None
    job_change_deadline: Derived | None
    renewal_due_by: Derived | None
    support_end: Derived | None
    contract_from: Derived | None
    status: str
    status_explanation: Explanation
    job_change_used: bool
    decisions: tuple[DecisionView, ...]
    explanation: tuple[Explanation, ...]
    renewal_warning: bool = False

    def covers(self, day: dt.date) -> bool:
        """Does ``day`` lie within the entitlement (eligible_from..support_end)?"""
        if self.eligible_from is None or self.support_end is None:
            return False
        return rules.is_billable_day(day, self.eligible_from.date, self.support_end.date)

    def decision_on(self, day: dt.date) -> DecisionView | None:
        """The decision covering ``day`` (the latest granted when several do)."""
        return _covering(self.decisions, day)

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "base_date": _date(self.base_date),
            "eligible_from": _date(self.eligible_from),
            "last_eligible_day": _date(self.last_eligible_day),
            "status": self.status,
            "job_change_used": self.job_change_used,
            "job_change_deadline": _date(self.job_change_deadline),
            "decisions": [d.as_json() for d in self.decisions],
            "renewal_due_by": _date(self.renewal_due_by),
            "renewal_warning": self.renewal_warning,
            "support_end": _date(self.support_end),
            "contract_from": _date(self.contract_from),
            "status_explanation": self.status_explanation.as_json(),
            "explanation": [e.as_json() for e in self.explanation],
        }


def _covering(decisions: Sequence[DecisionView], day: dt.date) -> DecisionView | None:
    covering = [d for d in decisions if d.covers(day)]
    return max(covering, key=lambda d: (d.decided_on, d.version)) if covering else None


def _date(derived: Derived | None) -> str | None:
    return derived.date.isoformat() if derived is not None else None


@dataclass
class _Reading:
    """The facts the rules apply to, gathered once."""

    on: dt.date
    facts: list[Fact]
    opened: Fact | None
    stints: list[tuple[Fact, Fact | None]]
    clock: rules.Clock
    notes: list[Explanation] = field(default_factory=list)

    def of(self, kind: str) -> list[Fact]:
        return [f for f in self.facts if f.type == kind]


def entitlement(
    records: Sequence[Recorded], on: dt.date, as_of: dt.datetime | None = None
) -> Entitlement:
    """The entitlement of a case on ``on``, reading its events as known at ``as_of``."""
    history = read_history(records, as_of)
    facts = [f for f in history.facts if f.effective_on <= on]
    stints = _stints(facts)
    clock = rules.employment_clock([_stint(h, r) for h, r in stints], on)
    reading = _Reading(on, facts, history.opened(), stints, clock)
    return _assemble(reading)


def _stints(facts: list[Fact]) -> list[tuple[Fact, Fact | None]]:
    """Pair each hire with the resignation that ends it (the invariants keep them paired)."""
    stints: list[tuple[Fact, Fact | None]] = []
    for fact in facts:
        if fact.type == "hired":
            stints.append((fact, None))
        elif fact.type == "resigned" and stints and stints[-1][1] is None:
            stints[-1] = (stints[-1][0], fact)
    return stints


def _stint(hire: Fact, resignation: Fact | None) -> rules.Stint:
    assert isinstance(hire.payload, Hired)
    if resignation is None:
        return rules.Stint(hire.payload.hired_on)
    assert isinstance(resignation.payload, Resigned)
    return rules.Stint(hire.payload.hired_on, resignation.payload.resigned_on)


def _assemble(r: _Reading) -> Entitlement:
    base = _base_date(r)
    eligible = last = None
    if base is not None:
        eligible, last = _eligible_from(r, base), _last_day(r, base)
    decisions = tuple(_decision(f, eligible, last) for f in r.of("decision_granted"))
    contract = _contract(r, eligible)
    end = _support_end(r, eligible, last, contract)
    deadline = _job_change_deadline(r)
    status, status_why = _status(r, eligible, end, decisions)
    renewal, warning = _renewal(r, decisions, last, status)
    derived = (base, eligible, last, contract, deadline, end, renewal)
    explanation = [d.explanation for d in derived if d is not None]
    explanation += [*r.notes, *(p for d in decisions for p in d.problems)]
    # Read in the rulebook's order (ELIG, PER, JOB, ...), the status last.
    explanation.sort(key=lambda e: _RULE_ORDER[e.rule])
    explanation.append(status_why)
    return Entitlement(
        r.on, base, eligible, last, deadline, renewal, end, contract, status, status_why,
        r.clock.changes > 0, decisions, tuple(explanation), warning,
    )  # fmt: skip


def _base_date(r: _Reading) -> Derived | None:
    if not r.stints:
        return None
    hire = r.stints[0][0]
    assert isinstance(hire.payload, Hired)
    hired_on = hire.payload.hired_on
    opened = r.opened
    if opened is not None and isinstance(opened.payload, CaseOpened):
        prior = opened.payload.prior_service
        kind = rules.PRIOR_SERVICE_LABEL_JA.get(prior.kind, prior.kind)
        text = (
            f"{kind}の利用を経て{hired_on.isoformat()}に就職しました"
            "(通常の事業所での雇用が対象で、A型事業所での雇用は該当しません)"
        )
        r.notes.append(explained("ELIG-1", text, hire.sources, opened.sources))
        if rules.uses_temporary_base(hired_on, prior):
            base = rules.base_date(hired_on, prior)
            text = (
                f"就職日{hired_on.isoformat()}の後、在職中に{kind}を一時利用し"
                f"{_iso(prior.ended_on)}に終了したため、その翌日{base.isoformat()}を起算日とします"
                "(留意事項通知 令和6年)"
            )
            return Derived(base, explained("ELIG-2", text, hire.sources, opened.sources))
    text = f"就職日{hired_on.isoformat()}(第{hire.version}版)を起算日とします"
    return Derived(hired_on, explained("ELIG-2", text, hire.sources))


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "不明"


def _eligible_from(r: _Reading, base: Derived) -> Derived:
    start = rules.eligible_from(base.date)
    wait_end = rules.waiting_period_end(base.date)
    origin = "就職日" if base.date == r.stints[0][0].effective_on else "起算日"
    text = (
        f"{origin}{base.date.isoformat()}を起算日とし、6か月の満了日{wait_end.isoformat()}"
        f"の翌日{start.isoformat()}から対象となります(民法143条)"
    )
    return Derived(start, explained("ELIG-3", text, base.explanation.events))


def _last_day(r: _Reading, base: Derived) -> Derived:
    last = rules.last_eligible_day(base.date)
    text = (
        f"起算日{base.date.isoformat()}から3年6か月の満了日{last.isoformat()}が"
        "対象となる最後の日です(民法143条)"
    )
    return Derived(last, explained("ELIG-4", text, base.explanation.events))


def _decision(fact: Fact, eligible: Derived | None, last: Derived | None) -> DecisionView:
    p = fact.payload
    assert isinstance(p, DecisionGranted)
    findings = rules.decision_problems(
        p.valid_from, p.valid_to, eligible.date if eligible else None, last.date if last else None
    )
    problems = tuple(
        explained(f.rule, f"第{fact.version}版の{f.text_ja}", fact.sources) for f in findings
    )
    return DecisionView(
        fact.version, p.decided_on, p.valid_from, p.valid_to, problems, fact.sources
    )


def _contract(r: _Reading, eligible: Derived | None) -> Derived | None:
    signed = r.of("contract_signed")
    if not signed:
        return None
    fact = signed[-1]
    assert isinstance(fact.payload, ContractSigned)
    start = fact.payload.support_from
    text = f"利用契約(第{fact.version}版)により{start.isoformat()}から支援を開始します"
    if eligible is not None and start > eligible.date:
        text += "。開始が対象となる日より遅くても、終了日は3年6か月の満了日のまま変わりません"
    return Derived(start, explained("PER-2", text, fact.sources))


def _support_end(
    r: _Reading, eligible: Derived | None, last: Derived | None, contract: Derived | None
) -> Derived | None:
    """The last billable day: ELIG-4/PER-2, or earlier by JOB-3/JOB-4 or a recorded end."""
    if eligible is None or last is None:
        return None
    late = contract if contract is not None and contract.date > eligible.date else None
    candidates = [_elig_end(last, late), *_job_end(r), *_recorded_end(r)]
    # min() keeps the first of equal days: the ELIG-4 end wins a tie (status "expired").
    return min(candidates, key=lambda d: d.date)


def _elig_end(last: Derived, late_contract: Derived | None) -> Derived:
    contract = late_contract
    if contract is not None:
        text = (
            f"利用開始が{contract.date.isoformat()}でも、終了は3年6か月の満了日"
            f"{last.date.isoformat()}です(就労期間を差し引いた残りの期間のみ利用できます)"
        )
        events = (last.explanation.events, contract.explanation.events)
        return Derived(last.date, explained("PER-2", text, *events))
    text = f"支援を請求できる最後の日は{last.date.isoformat()}(3年6か月の満了日)です"
    return Derived(last.date, explained("ELIG-4", text, last.explanation.events))


def _job_end(r: _Reading) -> list[Derived]:
    clock = r.clock
    if clock.ended_on is None or clock.end_rule is None:
        return []
    left = r.stints[clock.counted[-1]][1]
    assert left is not None
    late = [r.stints[i][0] for i in clock.late]
    day = clock.ended_on.isoformat()
    if clock.end_rule == "JOB-4":
        text = (
            f"2回目の退職({day})のため、対象期間は退職日{day}で終了しました"
            "(転職による継続は1回限り)"
        )
    else:
        deadline = rules.job_change_deadline(clock.ended_on).isoformat()
        text = (
            f"{day}に退職し、期限{deadline}までに再就職の記録がないため、"
            f"利用契約は退職日{day}に終了しました"
        )
    for hire in late:
        assert isinstance(hire.payload, Hired)
        text += (
            f"。{hire.payload.hired_on.isoformat()}の就職ではこのケースで新たな期間は始まりません"
        )
    sources = (left.sources, *(h.sources for h in late))
    return [Derived(clock.ended_on, explained(clock.end_rule, text, *sources))]


def _recorded_end(r: _Reading) -> list[Derived]:
    ends: list[Derived] = []
    for fact in r.of("support_ended"):
        assert isinstance(fact.payload, SupportEnded)
        day = fact.payload.ended_on.isoformat()
        text = f"支援終了(第{fact.version}版)が記録されたため、支援は{day}で終了しました"
        ends.append(Derived(fact.payload.ended_on, explained("END-1", text, fact.sources)))
    return ends


def _job_change_deadline(r: _Reading) -> Derived | None:
    """JOB-2/JOB-3: the deadline that is open, that was met, or that passed."""
    clock = r.clock
    if clock.grace_deadline is not None:
        left = r.stints[clock.counted[-1]][1]
        assert left is not None and isinstance(left.payload, Resigned)
        text = (
            f"{left.payload.resigned_on.isoformat()}に退職しました。{clock.grace_deadline.isoformat()}"
            "までに通常の事業所に就職すれば、就労は継続しているとみなされます(1回限り。"
            "退職日の翌日から1か月の満了日までと解釈)"
        )
        return Derived(clock.grace_deadline, explained("JOB-3", text, left.sources))
    if clock.changes > 0:
        (left, rehire) = (r.stints[0][1], r.stints[clock.counted[1]][0])
        assert left is not None and isinstance(left.payload, Resigned)
        assert isinstance(rehire.payload, Hired)
        deadline = rules.job_change_deadline(left.payload.resigned_on)
        text = (
            f"{left.payload.resigned_on.isoformat()}に退職し、期限{deadline.isoformat()}までの"
            f"{rehire.payload.hired_on.isoformat()}に再就職したため、就労は継続しているとみなし、"
            "起算日は変わりません(転職による継続は1回限り。期限は退職日の翌日から1か月の満了日と解釈)"
        )
        return Derived(deadline, explained("JOB-2", text, left.sources, rehire.sources))
    return None


def _status(
    r: _Reading, eligible: Derived | None, end: Derived | None, decisions: tuple[DecisionView, ...]
) -> tuple[str, Explanation]:
    on = r.on.isoformat()
    if eligible is None or end is None:
        return "not_employed", explained("ELIG-1", f"{on}時点で就職の記録がありません")
    if r.on > end.date:
        status = "expired" if end.explanation.rule in ("ELIG-4", "PER-2") else "ended"
        text = f"{on}時点で対象期間は終了しています。{end.explanation.text_ja}"
        return status, explained(end.explanation.rule, text, end.explanation.events)
    if r.clock.grace_deadline is not None:
        text = f"{on}時点で転職の猶予期間中です(期限{r.clock.grace_deadline.isoformat()})"
        left = r.stints[r.clock.counted[-1]][1]
        return "job_change_grace", explained("JOB-3", text, left.sources if left else ())
    if r.on < eligible.date:
        text = f"{on}時点では就職後6か月の期間中です。{eligible.explanation.text_ja}"
        return "waiting", explained("ELIG-3", text, eligible.explanation.events)
    covering = _covering(decisions, r.on)
    if covering is not None:
        text = f"{on}は第{covering.version}版の支給決定の期間内です"
        return "in_support", explained("PER-1", text, covering.sources)
    text = f"{on}時点で対象期間内ですが、この日を含む支給決定の記録がありません"
    return "eligible_no_decision", explained("PER-1", text, eligible.explanation.events)


def _renewal(
    r: _Reading, decisions: tuple[DecisionView, ...], last: Derived | None, status: str
) -> tuple[Derived | None, bool]:
    """PER-1/PER-4: the covering decision's end, while no later decision follows it."""
    covering = _covering(decisions, r.on)
    if covering is None or status != "in_support":
        return None, False
    later = [d for d in decisions if d.valid_from > covering.valid_from]
    if later:
        text = f"第{covering.version}版の支給決定は第{later[-1].version}版で更新済みです"
        r.notes.append(explained("PER-1", text, covering.sources, later[-1].sources))
        return None, False
    if last is not None and covering.valid_to >= last.date:
        text = f"第{covering.version}版の支給決定は対象期間の最後まで続くため、更新はありません"
        r.notes.append(explained("PER-2", text, covering.sources))
        return None, False
    due = covering.valid_to
    warning = rules.renewal_warning(due, r.on)
    text = (
        f"第{covering.version}版の支給決定は{due.isoformat()}に終了するため、"
        "それまでに更新が必要です"
    )
    if warning:
        left = (due - r.on).days
        r.notes.append(
            explained("PER-4", f"更新期限まであと{left}日です(30日前から警告)", covering.sources)
        )
    return Derived(due, explained("PER-1", text, covering.sources)), warning
