"""Entitlement: from when, until when, and in which state a person may be supported.

A pure fold of a case's events (as known at ``as_of``) into the state on the day ``on``:
facts whose effective date lies after ``on`` had not happened yet and are left out.
The rules are :mod:`domain.rules.elig`, :mod:`~domain.rules.per` and
:mod:`~domain.rules.job`; this module picks the facts they apply to and explains every
derived date with its rule id and the versions it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from domain.history import Fact, Recorded
from domain.payloads import CaseOpened, ContractSigned, DecisionGranted, Hired, Resigned
from domain.rules import elig, job, per
from domain.rules.catalogue import RULES
from projections.entitlement_ends import Gathered, job_change_deadline, support_end
from projections.entitlement_model import (
    STATUSES,
    DecisionView,
    Derived,
    Entitlement,
    covering,
)
from projections.explain import Explanation, explained
from projections.reading import Reading, read

__all__ = ["STATUSES", "DecisionView", "Derived", "Entitlement", "entitlement"]

_RULE_ORDER = {rule_id: i for i, rule_id in enumerate(RULES)}


def entitlement(
    records: Sequence[Recorded] | Reading,
    on: dt.date | None = None,
    as_of: dt.datetime | None = None,
) -> Entitlement:
    """The entitlement of a case on ``on``, reading its events as known at ``as_of``.

    ``records`` may be a :class:`~projections.reading.Reading` (then ``on`` and ``as_of``
    are its own): the entitlement is computed once per reading.
    """
    reading = read(records, on, as_of)
    return reading.memo("entitlement", lambda: _entitlement(reading))


def _entitlement(reading: Reading) -> Entitlement:
    history, on = reading.history, reading.on
    facts = [f for f in history.facts if f.effective_on <= on]
    stints = _stints(facts)
    clock = job.employment_clock([_stint(h, r) for h, r in stints], on)
    return _assemble(Gathered(on, facts, history.opened(), stints, clock))


def _stints(facts: list[Fact]) -> list[tuple[Fact, Fact | None]]:
    """Pair each hire with the resignation that ends it (the invariants keep them paired)."""
    stints: list[tuple[Fact, Fact | None]] = []
    for fact in facts:
        if fact.type == "hired":
            stints.append((fact, None))
        elif fact.type == "resigned" and stints and stints[-1][1] is None:
            stints[-1] = (stints[-1][0], fact)
    return stints


def _stint(hire: Fact, resignation: Fact | None) -> job.Stint:
    assert isinstance(hire.payload, Hired)
    if resignation is None:
        return job.Stint(hire.payload.hired_on)
    assert isinstance(resignation.payload, Resigned)
    return job.Stint(hire.payload.hired_on, resignation.payload.resigned_on)


def _assemble(r: Gathered) -> Entitlement:
    base = _base_date(r)
    pending = _pending_base(r) if base is None else None
    eligible = last = None
    if base is not None:
        eligible, last = _eligible_from(r, base), _last_day(r, base)
    decisions = tuple(_decision(f, eligible, last) for f in r.of("decision_granted"))
    contract, started = _contract(r, eligible, latest=True), _contract(r, eligible, latest=False)
    end = support_end(r, eligible, last, started)
    deadline = job_change_deadline(r, end)
    status, status_why = _status(r, eligible, end, decisions, pending)
    renewal, warning = _renewal(r, decisions, last, status)
    derived = (base, eligible, last, contract, deadline, end, renewal)
    explanation = [d.explanation for d in derived if d is not None]
    explanation += [*r.notes, *(p for d in decisions for p in d.problems)]
    # Read in the rulebook's order (ELIG, PER, JOB, ...), the status last.
    explanation.sort(key=lambda e: _RULE_ORDER[e.rule])
    explanation.append(status_why)
    return Entitlement(
        r.on, base, eligible, last, deadline, renewal, end, contract, status, status_why,
        r.clock.changes > 0, decisions, tuple(explanation), warning, started,
    )  # fmt: skip


def _base_date(r: Gathered) -> Derived | None:
    if not r.stints:
        return None
    hire = r.stints[0][0]
    assert isinstance(hire.payload, Hired)
    hired_on = hire.payload.hired_on
    opened = r.opened
    if opened is not None and isinstance(opened.payload, CaseOpened):
        prior = opened.payload.prior_service
        kind = elig.PRIOR_SERVICE_LABEL_JA.get(prior.kind, prior.kind)
        text = (
            f"{kind}の利用を経て{hired_on.isoformat()}に就職しました"
            "(通常の事業所での雇用が対象で、A型事業所での雇用は該当しません)"
        )
        r.notes.append(explained("ELIG-1", text, hire.sources, opened.sources))
        if elig.base_date_pending(prior):
            return None
        if elig.uses_temporary_base(hired_on, prior):
            base = elig.base_date(hired_on, prior)
            assert base is not None  # not pending: checked just above
            text = (
                f"就職日{hired_on.isoformat()}の後、在職中に{kind}を一時利用し"
                f"{_iso(prior.ended_on)}に終了したため、その翌日{base.isoformat()}を起算日とします"
                "(留意事項通知 令和6年)"
            )
            return Derived(base, explained("ELIG-2", text, hire.sources, opened.sources))
    text = f"就職日{hired_on.isoformat()}(第{hire.version}版)を起算日とします"
    return Derived(hired_on, explained("ELIG-2", text, hire.sources))


def _pending_base(r: Gathered) -> Explanation | None:
    """ELIG-2: a hire is known but the temporary use it awaits has no recorded end yet."""
    if not r.stints or r.opened is None or not isinstance(r.opened.payload, CaseOpened):
        return None
    prior = r.opened.payload.prior_service
    if not elig.base_date_pending(prior):
        return None
    kind = elig.PRIOR_SERVICE_LABEL_JA.get(prior.kind, prior.kind)
    text = (
        f"在職中の{kind}の一時利用の終了日が記録されていないため、起算日(利用終了の翌日)は"
        "まだ定まらず、対象となる日もまだありません(留意事項通知 令和6年)"
    )
    return explained("ELIG-2", text, r.stints[0][0].sources, r.opened.sources)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "不明"


def _eligible_from(r: Gathered, base: Derived) -> Derived:
    start = elig.eligible_from(base.date)
    wait_end = elig.waiting_period_end(base.date)
    origin = "就職日" if base.date == r.stints[0][0].effective_on else "起算日"
    text = (
        f"{origin}{base.date.isoformat()}を起算日とし、6か月の満了日{wait_end.isoformat()}"
        f"の翌日{start.isoformat()}から対象となります(民法143条)"
    )
    return Derived(start, explained("ELIG-3", text, base.explanation.events))


def _last_day(r: Gathered, base: Derived) -> Derived:
    last = elig.last_eligible_day(base.date)
    text = (
        f"起算日{base.date.isoformat()}から3年6か月の満了日{last.isoformat()}が"
        "対象となる最後の日です(民法143条)"
    )
    return Derived(last, explained("ELIG-4", text, base.explanation.events))


def _decision(fact: Fact, eligible: Derived | None, last: Derived | None) -> DecisionView:
    p = fact.payload
    assert isinstance(p, DecisionGranted)
    findings = per.decision_problems(
        p.valid_from, p.valid_to, eligible.date if eligible else None, last.date if last else None
    )
    problems = tuple(
        explained(f.rule, f"第{fact.version}版の{f.text_ja}", fact.sources) for f in findings
    )
    return DecisionView(
        fact.version, p.decided_on, p.valid_from, p.valid_to, problems, fact.sources
    )


def _contract(r: Gathered, eligible: Derived | None, *, latest: bool) -> Derived | None:
    """PER-1/PER-2: the latest contract's support start, or the first support start of all.

    A later contract (e.g. after a job change) does not undo support under an earlier one:
    billing and the plan count from the first start (``Entitlement.support_from``).
    """
    signed = r.of("contract_signed")
    if not signed:
        return None
    fact = signed[-1] if latest else min(signed, key=_support_from)
    assert isinstance(fact.payload, ContractSigned)
    start = fact.payload.support_from
    text = f"利用契約(第{fact.version}版)により{start.isoformat()}から支援を開始します"
    if eligible is not None and start > eligible.date:
        text += "。開始が対象となる日より遅くても、終了日は3年6か月の満了日のまま変わりません"
    return Derived(start, explained("PER-2", text, fact.sources))


def _support_from(fact: Fact) -> dt.date:
    assert isinstance(fact.payload, ContractSigned)
    return fact.payload.support_from


def _status(
    r: Gathered,
    eligible: Derived | None,
    end: Derived | None,
    decisions: tuple[DecisionView, ...],
    pending: Explanation | None,
) -> tuple[str, Explanation]:
    on = r.on.isoformat()
    if pending is not None:
        return "waiting", pending
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
    current = covering(decisions, r.on)
    if current is not None:
        text = f"{on}は{decision_ja(current)}の期間内です"
        return "in_support", explained("PER-1", text, current.sources)
    text = f"{on}時点で対象期間内ですが、この日を含む支給決定の記録がありません"
    return "eligible_no_decision", explained("PER-1", text, eligible.explanation.events)


def decision_ja(decision: DecisionView) -> str:
    """A decision as staff name it, by its period (its version is in the sources)."""
    return f"支給決定({decision.valid_from.isoformat()}〜{decision.valid_to.isoformat()})"


def _renewal(
    r: Gathered, decisions: tuple[DecisionView, ...], last: Derived | None, status: str
) -> tuple[Derived | None, bool]:
    """PER-1/PER-4: the current decision's end, while no later decision follows it."""
    current = covering(decisions, r.on)
    if current is None or status != "in_support":
        return None, False
    later = [d for d in decisions if d.valid_from > current.valid_from]
    if later:
        text = f"{decision_ja(current)}は{decision_ja(later[-1])}で更新済みです"
        r.notes.append(explained("PER-1", text, current.sources, later[-1].sources))
        return None, False
    if last is not None and current.valid_to >= last.date:
        text = f"{decision_ja(current)}は対象期間の最後まで続くため、更新はありません"
        r.notes.append(explained("PER-2", text, current.sources))
        return None, False
    due = current.valid_to
    warning = per.renewal_warning(due, r.on)
    text = f"{decision_ja(current)}は{due.isoformat()}に終了するため、それまでに更新が必要です"
    if warning:
        left = (due - r.on).days
        r.notes.append(
            explained("PER-4", f"更新期限まであと{left}日です(30日前から警告)", current.sources)
        )
    return Derived(due, explained("PER-1", text, current.sources)), warning
