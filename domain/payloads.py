"""Payload schemas of every event type (spec/api.md), validated with pydantic.

The stored form of a payload is its JSON form (``model_dump(mode="json")``): dates as
``YYYY-MM-DD`` strings, so what is hashed, stored and exported is exactly what was
sent. :func:`parse_payload` turns a stored payload back into its typed model.
Field error messages are Japanese because staff read them next to the form field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from domain.days import DAY_RANGE_JA, MONTH_RANGE_JA, day_in_range, month_in_range
from domain.kana import katakana_reading
from domain.payload_limits import MaxItems, MaxSize

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _iso_date(value: Any, info: ValidationInfo) -> Any:
    """Accept only ``YYYY-MM-DD`` text (or a date): no timestamps, no other formats; a new
    date within :mod:`domain.days`' range (a stored one is read as it was stored)."""
    if isinstance(value, date):
        day = value
    elif not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("日付は YYYY-MM-DD の形式で入力してください")
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError("存在しない日付です") from None
    if not day_in_range(day) and not (info.context and info.context.get("stored")):
        raise ValueError(DAY_RANGE_JA)
    return day


def _month_in_range(value: str, info: ValidationInfo) -> str:
    """A new ``YYYY-MM`` within :mod:`domain.days`' range (after the pattern matched)."""
    year, month = value.split("-")
    if not month_in_range(int(year), int(month)) and not (
        info.context and info.context.get("stored")
    ):
        raise ValueError(MONTH_RANGE_JA)
    return value


#: What a personal value reads as once its person's key is destroyed (domain.sealing).
ERASED = "〔消去済み〕"


def _erasable(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A personal field: a stored one may read :data:`ERASED`; nobody may send that text."""
    if value == ERASED:
        if info.context and info.context.get("stored"):
            return value
        raise ValueError(f"「{ERASED}」は入力できません(消去された記録を表す文字列です)")
    return handler(value)


Erasable = WrapValidator(_erasable)


def _reading(value: Any, info: ValidationInfo) -> Any:
    """氏名(カナ) as every door stores it: katakana, one space between parts
    (:func:`domain.kana.katakana_reading`); a stored one is read as it was stored."""
    if isinstance(value, str) and not (info.context and info.context.get("stored")):
        return katakana_reading(value)
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Month = Annotated[
    str, StringConstraints(pattern=_ISO_MONTH.pattern), AfterValidator(_month_in_range)
]
Digits10 = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
Digits6 = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Digits13 = Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")]

# -- Limits (issue 23) ---------------------------------------------------------------
# An event is immutable: one oversized event would slow its case for ever. Each limit is
# far above what an office writes, yet together they keep the largest event (a case
# meeting with every list and its summary full) near 30,000 characters, about 90 KB.
# Lists and the replacement are checked before their contents (domain.payload_limits);
# string limits are also checked on stored payloads: raise them freely, never lower them.
NAME_MAX = 200  # a name, title, place, goal or category of information: a line
TEXT_MAX = 2_000  # a reason, a job change's description, a consent's purpose: a paragraph
NOTE_MAX = 10_000  # a contact's or a case meeting's summary: about five A4 pages
PARTIES_MAX = 50  # parties a consent names or a meeting gathers: a handful in practice
INFORMATION_MAX = 50  # categories of information consented to or shared: a handful too
RECIPIENTS_MAX = 20  # those a month's support report is handed to: 本人, employer, センター
GOALS_MAX = 20  # a support plan's goals: three to five in practice
#: A correction replaces one payload: no type has more than 7 fields, and the largest
#: a correction can replace (that full case meeting) measures about 30,200 (see fits), 90 KB.
REPLACEMENT_KEYS_MAX = 20
REPLACEMENT_SIZE_MAX = 50_000

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
Parties = Annotated[list[Name], Field(min_length=1), MaxItems(PARTIES_MAX)]
Information = Annotated[list[Name], Field(min_length=1), MaxItems(INFORMATION_MAX)]
InformationShared = Annotated[list[Name], MaxItems(INFORMATION_MAX)]
Recipients = Annotated[list[Name], Field(min_length=1), MaxItems(RECIPIENTS_MAX)]
#: Personal fields (sealed with the person's key, see domain.sealing).
PersonalName = Annotated[Name, Erasable]
#: 氏名(カナ): read as katakana (やまだ → ヤマダ) after :data:`ERASED` is refused as input.
NameKana = Annotated[Name, BeforeValidator(_reading), Erasable]
PersonalText = Annotated[Text, Erasable]
PersonalNote = Annotated[Note, Erasable]
RecipientNumber = Annotated[Digits10, Erasable]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

PriorServiceKind = Literal[
    "employment_transition",
    "continuous_a",
    "continuous_b",
    "daily_life_care",
    "independence_training",
]
JobAspect = Literal["duties", "supervisor", "workplace", "hours", "contract"]
Counterpart = Literal["person", "employer", "family", "agency", "medical"]
ContactMode = Literal["face_to_face", "online", "phone", "mail"]
EvidenceKind = Literal["employment_certificate", "payslip", "insurance_card"]
EndReason = Literal["period_expired", "resigned", "person_request", "other"]


class Payload(BaseModel):
    """Base of every payload: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(Payload):
    name: PersonalName
    name_kana: NameKana | None = None


class PriorService(Payload):
    kind: PriorServiceKind
    ended_on: IsoDate | None = None
    temporary_while_employed: bool = False
    #: FEE-2 ⚠ (issue 22): the prior service's 事業所番号, and whether this office runs it
    #: jointly (一体的運営: then no 初期加算). Absent: not recorded.
    provider_office_id: Digits10 | None = None
    run_jointly: bool | None = None


CapCategory = Literal["public_assistance", "low_income", "general_1", "general_2"]


class ClaimFacts(Payload):
    """What the month's claim needs of the person (issue 22), all optional.

    ``special_area_home``: the person lives in a 中山間地域等 area (FEE-6 ○);
    ``cap_managed_here``: this office manages the person's monthly cap (FEE-7 ○);
    ``cap_category``: the cap category (FEE-10 ✔).
    """

    special_area_home: bool | None = None
    cap_managed_here: bool | None = None
    #: Sealed with the person's key (a 生活保護 category is 要配慮個人情報): reads
    #: :data:`ERASED` once the person is erased.
    cap_category: Annotated[CapCategory, Erasable] | None = None


class CaseOpened(Payload):
    person: Person
    recipient_number: RecipientNumber
    municipality_code: Digits6
    office_id: Digits10
    prior_service: PriorService
    opened_on: IsoDate
    #: Issue 22 (optional; a change later is a correction of this event): claim facts.
    claim: ClaimFacts | None = None


class Employer(Payload):
    name: Name
    corporate_number: Digits13 | None = None
    #: FEE-6 ○ (issue 22): the workplace is in a 中山間地域等 area.
    special_area: bool | None = None


class Hired(Payload):
    hired_on: IsoDate
    employer: Employer
    job_title: Name | None = None
    weekly_hours: Annotated[float, Field(gt=0, le=80)] | None = None
    disclosed: bool | None = None


class Resigned(Payload):
    resigned_on: IsoDate
    reason: PersonalText | None = None


class JobChanged(Payload):
    changed_on: IsoDate
    aspect: JobAspect
    description: PersonalText | None = None


class ContractSigned(Payload):
    signed_on: IsoDate
    support_from: IsoDate


class DecisionGranted(Payload):
    decided_on: IsoDate
    valid_from: IsoDate
    valid_to: IsoDate
    municipality_code: Digits6 | None = None

    @model_validator(mode="after")
    def _valid_range(self) -> DecisionGranted:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to(支給決定の終了日)は valid_from(開始日)以降にしてください")
        return self


class ConsentGiven(Payload):
    consent_id: Name
    given_on: IsoDate
    written: bool
    parties: Parties
    information: Information
    purpose: PersonalText | None = None
    valid_until: IsoDate | None = None


class ConsentWithdrawn(Payload):
    consent_id: Name
    withdrawn_on: IsoDate


class ContactRecorded(Payload):
    contact_on: IsoDate
    counterpart: Counterpart
    mode: ContactMode
    place: Name | None = None
    party: Name | None = None
    information_shared: InformationShared = Field(default_factory=list)
    summary: PersonalNote | None = None


MeetingExplainer = Literal["service_manager", "other_staff"]


class CaseMeetingHeld(Payload):
    held_on: IsoDate
    parties: Parties
    person_attended: bool | None = None
    information_shared: InformationShared
    summary: PersonalNote | None = None
    #: FEE-3 ○ (issue 22): who explained the support plan — the サービス管理責任者 ((Ⅰ)) or
    #: another staff member who reports to them ((Ⅱ)); and the outside bodies (関係機関)
    #: that took part. Absent: not a 地域連携会議 as far as the records say.
    explained_by: MeetingExplainer | None = None
    outside_bodies: Annotated[list[Name], Field(min_length=1), MaxItems(PARTIES_MAX)] | None = None


class PlanRevised(Payload):
    revised_on: IsoDate
    goals: Annotated[list[PersonalName], Field(min_length=1), MaxItems(GOALS_MAX)]
    agreed_on: IsoDate | None = None
    delivered_on: IsoDate | None = None


class SupportReportShared(Payload):
    month: Month
    shared_on: IsoDate
    shared_with: Recipients
    #: SHA-256 (64 lowercase hex) of the shared report's canonical content
    #: (projections/support_report.py): links this sharing to exactly what was handed out.
    report_sha256: Sha256Hex | None = None


class EvidenceReceived(Payload):
    received_on: IsoDate
    kind: EvidenceKind
    covers_on: IsoDate


class SupportEnded(Payload):
    ended_on: IsoDate
    reason: EndReason
    handed_over_to: Name | None = None


class RequestDeclined(Payload):
    """ELIG-5: a provider may not refuse a person to protect its retention rate; when it
    does decline a request, the refusal and its reason are recorded for auditors."""

    declined_on: IsoDate
    reason: PersonalText


class EventCorrected(Payload):
    target_version: Annotated[int, Field(ge=1)]
    reason: PersonalText
    replacement: Annotated[
        dict[str, Any],
        MaxSize(keys=REPLACEMENT_KEYS_MAX, size=REPLACEMENT_SIZE_MAX),
        Field(
            description="訂正後の内容(対象の記録の種別の内容)。"
            f"{REPLACEMENT_KEYS_MAX}項目まで、文字数と値の数の合計で{REPLACEMENT_SIZE_MAX:,}まで"
        ),
    ]


class EventRetracted(Payload):
    target_version: Annotated[int, Field(ge=2)]
    reason: PersonalText


class PersonErased(Payload):
    """The person's key was destroyed: their personal fields read as erased from now on.

    Recorded only by ``teichaku person erase``
    (:meth:`domain.store.application.CaseLog.erase_person`);
    ``reason`` is the legal ground (e.g. 本人からの削除請求), not personal data.
    """

    erased_on: IsoDate
    reason: Text


PAYLOADS: dict[str, type[Payload]] = {
    "case_opened": CaseOpened,
    "hired": Hired,
    "resigned": Resigned,
    "job_changed": JobChanged,
    "contract_signed": ContractSigned,
    "decision_granted": DecisionGranted,
    "consent_given": ConsentGiven,
    "consent_withdrawn": ConsentWithdrawn,
    "contact_recorded": ContactRecorded,
    "case_meeting_held": CaseMeetingHeld,
    "plan_revised": PlanRevised,
    "support_report_shared": SupportReportShared,
    "evidence_received": EvidenceReceived,
    "support_ended": SupportEnded,
    "request_declined": RequestDeclined,
    "event_corrected": EventCorrected,
    "event_retracted": EventRetracted,
    "person_erased": PersonErased,
}

#: Types only the system records (never sent to ``POST /cases/{id}/events``).
SYSTEM_TYPES = frozenset({"person_erased"})

#: The payload field holding the day the fact happened (its effective date).
EFFECTIVE_DATE_FIELD: dict[str, str] = {
    "case_opened": "opened_on",
    "hired": "hired_on",
    "resigned": "resigned_on",
    "job_changed": "changed_on",
    "contract_signed": "signed_on",
    "decision_granted": "decided_on",
    "consent_given": "given_on",
    "consent_withdrawn": "withdrawn_on",
    "contact_recorded": "contact_on",
    "case_meeting_held": "held_on",
    "plan_revised": "revised_on",
    "support_report_shared": "shared_on",
    "evidence_received": "received_on",
    "support_ended": "ended_on",
    "request_declined": "declined_on",
    "person_erased": "erased_on",
}

#: Types that change how other events are read rather than stating a fact of the case.
AMENDMENT_TYPES = frozenset({"event_corrected", "event_retracted"})

#: Short Japanese names of each event type, for labels and messages.
TYPE_LABEL_JA: dict[str, str] = {
    "case_opened": "ケース開始",
    "hired": "就職",
    "resigned": "退職",
    "job_changed": "職場内の変化",
    "contract_signed": "利用契約",
    "decision_granted": "支給決定",
    "consent_given": "同意取得",
    "consent_withdrawn": "同意撤回",
    "contact_recorded": "支援記録",
    "case_meeting_held": "ケース会議",
    "plan_revised": "支援計画の見直し",
    "support_report_shared": "支援レポート共有",
    "evidence_received": "証明書類の受領",
    "support_ended": "支援終了",
    "request_declined": "利用申込みの辞退・お断り",
    "event_corrected": "訂正",
    "event_retracted": "取消",
    "person_erased": "個人情報の消去",
}


class FieldProblem(BaseModel):
    """One offending field: its dotted location and a message a person can act on."""

    field: str
    message: str


def validate_payload(event_type: str, data: Any) -> Payload:
    """Validate ``data`` as the payload of ``event_type``; raise :class:`InvalidPayload`."""
    model = PAYLOADS.get(event_type)
    if model is None:
        raise InvalidPayload(
            [FieldProblem(field="type", message=f"未知のイベント種別です: {event_type!r}")]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(field_problems(exc)) from None


#: The problems named at most: a payload of thousands of unknown fields is answered with
#: the first ones and a count, not with a reply larger than the request (issue 23).
MAX_PROBLEMS = 50


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """Turn pydantic's errors into field problems, without echoing the input values."""
    problems: list[FieldProblem] = []
    errors = exc.errors(include_input=False, include_url=False)
    for err in errors[:MAX_PROBLEMS]:
        location = ".".join(str(part) for part in err["loc"]) or "(payload)"
        problems.append(FieldProblem(field=location, message=_message_ja(err)))
    if len(errors) > MAX_PROBLEMS:
        more = f"ほかに {len(errors) - MAX_PROBLEMS:,} 件の誤りがあります"
        problems.append(FieldProblem(field="(payload)", message=more))
    return problems


_MESSAGES_JA = {
    "missing": "必須の項目です",
    "extra_forbidden": "この項目は受け付けていません",
    "string_pattern_mismatch": "形式が正しくありません",
    "literal_error": "選択肢にない値です",
    "bool_type": "true か false を指定してください",
    "bool_parsing": "true か false を指定してください",
    "string_type": "文字列を指定してください",
    "list_type": "リストを指定してください",
    "too_short": "少なくとも1件必要です",
    "too_long": "多すぎます",
    "string_too_short": "空にはできません",
    "string_too_long": "長すぎます",
    "int_type": "整数を指定してください",
    "int_parsing": "整数を指定してください",
    "greater_than_equal": "値が小さすぎます",
    "greater_than": "値が小さすぎます",
    "less_than_equal": "値が大きすぎます",
    "model_type": "オブジェクトを指定してください",
    "dict_type": "オブジェクトを指定してください",
    "float_type": "数値を指定してください",
    "float_parsing": "数値を指定してください",
}

_PATTERN_HINTS = {
    "^[0-9]{10}$": "半角数字10桁で入力してください",
    "^[0-9]{6}$": "半角数字6桁で入力してください",
    "^[0-9]{13}$": "半角数字13桁で入力してください",
    _ISO_MONTH.pattern: "YYYY-MM の形式で入力してください",
    "^[0-9a-f]{64}$": "SHA-256(英小文字と数字64桁)で入力してください",
}


def _message_ja(err: Any) -> str:
    kind = err["type"]
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(err["ctx"]["pattern"], _MESSAGES_JA[kind])
    if kind == "string_too_long":
        return f"長すぎます({err['ctx']['max_length']:,}文字まで)"
    return _MESSAGES_JA.get(kind, str(err["msg"]))


class InvalidPayload(ValueError):
    """The payload does not fit its event type; ``problems`` names each field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        fields = ", ".join(p.field for p in problems)
        super().__init__(f"入力内容に誤りがあります: {fields}")
