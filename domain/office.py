"""The ``Office`` aggregate: the office's 体制 (体制届) as immutable events (spec/fees.md).

One office, one aggregate, in the same store as the cases; its id is the uuid5 of the
事業所番号 (:func:`office_aggregate_id`), so it is found again from the number alone.
Every event carries its payload, who recorded it, the instant, and its link in a hash
chain built exactly as a case's (:func:`domain.chain.event_hash`, the aggregate's id in
the ``case_id`` field): the audit trail covers the office's facts too. Facts are never
changed: a mistake is ``event_corrected`` or ``event_retracted`` with a reason, as for
cases, and :func:`office_facts` reads the facts as known at any instant (``as_of``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from domain.chain import GENESIS, event_hash
from domain.history import tokyo_date
from domain.payloads import (
    Digits10,
    FieldProblem,
    IsoDate,
    Month,
    Name,
    PriorServiceKind,
    Text,
    field_problems,
)

#: Fixed namespace: the office's aggregate is found again from its 事業所番号.
OFFICE_NAMESPACE = UUID("3f6b8d0e-2c4a-4b7e-9a1d-5e8c7f2b4a61")


def office_aggregate_id(office_id: str) -> UUID:
    """The id of an office's aggregate (uuid5 of the 事業所番号 in a fixed namespace)."""
    return uuid5(OFFICE_NAMESPACE, office_id)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: 就労定着率 tiers by their lower bound in % (fees.md FEE-1; 10: the R1.10 table's).
TierPercent = Literal[95, 90, 80, 70, 50, 30, 10, 0]
AddonKind = Literal["retention_system", "job_coach", "treatment"]
TreatmentLevel = Literal["I", "II", "III", "IV"]
ReductionKind = Literal[
    "abuse_prevention", "business_continuity", "information_disclosure", "support_system",
    "staff_shortfall_first2", "staff_shortfall_from3",
    "manager_shortfall_first4", "manager_shortfall_from5",
]  # fmt: skip
UserBand = Literal["upto20", "21to40", "41plus"]
Months = Annotated[list[Month], Field(min_length=1, max_length=120)]


class OfficeRegistered(_Payload):
    """事業所番号, name and 指定日 (the first event of an office)."""

    office_id: Digits10
    name: Name
    designated_on: IsoDate


class TierNotified(_Payload):
    """The fiscal year's 就労定着率 tier as notified (体制届), by its lower bound in %."""

    fiscal_year: Annotated[int, Field(ge=2018, le=2100)]
    tier_percent: TierPercent
    notified_on: IsoDate


class AddonNotified(_Payload):
    """A 加算 notified from a month (to a month, or on): FEE-4, FEE-5, FEE-8 (level)."""

    addon: AddonKind
    level: TreatmentLevel | None = None
    from_month: Month
    to_month: Month | None = None
    notified_on: IsoDate

    @model_validator(mode="after")
    def _level(self) -> AddonNotified:
        if (self.addon == "treatment") != (self.level is not None):
            raise ValueError("level(処遇改善加算の区分)は treatment のときだけ、必ず指定します")
        if self.to_month is not None and self.to_month < self.from_month:
            raise ValueError("to_month は from_month 以降にしてください")
        return self


class ReductionMonths(_Payload):
    """A 減算 (FEE-9) and the service months it applies to."""

    kind: ReductionKind
    months: Months
    reason: Text | None = None


class JointServices(_Payload):
    """The services this office runs jointly (一体的運営), from a day (FEE-2)."""

    services: Annotated[list[PriorServiceKind], Field(max_length=5)]
    from_on: IsoDate


class UserBandNotified(_Payload):
    """The 利用者数規模 band of a fiscal year before 令和6年度 (FEE-1)."""

    fiscal_year: Annotated[int, Field(ge=2018, le=2023)]
    band: UserBand


class UnitPriceSet(_Payload):
    """The 地域区分 unit price in yen per unit the office entered, from a month."""

    yen_per_unit: Annotated[Decimal, Field(gt=0, le=20, decimal_places=2)]
    from_month: Month


class OfficeEventCorrected(_Payload):
    target_version: Annotated[int, Field(ge=1)]
    reason: Text
    replacement: Annotated[dict[str, Any], Field(max_length=20)]


class OfficeEventRetracted(_Payload):
    target_version: Annotated[int, Field(ge=2)]
    reason: Text


OFFICE_PAYLOADS: dict[str, type[_Payload]] = {
    "office_registered": OfficeRegistered,
    "tier_notified": TierNotified,
    "addon_notified": AddonNotified,
    "reduction_months": ReductionMonths,
    "joint_services": JointServices,
    "user_band_notified": UserBandNotified,
    "unit_price_set": UnitPriceSet,
    "event_corrected": OfficeEventCorrected,
    "event_retracted": OfficeEventRetracted,
}
OFFICE_AMENDMENTS = frozenset({"event_corrected", "event_retracted"})


class OfficeRuleViolation(ValueError):
    """The office event is refused; ``problems`` says which field and why (Japanese)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def validate_office_payload(event_type: str, data: Any) -> _Payload:
    model = OFFICE_PAYLOADS.get(event_type)
    if model is None:
        known = ", ".join(OFFICE_PAYLOADS)
        raise OfficeRuleViolation([FieldProblem(field="type", message=f"未知の種別です({known})")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise OfficeRuleViolation(field_problems(exc)) from None


def _stored(payload: _Payload) -> dict[str, Any]:
    return payload.model_dump(mode="json", exclude_none=True)


class Office(Aggregate):
    """One office's 体制; state is the list of recorded events (JSON form)."""

    class Event(Aggregate.Event):
        TYPE: ClassVar[str] = "office_event"
        event_type: str
        payload: dict[str, Any]
        recorded_by: str
        hash: str
        previous_hash: str

        def apply(self, aggregate: Any) -> None:
            assert isinstance(aggregate, Office)
            aggregate.records.append({
                "version": self.originator_version, "type": self.event_type,
                "payload": self.payload, "recorded_at": self.timestamp.isoformat(),
                "recorded_by": self.recorded_by, "hash": self.hash,
                "previous_hash": self.previous_hash,
            })  # fmt: skip

    class Registered(Event, Aggregate.Created):
        pass

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    @classmethod
    def register(
        cls, data: Mapping[str, Any], *, recorded_by: str, recorded_at: datetime
    ) -> Office:
        """The office's first event (``office_registered``)."""
        payload = validate_office_payload("office_registered", data)
        assert isinstance(payload, OfficeRegistered)
        _refuse_future(payload.designated_on, recorded_at, "designated_on")
        office_uuid = office_aggregate_id(payload.office_id)
        stored = _stored(payload)
        at = recorded_at.astimezone(UTC)
        link = event_hash(case_id=office_uuid, version=1, type="office_registered",
                          payload=stored, recorded_at=at, recorded_by=recorded_by,
                          previous_hash=GENESIS)  # fmt: skip
        return cls._create(cls.Registered, id=office_uuid, event_type="office_registered",
                           payload=stored, recorded_by=recorded_by, hash=link,
                           previous_hash=GENESIS, timestamp=at)  # fmt: skip

    @property
    def office_id(self) -> str:
        return str(self.records[0]["payload"]["office_id"])

    def chain_breaks(self) -> list[int]:
        """The versions whose hash does not recompute or does not link to the one before
        (empty: the office's chain holds), as a case's chain is checked."""
        broken: list[int] = []
        previous = GENESIS
        for r in self.records:
            expected = event_hash(
                case_id=self.id, version=r["version"], type=r["type"], payload=r["payload"],
                recorded_at=datetime.fromisoformat(r["recorded_at"]),
                recorded_by=r["recorded_by"], previous_hash=previous,
            )  # fmt: skip
            if r["previous_hash"] != previous or r["hash"] != expected:
                broken.append(int(r["version"]))
            previous = r["hash"]
        return broken

    def record(
        self, event_type: str, data: Mapping[str, Any], *, recorded_by: str,
        recorded_at: datetime,
    ) -> dict[str, Any]:  # fmt: skip
        """Validate and record one event; on any problem raise and leave the office unchanged."""
        if event_type == "office_registered":
            raise _violation("type", "事業所の登録は最初の1回だけです(訂正は event_corrected)")
        payload = validate_office_payload(event_type, data)
        if isinstance(payload, OfficeEventCorrected | OfficeEventRetracted):
            target = self._target(payload.target_version)
            if isinstance(payload, OfficeEventCorrected):
                try:
                    replacement = validate_office_payload(target["type"], payload.replacement)
                except OfficeRuleViolation as exc:
                    problems = [FieldProblem(field=f"replacement.{p.field}", message=p.message)
                                for p in exc.problems]  # fmt: skip
                    raise OfficeRuleViolation(problems) from None
                if isinstance(replacement, OfficeRegistered) and (
                    replacement.office_id != self.office_id
                ):
                    raise _violation("replacement.office_id", "事業所番号は訂正できません")
                payload = payload.model_copy(update={"replacement": _stored(replacement)})
        checked, prefix = payload, ""
        if isinstance(payload, OfficeEventCorrected):
            checked = validate_office_payload(self._target(payload.target_version)["type"],
                                              payload.replacement)  # fmt: skip
            prefix = "replacement."
        for name in ("notified_on", "from_on", "designated_on"):
            day = getattr(checked, name, None)
            if isinstance(day, date):
                _refuse_future(day, recorded_at, prefix + name)
        stored = _stored(payload)
        at = recorded_at.astimezone(UTC)
        version = self.version + 1
        previous = self.records[-1]["hash"]
        link = event_hash(case_id=self.id, version=version, type=event_type, payload=stored,
                          recorded_at=at, recorded_by=recorded_by,
                          previous_hash=previous)  # fmt: skip
        self.trigger_event(self.Event, event_type=event_type, payload=stored,
                           recorded_by=recorded_by, hash=link, previous_hash=previous,
                           timestamp=at)  # fmt: skip
        return self.records[-1]

    def _target(self, version: int) -> dict[str, Any]:
        found = next((r for r in self.records if r["version"] == version), None)
        if found is None:
            raise _violation("target_version", "対象の記録(版番号)が見つかりません")
        if found["type"] in OFFICE_AMENDMENTS:
            raise _violation("target_version", "訂正・取消そのものは対象にできません")
        retracted = {r["payload"]["target_version"] for r in self.records
                     if r["type"] == "event_retracted"}  # fmt: skip
        if version in retracted:
            raise _violation("target_version", "この記録は既に取り消されています")
        return found


def _refuse_future(day: date, at: datetime, name: str) -> None:
    if day > tokyo_date(at):
        raise _violation(name, "未来の日付は記録できません(届け出た日を入力してください)")


def _violation(name: str, message: str) -> OfficeRuleViolation:
    return OfficeRuleViolation([FieldProblem(field=name, message=message)])


# -- the fold -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfficeFact:
    """One fact as known: its type, payload (corrections applied) and the versions behind it."""

    version: int
    type: str
    payload: Mapping[str, Any]
    events: tuple[int, ...]
    recorded_at: str

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "type": self.type, "payload": dict(self.payload),
                "events": list(self.events), "recorded_at": self.recorded_at}  # fmt: skip


@dataclass(frozen=True)
class OfficeFacts:
    """The office's 体制 as known at ``as_of`` (``None``: now)."""

    office_id: str
    as_of: datetime | None
    version: int
    facts: tuple[OfficeFact, ...]
    retracted: dict[int, str] = field(default_factory=dict)

    def of_type(self, event_type: str) -> list[OfficeFact]:
        return [f for f in self.facts if f.type == event_type]

    @property
    def registration(self) -> OfficeFact | None:
        found = self.of_type("office_registered")
        return found[0] if found else None

    def tier(self, fiscal_year: int) -> OfficeFact | None:
        """The tier notified for ``fiscal_year`` (the latest notification counts)."""
        found = [f for f in self.of_type("tier_notified")
                 if f.payload["fiscal_year"] == fiscal_year]  # fmt: skip
        return found[-1] if found else None

    def band(self, fiscal_year: int) -> OfficeFact | None:
        found = [f for f in self.of_type("user_band_notified")
                 if f.payload["fiscal_year"] == fiscal_year]  # fmt: skip
        return found[-1] if found else None

    def addons(self, month: str) -> list[OfficeFact]:
        """The 加算 notified for ``month`` (from_month ≤ month ≤ to_month)."""
        return [f for f in self.of_type("addon_notified") if _covers(f.payload, month)]

    def reductions(self, month: str) -> list[OfficeFact]:
        return [f for f in self.of_type("reduction_months") if month in f.payload["months"]]

    def joint_services(self, on: date) -> OfficeFact | None:
        day = on.isoformat()
        found = [f for f in self.of_type("joint_services") if f.payload["from_on"] <= day]
        return max(found, key=lambda f: f.payload["from_on"]) if found else None

    def unit_price(self, month: str) -> OfficeFact | None:
        found = [f for f in self.of_type("unit_price_set") if f.payload["from_month"] <= month]
        return max(found, key=lambda f: (f.payload["from_month"], f.version)) if found else None

    def as_json(self) -> dict[str, Any]:
        reg = self.registration
        return {
            "office_id": self.office_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "version": self.version,
            "name": reg.payload["name"] if reg else None,
            "designated_on": reg.payload["designated_on"] if reg else None,
            "facts": [f.as_json() for f in self.facts],
            "retracted": [{"version": v, "reason": r} for v, r in sorted(self.retracted.items())],
        }


def _covers(payload: Mapping[str, Any], month: str) -> bool:
    last = payload.get("to_month")
    return bool(payload["from_month"] <= month and (last is None or month <= last))


def office_facts(
    office_id: str, records: Sequence[Mapping[str, Any]], as_of: datetime | None = None
) -> OfficeFacts:
    """Fold the office's records as known at ``as_of``: corrections applied, retractions
    removed (the same reading as a case's, :mod:`domain.history`)."""
    known = [r for r in records
             if as_of is None or datetime.fromisoformat(r["recorded_at"]) <= as_of]  # fmt: skip
    facts: dict[int, OfficeFact] = {}
    retracted: dict[int, str] = {}
    for r in known:
        v, t, p = int(r["version"]), str(r["type"]), r["payload"]
        if t == "event_corrected":
            target = facts.get(int(p["target_version"]))
            if target is not None:
                facts[target.version] = OfficeFact(
                    target.version, target.type, p["replacement"], (*target.events, v),
                    target.recorded_at,
                )
        elif t == "event_retracted":
            facts.pop(int(p["target_version"]), None)
            retracted[int(p["target_version"])] = str(p["reason"])
        else:
            facts[v] = OfficeFact(v, t, p, (v,), str(r["recorded_at"]))
    version = int(known[-1]["version"]) if known else 0
    return OfficeFacts(office_id, as_of, version, tuple(facts[k] for k in sorted(facts)), retracted)
