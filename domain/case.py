"""The ``Case`` aggregate: every fact of one person's 就労定着支援 case, as immutable events.

Public methods validate (payload schema, then history invariants) and only then
trigger an event; the event's ``apply`` only appends it to the case's record, so
replaying stored events never validates or fails. Each event carries its payload (the
JSON form, with its effective date inside), who recorded it, the recorded instant (the
library's ``timestamp``) and its link in the hash chain (:mod:`domain.chain`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as LibrarySnapshot

from domain.chain import GENESIS, event_hash
from domain.history import History, Recorded, tokyo_date
from domain.invariants import consistency_problems
from domain.ledger import SEQUENCE_TYPES, Ledger
from domain.payloads import (
    AMENDMENT_TYPES,
    EFFECTIVE_DATE_FIELD,
    ERASED,
    PAYLOADS,
    SYSTEM_TYPES,
    CaseOpened,
    FieldProblem,
    InvalidPayload,
    Payload,
    validate_payload,
)
from domain.payloads import EventCorrected as CorrectionPayload
from domain.payloads import EventRetracted as RetractionPayload
from domain.rules.con import PARTY_FIELDS, parties_as_self
from domain.sealing import PersonKey, erased, personal_values, reveal, seal_payload, sealed_paths

#: Types whose invariants depend on the rest of the history (others only need dates checked).
_SEQUENCE_TYPES = SEQUENCE_TYPES | AMENDMENT_TYPES
#: Where the aggregate keeps its :class:`~domain.ledger.Ledger` (derived; never stored).
_LEDGER = "_derived_ledger"
#: Where the mapper leaves an event's opened payload (:class:`domain.sealing.Revealed`).
REVEALED = "_revealed"
#: Whether ``person_erased`` is recorded (kept as events are applied, see ``Case.erased``).
_ERASED = "_erased"


class Case(Aggregate):
    """One person's case; its state is the list of recorded events (JSON form).

    The history read from that list (:class:`~domain.ledger.Ledger`) is derived state:
    built from the records not read yet whenever it is asked for, left out of snapshots
    (:class:`Case.Snapshot`), and shared cheaply with copies (:meth:`__deepcopy__`, which
    the library's aggregate cache uses).
    """

    class Snapshot(LibrarySnapshot):
        """The snapshot holds the stored records only; the ledger is rebuilt from them.

        Records keep their stored (sealed) payloads: no opened personal value is ever
        written to a snapshot.
        """

        @classmethod
        def take(cls, aggregate: Any) -> Any:
            snapshot = super().take(aggregate)
            snapshot.state.pop(_LEDGER, None)
            snapshot.state["_records"] = [as_stored(r) for r in snapshot.state["_records"]]
            return snapshot

    class Event(Aggregate.Event):
        TYPE: ClassVar[str] = ""
        payload: dict[str, Any]
        recorded_by: str
        hash: str
        previous_hash: str

        def apply(self, aggregate: Any) -> None:
            assert isinstance(aggregate, Case)
            record = {
                "version": self.originator_version,
                "type": self.TYPE,
                "payload": self.payload,
                "recorded_at": self.timestamp.isoformat(),
                "recorded_by": self.recorded_by,
                "hash": self.hash,
                "previous_hash": self.previous_hash,
            }
            # Read from the store, the mapper opened the sealed values (domain.store.persistence).
            opened = self.__dict__.get(REVEALED)
            if opened is not None:
                record |= {"payload": opened.payload, "stored_payload": self.payload,
                           "openings": opened.openings}  # fmt: skip
            aggregate._records.append(record)

    class Opened(Event, Aggregate.Created):
        TYPE = "case_opened"

    class Hired(Event):
        TYPE = "hired"

    class Resigned(Event):
        TYPE = "resigned"

    class JobChanged(Event):
        TYPE = "job_changed"

    class ContractSigned(Event):
        TYPE = "contract_signed"

    class DecisionGranted(Event):
        TYPE = "decision_granted"

    class ConsentGiven(Event):
        TYPE = "consent_given"

    class ConsentWithdrawn(Event):
        TYPE = "consent_withdrawn"

    class ContactRecorded(Event):
        TYPE = "contact_recorded"

    class CaseMeetingHeld(Event):
        TYPE = "case_meeting_held"

    class PlanRevised(Event):
        TYPE = "plan_revised"

    class SupportReportShared(Event):
        TYPE = "support_report_shared"

    class EvidenceReceived(Event):
        TYPE = "evidence_received"

    class SupportEnded(Event):
        TYPE = "support_ended"

    class RequestDeclined(Event):
        TYPE = "request_declined"

    class EventCorrected(Event):
        TYPE = "event_corrected"

    class EventRetracted(Event):
        TYPE = "event_retracted"

    class PersonErased(Event):
        """The person's key is destroyed: every personal value recorded so far reads erased."""

        TYPE = "person_erased"

        def apply(self, aggregate: Any) -> None:
            super().apply(aggregate)
            assert isinstance(aggregate, Case)
            aggregate.__dict__[_ERASED] = True
            records = aggregate._records
            for i, rec in enumerate(records):
                if rec.get("stored_payload") is not None:
                    records[i] = {**rec, "payload": erased(rec["stored_payload"]), "openings": {}}
            aggregate.__dict__.pop(_LEDGER, None)  # opened values may be in it: read again

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []

    def __deepcopy__(self, memo: dict[int, Any]) -> Case:
        """A copy for one request: its own lists, the immutable records shared.

        Stored records and typed facts never change once recorded, so copying the
        aggregate (as the library's cache does for every ``get``) need not copy them.
        The version is read first: a concurrent fast-forward appends a record before it
        moves the version, so the copy is always a consistent prefix.
        """
        version = self.version
        copy = object.__new__(type(self))
        state = {k: v for k, v in vars(self).items() if k != _LEDGER}
        state["_records"] = self._records[:version]
        state["_version"] = version  # not a version a concurrent fast-forward moved on to
        state[_ERASED] = self.erased  # known on the cached case: read once, not per copy
        state["_pending_events"] = list(self._pending_events)
        copy.__dict__.update(state)
        copy.__dict__[_LEDGER] = self._ledger(version).fork(version)
        return copy

    def _ledger(self, upto: int | None = None) -> Ledger:
        ledger: Ledger | None = self.__dict__.get(_LEDGER)
        if ledger is None:
            ledger = self.__dict__[_LEDGER] = Ledger(self.id)
        ledger.catch_up(self._records if upto is None else self._records[:upto])
        return ledger

    # -- reading -----------------------------------------------------------------

    @property
    def records(self) -> list[Recorded]:
        """Every recorded event, in recorded order, exactly as stored."""
        return list(self._ledger().recorded)

    def records_to_fold(self) -> list[Recorded]:
        """:attr:`records`, without building the case's history when it is not built yet:
        for a caller that folds the records itself and reads the case once (the views'
        rebuild, issue 24: the history it would build and drop cost a quarter of a case's
        load). A case whose history is built (a cached one) gives its own records."""
        if _LEDGER in self.__dict__:
            return self.records
        return [Recorded.from_json({**rec, "case_id": self.id}) for rec in self._records]

    def history(self, as_of: datetime | None = None) -> History:
        """The case as known at ``as_of`` (the fold of :func:`domain.history.read_history`)."""
        return self._ledger().history(as_of)

    # -- writing -----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data: Mapping[str, Any],
        *,
        recorded_by: str,
        recorded_at: datetime,
        case_id: UUID | None = None,
        key: PersonKey | None = None,
        make_key: Callable[[UUID], PersonKey] | None = None,
    ) -> Case:
        """Open a case from a ``case_opened`` payload; refuse it with field problems.

        ``key``: the person's key (:mod:`domain.store.keyring`) that seals the personal fields;
        without one they are stored as sent. ``make_key``: makes it instead, only once the
        payload is accepted (a refused opening leaves no key behind).
        """
        payload = validate_payload("case_opened", data)
        _refuse_future(payload, "case_opened", recorded_at, prefix="")
        case_id = case_id or uuid4()
        if key is None and make_key is not None:
            key = make_key(case_id)
        if key is not None and key.case_id != case_id:
            raise ValueError("the key belongs to another case")
        plain = _stored_form(payload)
        sealed = _sealed(plain, sealed_paths("case_opened"), key, erased=False)
        stored = plain if sealed is None else sealed.stored
        at = recorded_at.astimezone(UTC)
        link = event_hash(
            case_id=case_id, version=1, type="case_opened", payload=stored,
            recorded_at=at, recorded_by=recorded_by, previous_hash=GENESIS,
        )  # fmt: skip
        case = cls._create(
            cls.Opened, id=case_id, payload=stored, recorded_by=recorded_by,
            hash=link, previous_hash=GENESIS, timestamp=at,
        )  # fmt: skip
        if sealed is not None:
            case._records[-1] |= sealed.record_fields(plain)
        return case

    @property
    def erased(self) -> bool:
        """Whether the person's personal data was erased (``person_erased`` recorded).

        Kept as the events are applied (and in snapshots); read from the records once
        for a case restored from a snapshot taken before the flag existed.
        """
        found = self.__dict__.get(_ERASED)
        if found is None:
            found = self.__dict__[_ERASED] = any(
                r["type"] == "person_erased" for r in self._records
            )
        return bool(found)

    def unsealed_personal_versions(self) -> list[int]:
        """Versions whose personal values are stored in clear (recorded before sealing).

        Destroying the key cannot erase these; :meth:`domain.store.application.CaseLog.erase_person`
        refuses rather than record an erasure that leaves them readable.
        """
        ledger = self._ledger()
        out = []
        for rec in ledger.recorded:
            if rec.stored_payload is not None:
                continue
            corrected = rec.type == "event_corrected"
            target = ledger.at(int(rec.payload["target_version"])) if corrected else None
            paths = sealed_paths(rec.type, target.type if target else None)
            if personal_values(rec.payload, paths):
                out.append(rec.version)
        return out

    def record(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        recorded_by: str,
        recorded_at: datetime,
        key: PersonKey | None = None,
    ) -> Recorded:
        """Validate and record one event; on any problem raise and leave the case unchanged.

        ``key`` seals the personal fields (as in :meth:`open`); once the person is erased
        there is none, and an event carrying personal text is refused.
        """
        if event_type == "case_opened":
            problem = FieldProblem(field="type", message="ケース開始は新しいケースとして登録します")
            raise CaseRuleViolation([problem])
        if event_type in SYSTEM_TYPES:
            message = "個人情報の消去は teichaku person erase で行います(ここでは記録できません)"
            raise _violation("type", message)
        payload = validate_payload(event_type, data)
        target_type = None
        if isinstance(payload, CorrectionPayload):
            payload, target_type = self._checked_correction(payload, recorded_at)
        elif isinstance(payload, RetractionPayload):
            self._check_target(payload.target_version, "retracted")
        _refuse_future(payload, event_type, recorded_at, prefix="")
        plain = self._as_self(event_type, target_type, _stored_form(payload))
        paths = sealed_paths(event_type, target_type)
        sealed = _sealed(plain, paths, None if self.erased else key, erased=self.erased)
        return self._append(event_type, plain, sealed, recorded_by, recorded_at)

    def _as_self(
        self, event_type: str, target_type: str | None, plain: dict[str, Any]
    ) -> dict[str, Any]:
        """``plain`` (a correction: its replacement) with parties naming the person as 本人.

        See :func:`domain.rules.con.parties_as_self`; the names are the opening's as it reads
        now (a corrected name counts), none once erased.
        """
        fact_type = target_type or event_type
        if fact_type not in PARTY_FIELDS:
            return plain
        opening = self._ledger().facts[1].payload
        person = opening.person if isinstance(opening, CaseOpened) else None
        names = [n for n in (person.name, person.name_kana) if n and n != ERASED] if person else []
        if target_type is not None:
            return {**plain, "replacement": parties_as_self(fact_type, plain["replacement"], names)}
        return parties_as_self(fact_type, plain, names)

    def erase(self, reason: str, *, recorded_by: str, recorded_at: datetime) -> Recorded:
        """Record that the person's key is destroyed (``person_erased``); once only."""
        if self.erased:
            raise _violation("type", "このケースの個人情報は既に消去されています")
        data = {"erased_on": tokyo_date(recorded_at).isoformat(), "reason": reason}
        plain = _stored_form(validate_payload("person_erased", data))
        return self._append("person_erased", plain, None, recorded_by, recorded_at)

    def _append(
        self, event_type: str, plain: dict[str, Any], sealed: _Sealing | None,
        recorded_by: str, recorded_at: datetime,
    ) -> Recorded:  # fmt: skip
        at = recorded_at.astimezone(UTC)
        ledger = self._ledger()
        candidate = ledger.typed(self._link(event_type, plain, sealed, recorded_by, at))
        self._check_history(ledger, candidate)
        self.trigger_event(
            EVENT_CLASSES[event_type], payload=dict(candidate.hashed_payload),
            recorded_by=recorded_by, hash=candidate.hash,
            previous_hash=candidate.previous_hash, timestamp=at,
        )  # fmt: skip
        if sealed is not None:
            self._records[-1] |= sealed.record_fields(plain)
        ledger.later(candidate)  # already typed; applied if this copy is read again
        return candidate

    def _link(
        self, event_type: str, plain: dict[str, Any], sealed: _Sealing | None, by: str,
        at: datetime,
    ) -> Recorded:  # fmt: skip
        previous = self._records[-1]["hash"] if self._records else GENESIS
        version = self.version + 1
        stored = plain if sealed is None else sealed.stored
        link = event_hash(
            case_id=self.id, version=version, type=event_type, payload=stored,
            recorded_at=at, recorded_by=by, previous_hash=previous,
        )  # fmt: skip
        if sealed is None:
            return Recorded(self.id, version, event_type, plain, at, by, link, previous)
        return Recorded(
            self.id, version, event_type, plain, at, by, link, previous,
            stored_payload=sealed.stored, openings=sealed.openings,
        )  # fmt: skip

    def _check_target(self, target_version: int, verb: str) -> str:
        """The target of an amendment must exist, be a fact, and not be retracted."""
        ledger = self._ledger()
        found = ledger.at(target_version)
        if found is None:
            raise _violation("target_version", "対象の記録(版番号)が見つかりません")
        if found.type in AMENDMENT_TYPES:
            message = "訂正・取消そのものは対象にできません。元の記録を対象にしてください"
            raise _violation("target_version", message)
        if found.type in SYSTEM_TYPES:
            raise _violation("target_version", "個人情報の消去は訂正も取消もできません")
        if verb == "retracted" and found.type == "case_opened":
            raise _violation("target_version", "ケース開始は取り消せません(訂正してください)")
        if target_version in ledger.retracted:
            raise _violation("target_version", "この記録は既に取り消されています")
        return found.type

    def _checked_correction(
        self, payload: CorrectionPayload, at: datetime
    ) -> tuple[CorrectionPayload, str]:
        target_type = self._check_target(payload.target_version, "corrected")
        try:
            replacement = validate_payload(target_type, payload.replacement)
        except InvalidPayload as exc:
            problems = [
                FieldProblem(field=f"replacement.{p.field}", message=p.message)
                for p in exc.problems
            ]
            raise CaseRuleViolation(problems) from None
        _refuse_future(replacement, target_type, at, prefix="replacement.")
        return payload.model_copy(update={"replacement": _stored_form(replacement)}), target_type

    def _check_history(self, ledger: Ledger, candidate: Recorded) -> None:
        """Refuse ``candidate`` when it creates a problem the history did not have.

        Checked once, on the facts the candidate can affect (:meth:`Ledger.scoped`), so an
        append costs the same on a case of ten events as on one of a thousand.
        """
        if candidate.type not in _SEQUENCE_TYPES:
            _refuse_before_opening(ledger.opened_on(), candidate)
            return
        before, after = ledger.scoped(candidate)
        known = {(p.code, p.version) for p in consistency_problems(before)}
        new = [p for p in consistency_problems(after) if (p.code, p.version) not in known]
        if new:
            raise CaseRuleViolation([_problem_for(candidate, p) for p in new])


EVENT_CLASSES: dict[str, type[Case.Event]] = {
    cls.TYPE: cls
    for cls in vars(Case).values()
    if isinstance(cls, type) and issubclass(cls, Case.Event) and cls.TYPE
}
assert set(EVENT_CLASSES) == set(PAYLOADS), "every payload type needs an event class"


def _stored_form(payload: Payload) -> dict[str, Any]:
    """The JSON form that is stored and hashed (absent optional fields left out)."""
    return payload.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True, slots=True)
class _Sealing:
    """A payload's stored form with its personal values sealed, and their openings."""

    stored: dict[str, Any]
    openings: dict[str, str]

    def record_fields(self, plain: dict[str, Any]) -> dict[str, Any]:
        """What a record of ``Case._records`` holds: ``plain`` shown, the sealed form stored."""
        return {"payload": plain, "stored_payload": self.stored, "openings": self.openings}


def _sealed(
    plain: dict[str, Any], paths: list[str], key: PersonKey | None, *, erased: bool
) -> _Sealing | None:
    """The sealed form of ``plain`` (``None`` when it carries no personal value)."""
    if not personal_values(plain, paths):
        return None
    if key is None:
        if erased:
            message = "この方の個人情報は消去済みのため、氏名や自由記述を含む記録はできません"
            raise _violation(paths[0].replace("[]", ""), message)
        return None  # a store without person keys (tests of the domain alone)
    stored = seal_payload(plain, paths, key)
    return _Sealing(stored, reveal(stored, key).openings)


def as_stored(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record of ``Case._records`` as stored: its sealed payload, no opened values."""
    if record.get("stored_payload") is None:
        return dict(record)
    out = {k: v for k, v in record.items() if k not in ("stored_payload", "openings")}
    out["payload"] = record["stored_payload"]
    return out


def _refuse_future(payload: Payload, event_type: str, at: datetime, prefix: str) -> None:
    name = EFFECTIVE_DATE_FIELD.get(event_type)
    if name is None:
        return
    if getattr(payload, name) > tokyo_date(at):
        raise _violation(prefix + name, "未来の日付は記録できません(起きた日を入力してください)")


def _refuse_before_opening(opened_on: date, candidate: Recorded) -> None:
    if candidate.effective_on < opened_on:
        field = EFFECTIVE_DATE_FIELD[candidate.type]
        message = f"ケース開始日({opened_on.isoformat()})より前の日付は記録できません"
        raise _violation(field, message)


def _problem_for(candidate: Recorded, problem: Any) -> FieldProblem:
    if problem.version == candidate.version:
        return FieldProblem(field=problem.field, message=problem.message)
    if candidate.type in AMENDMENT_TYPES:
        corrected = candidate.type == "event_corrected"
        field = "replacement." + problem.field if corrected else "target_version"
        if problem.version == candidate.payload["target_version"]:
            return FieldProblem(field=field, message=problem.message)
        message = f"この操作で第{problem.version}版の記録と矛盾します: {problem.message}"
        return FieldProblem(field="target_version", message=message)
    message = f"第{problem.version}版の記録と矛盾します: {problem.message}"
    return FieldProblem(field=problem.field, message=message)


def _violation(field: str, message: str) -> CaseRuleViolation:
    return CaseRuleViolation([FieldProblem(field=field, message=message)])


class CaseRuleViolation(ValueError):
    """The event contradicts the case's history; ``problems`` says what and where."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
