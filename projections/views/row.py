"""The stored view of one case: what lists, dashboards and billing read instead of a fold.

:func:`case_row` folds a case once into a :class:`CaseRow`, which the view store
(:mod:`projections.views.store`) keeps as one row per case and one row per case-month.
Nothing here is a second implementation of a rule: every value is taken from the
projections themselves (:func:`projections.entitlement.entitlement`,
:func:`projections.compliance.compliance`), with its rule id and source versions.

Status on any day without replay: the entitlement's status is a step function of the
day ``on``: it can change only on the day a fact takes effect, or on a day one of the
derived dates names (eligible_from, support_end + 1, a decision's first day or the day
after its last, the job-change deadline + 1). :func:`status_segments` evaluates the fold
on exactly those days and keeps where the status changes; :func:`status_on` reads a day
from them. ``tests/unit/test_case_view.py`` checks against the fold on random
histories and random days that nothing was missed.

The rest of the row (derived dates, plan, consent problems, months) is the fold *as
evaluated on* ``computed_on``: a read for a later day refreshes the row first
(:func:`is_current_for`), so dashboards answer for today exactly as the fold would.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.history import Fact, History, Recorded
from domain.payloads import AMENDMENT_TYPES, CaseOpened, EvidenceReceived, Hired, Resigned
from domain.rules.cal import day_after
from projections.compliance import case_sharings, compliance
from projections.consent import sharing_days
from projections.entitlement import Derived, Entitlement, entitlement
from projections.reading import Reading, read_records
from projections.views.trail import Trail

#: The event types the entitlement fold reads; its status depends on nothing else.
ENTITLEMENT_TYPES = frozenset(
    {"case_opened", "hired", "resigned", "contract_signed", "decision_granted", "support_ended"}
)
#: Bump when the row's content changes shape (or a rule it stores changes): rows of an
#: older shape are rebuilt. 3: PLAN-1 is not due before the person is eligible (ELIG-3).
#: 4: every office the case has belonged to (``offices``), for reads as of an instant.
#: 5: ``derived`` holds only what lists, dashboards and office pages read (issue 24: an
#: office page decoded ~5.6 kB a row, 60 % of it every sharing day, to read ~0.8 kB).
#: 6: the case's known rows and clock pages are stored with it (decision 0062); a row of
#: an older shape has none, and is read ``as_of`` by a fold until it is refolded.
ROW_SCHEMA = 6


@dataclass(frozen=True, slots=True)
class MonthRow:
    """One case-month as the compliance fold judged it (MON-1..MON-4, PER, ELIG, JOB)."""

    month: str
    face_to_face: int
    employer_contacts: int
    report_shared: bool
    billable: bool
    reasons: tuple[dict[str, Any], ...]
    warnings: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "face_to_face": self.face_to_face,
            "employer_contacts": self.employer_contacts,
            "report_shared": self.report_shared,
            "billable": self.billable,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case as lists and dashboards need it; personal data only in ``person``."""

    case_id: UUID
    office_id: str | None
    opened_on: dt.date
    opened_at: dt.datetime
    version: int
    computed_on: dt.date
    #: (first day, status) where the status changes; before the first day: not_employed.
    segments: tuple[tuple[dt.date, str], ...]
    #: Derived dates and verdicts as evaluated on ``computed_on``, each with its rule id:
    #: what lists, dashboards and office pages read (:func:`case_row`); the full
    #: explanations (status, decisions, each consent problem) are the case's fold's.
    derived: dict[str, Any]
    months: tuple[MonthRow, ...]
    #: Name, kana, recipient number, municipality: opened when read; stored sealed with
    #: the person's key (and the row with the store's cipher, when it has one).
    person: dict[str, Any]
    #: The shape the row was stored in (:data:`ROW_SCHEMA`); an older one is refolded.
    schema: int = ROW_SCHEMA
    #: What a write stores of the case's past (:mod:`projections.views.trail`): made by
    #: :func:`case_row`, None on a row read back from the store (never written again).
    trail: Trail | None = field(default=None, compare=False, repr=False)

    @property
    def offices(self) -> tuple[str, ...]:
        """Every office the case has belonged to, the current one included (the opening
        and each correction of it): a list ``as_of`` an instant folds only their cases."""
        return tuple(self.derived.get("offices") or ((self.office_id,) if self.office_id else ()))

    def status_on(self, on: dt.date) -> str:
        return status_on(self.segments, on)


def case_row(case_id: UUID, records: Sequence[Recorded], computed_on: dt.date) -> CaseRow:
    """Fold the case once into its view row, evaluated on ``computed_on``."""
    reading = read_records(records, computed_on)
    history = reading.history
    opened = history.opened()
    assert opened is not None and isinstance(opened.payload, CaseOpened)
    ent = entitlement(reading)
    comp = compliance(reading)  # reuses the reading's entitlement
    p = opened.payload
    facts = [f for f in history.facts if f.effective_on <= computed_on]
    last_sharing = _last_sharing(sharing_days(case_sharings(reading)))
    relevant = tuple(_entitlement_records(records))
    evaluated = evaluated_segments(relevant)
    return CaseRow(
        case_id=case_id,
        office_id=p.office_id,
        opened_on=opened.effective_on,
        opened_at=records[0].recorded_at,
        version=records[-1].version,
        computed_on=computed_on,
        segments=evaluated.segments,
        derived={
            **_derived(ent),
            "plan": _plan(comp.plan.as_json()),
            "consent_problems": len(comp.consent_violations),
            **_facts(facts),
            "last_sharing": last_sharing,
            "offices": list(_offices(records)),
        },
        months=tuple(
            MonthRow(
                m.month,
                m.face_to_face,
                m.employer_contacts,
                m.report_shared,
                m.billable,
                tuple(r.as_json() for r in m.reasons),
                tuple(w.as_json() for w in m.warnings),
            )
            for m in comp.months
        ),
        person=_person(opened),
        trail=Trail(tuple(r.recorded_at for r in records), relevant, evaluated),
    )


def _offices(records: Sequence[Recorded]) -> tuple[str, ...]:
    """Every office the opening named, as recorded and as each correction replaced it
    (a superset of the offices the case belonged to at any instant: reads check)."""
    named: list[Any] = []
    for r in records:
        if r.type == "case_opened":
            named.append(r.payload.get("office_id"))
        elif r.type == "event_corrected" and int(r.payload.get("target_version", 0)) == 1:
            named.append(r.payload.get("replacement", {}).get("office_id"))
    return tuple(dict.fromkeys(o for o in named if isinstance(o, str)))


def _person(opened: Fact) -> dict[str, Any]:
    """Name, kana, recipient number, municipality as stored: sealed with the person's key.

    The row keeps the sealed values (:mod:`domain.sealing`), never opened ones, so an
    erasure holds for the views the moment the key is destroyed; the view store opens
    them when a row is read (:meth:`projections.views.store.ViewStore.person_of`).
    """
    latest = opened.corrections[-1] if opened.corrections else None
    if latest is not None:
        stored = latest.hashed_payload["replacement"]
    else:
        stored = opened.recorded.hashed_payload
    person = stored["person"]
    return {
        "name": person["name"],
        "name_kana": person.get("name_kana"),
        "recipient_number": stored["recipient_number"],
        "municipality_code": stored["municipality_code"],
    }


def _facts(facts: list[Fact]) -> dict[str, Any]:
    """The facts the office's due list and retention report read (EVID-1, RATE)."""
    employment: list[dict[str, Any]] = []
    for fact in facts:
        if isinstance(fact.payload, Hired):
            employment.append({"hired_on": fact.payload.hired_on.isoformat(),
                               "resigned_on": None, "events": list(fact.sources)})  # fmt: skip
        elif isinstance(fact.payload, Resigned) and employment:
            employment[-1]["resigned_on"] = fact.payload.resigned_on.isoformat()
            employment[-1]["events"] += list(fact.sources)
    evidence = [
        {"covers_on": f.payload.covers_on.isoformat(), "kind": f.payload.kind,
         "events": list(f.sources)}
        for f in facts
        if isinstance(f.payload, EvidenceReceived)
    ]  # fmt: skip
    return {"employment": employment, "evidence": evidence}


def _last_sharing(days: list[tuple[dt.date, int, str]]) -> dict[str, Any] | None:
    """END-2 asks only whether a sharing was made on or after a day: the latest (of days in
    (day, version, party) order) answers it."""
    if not days:
        return None
    on, version, party = days[-1]
    return {"on": on.isoformat(), "version": version, "party": party}


def _plan(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's due day and verdict with its rule and events (PLAN-1/PLAN-2)."""
    return {k: plan[k] for k in ("review_due_by", "overdue", "rule", "events")}


def _derived(ent: Entitlement) -> dict[str, Any]:
    """The entitlement's dates that lists and office pages read, each as {date, rule,
    events}, and the status (its explanation and the decisions are the fold's)."""

    def one(derived: Derived | None) -> dict[str, Any] | None:
        if derived is None:
            return None
        why = derived.explanation.as_json()
        return {"date": derived.date.isoformat(), "rule": why["rule"], "events": why["events"]}

    return {
        "status": ent.status,
        "eligible_from": one(ent.eligible_from),
        "last_eligible_day": one(ent.last_eligible_day),
        "job_change_deadline": one(ent.job_change_deadline),
        "renewal_due_by": one(ent.renewal_due_by),
        "support_end": one(ent.support_end),
        "support_from": one(ent.support_from),
    }


# -- status on any day ------------------------------------------------------------------


def status_segments(records: Sequence[Recorded]) -> tuple[tuple[dt.date, str], ...]:
    """Where the entitlement's status changes, as (first day, status), by the fold itself."""
    return evaluated_segments(records).segments


def segments_as_known(
    known: Sequence[Sequence[Recorded]], seed: Evaluated | None = None
) -> list[tuple[tuple[dt.date, str], ...]]:
    """:func:`status_segments` of each of these record sets (each the one before it and
    more: a case as known at successive instants), reusing the evaluations that cannot
    differ from the set before's, or from ``seed``'s (another set's, e.g. the case's
    whole: :func:`evaluated_segments`).

    The status on a day (and the days it names) is a fold of the facts in effect on that
    day and the opening (:func:`projections.entitlement._entitlement`). On a day before
    the earliest effective day of any fact that differs between two sets, the two folds
    read the same facts: the evaluation of the other set is the answer. The opening is
    read on every day, so one that differs changes every day (a guard: the case's
    invariants refuse a fact effective before the opening day, so the opening's own day
    already bounds the reuse in every history they accept)."""
    out: list[tuple[tuple[dt.date, str], ...]] = []
    before: Evaluated | None = None
    for records in known:
        relevant = read_records(_entitlement_records(records), dt.date.min)
        reuse: _Evaluations = {}
        for other in (seed, before):
            if other is not None:
                first = _first_difference(other.history, relevant.history)
                reuse.update((day, found) for day, found in other.days.items() if day < first)
        segments, days = _segments(relevant, reuse)
        out.append(segments)
        before = Evaluated(relevant.history, segments, days)
    return out


def evaluated_segments(records: Sequence[Recorded]) -> Evaluated:
    """:func:`status_segments` with the evaluations behind them (to seed
    :func:`segments_as_known` of the same case's earlier record sets)."""
    relevant = read_records(_entitlement_records(records), dt.date.min)
    segments, days = _segments(relevant, {})
    return Evaluated(relevant.history, segments, days)


#: Each day a status was evaluated on: the status and the days the evaluation named.
_Evaluations = dict[dt.date, tuple[str, tuple[dt.date, ...]]]


@dataclass(frozen=True, slots=True)
class Evaluated:
    """One record set's status segments, its history and the evaluations behind them."""

    history: History
    segments: tuple[tuple[dt.date, str], ...]
    days: _Evaluations


def _segments(
    relevant: Reading, reuse: _Evaluations
) -> tuple[tuple[tuple[dt.date, str], ...], _Evaluations]:
    facts = relevant.history.facts
    # A fact takes effect on its day or, like a resignation opening the JOB-3 grace, the
    # day after; every evaluation may name further days: evaluate until none is new.
    todo = {dt.date.min, *(d for f in facts for d in _around(f.effective_on))}
    evaluated: _Evaluations = {}
    while todo:
        day = todo.pop()
        found = reuse.get(day)
        if found is None:
            ent = entitlement(relevant.on_day(day))  # one history, evaluated day by day
            found = (ent.status, tuple(_thresholds(ent)))
        evaluated[day] = found
        todo.update(t for t in found[1] if t not in evaluated)
    segments: list[tuple[dt.date, str]] = []
    for day in sorted(evaluated):
        status = evaluated[day][0]
        if not segments or segments[-1][1] != status:
            segments.append((day, status))
    return tuple(segments), evaluated


def _first_difference(a: History, b: History) -> dt.date:
    """The earliest effective day of a fact in one history and not the other (the same
    record with the same corrections is the same fact); ``date.min`` if the openings
    differ, ``date.max`` if nothing does."""

    def key(f: Fact) -> tuple[int, tuple[int, ...]]:
        return f.version, tuple(c.version for c in f.corrections)

    opened_a, opened_b = a.opened(), b.opened()
    if (opened_a is None) != (opened_b is None) or (
        opened_a is not None and opened_b is not None and key(opened_a) != key(opened_b)
    ):
        return dt.date.min
    keys_a = {key(f): f.effective_on for f in a.facts}
    keys_b = {key(f): f.effective_on for f in b.facts}
    differing = [day for k, day in keys_a.items() if k not in keys_b]
    differing += [day for k, day in keys_b.items() if k not in keys_a]
    return min(differing, default=dt.date.max)


def status_on(segments: Sequence[tuple[dt.date, str]], on: dt.date) -> str:
    """The status on ``on``, read from :func:`status_segments` (no replay)."""
    index = bisect_right([day for day, _ in segments], on) - 1
    return segments[index][1] if index >= 0 else "not_employed"


def _entitlement_records(records: Sequence[Recorded]) -> list[Recorded]:
    """The records the entitlement reads, with the amendments that target them."""
    kept = {r.version for r in records if r.type in ENTITLEMENT_TYPES}
    return [
        r
        for r in records
        if r.version in kept
        or (r.type in AMENDMENT_TYPES and int(r.payload["target_version"]) in kept)
    ]


def _thresholds(ent: Entitlement) -> Iterable[dt.date]:
    """Every day on which a date the status compares ``on`` with is crossed."""
    dates = (ent.eligible_from, ent.support_end, ent.job_change_deadline, ent.last_eligible_day)
    for derived in dates:
        if derived is not None:
            yield from _around(derived.date)
    for decision in ent.decisions:
        yield decision.valid_from
        yield from _around(decision.valid_to)


def _around(day: dt.date) -> Iterable[dt.date]:
    yield day
    if day < dt.date.max:
        yield day_after(day)


def is_current_for(row: CaseRow, on: dt.date) -> bool:
    """Does the row's evaluated part (dates, plan, months) answer for ``on``?"""
    return row.computed_on >= on and row.schema == ROW_SCHEMA
