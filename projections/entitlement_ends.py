"""When the entitlement ends, and the job-change deadline (rules ELIG-4, PER-2, JOB, END-1).

Part of the entitlement fold (:mod:`projections.entitlement`): given the facts it read,
these functions pick the last billable day and explain it with its rule id and the
versions it came from. The rules themselves are :mod:`domain.rules.job` and
:mod:`domain.rules.per`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from domain.history import Fact
from domain.payloads import Hired, Resigned, SupportEnded
from domain.rules import job
from projections.entitlement_model import Derived
from projections.explain import Explanation, explained


@dataclass
class Gathered:
    """The facts the entitlement rules apply to, gathered once."""

    on: dt.date
    facts: list[Fact]
    opened: Fact | None
    stints: list[tuple[Fact, Fact | None]]
    clock: job.Clock
    notes: list[Explanation] = field(default_factory=list)

    def of(self, kind: str) -> list[Fact]:
        return [f for f in self.facts if f.type == kind]


def support_end(
    r: Gathered, eligible: Derived | None, last: Derived | None, contract: Derived | None
) -> Derived | None:
    """The last billable day: ELIG-4/PER-2, or earlier by JOB-1/JOB-3/JOB-4 or a recorded end."""
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


def _job_end(r: Gathered) -> list[Derived]:
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
        deadline = job.job_change_deadline(clock.ended_on).isoformat()
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


def _recorded_end(r: Gathered) -> list[Derived]:
    """END-1: a recorded end; JOB-1 when it was recorded while the person was between jobs.

    Support that ends after leaving and before any new hire can no longer be continued by
    a job change (JOB-2), so leaving ended the contract: the end is the leaving day, not
    the later day the end was recorded for (days without employment are not billed).
    """
    ends: list[Derived] = []
    for fact in r.of("support_ended"):
        assert isinstance(fact.payload, SupportEnded)
        ended_on = fact.payload.ended_on
        day = ended_on.isoformat()
        left = _between_jobs_on(r, ended_on)
        if left is not None:
            assert isinstance(left.payload, Resigned)
            gone = left.payload.resigned_on.isoformat()
            text = (
                f"{gone}に退職し、次の就職の前に支援終了(第{fact.version}版、{day})が記録されたため、"
                f"利用契約は退職日{gone}に終了しました(転職による継続は適用されません)"
            )
            derived = explained("JOB-1", text, left.sources, fact.sources)
            ends.append(Derived(left.payload.resigned_on, derived))
            continue
        text = f"支援終了(第{fact.version}版)が記録されたため、支援は{day}で終了しました"
        ends.append(Derived(ended_on, explained("END-1", text, fact.sources)))
    return ends


def _between_jobs_on(r: Gathered, day: dt.date) -> Fact | None:
    """The resignation the person had left by ``day`` with no new hire yet, if any."""
    current = [(hire, left) for hire, left in r.stints if hire.effective_on <= day]
    if not current:
        return None
    left = current[-1][1]
    return left if left is not None and left.effective_on < day else None


def job_change_deadline(r: Gathered, end: Derived | None) -> Derived | None:
    """JOB-2/JOB-3: the deadline that is open, or that was met by a kept job change.

    An open deadline is shown only while the entitlement lasts: once it has ended or
    expired, no new hire can continue it.
    """
    clock = r.clock
    if clock.grace_deadline is not None:
        if end is not None and r.on > end.date:
            return None
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
        deadline = job.job_change_deadline(left.payload.resigned_on)
        text = (
            f"{left.payload.resigned_on.isoformat()}に退職し、期限{deadline.isoformat()}までの"
            f"{rehire.payload.hired_on.isoformat()}に再就職したため、就労は継続しているとみなし、"
            "起算日は変わりません(転職による継続は1回限り。期限は退職日の翌日から1か月の満了日と解釈)"
        )
        return Derived(deadline, explained("JOB-2", text, left.sources, rehire.sources))
    return None
