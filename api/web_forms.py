"""Web forms for every event type, generated from the payload schemas of domain/payloads.py.

The schema stays the one truth: each pydantic field becomes one labelled input (dates →
``type=date``, enumerations → ``<select>``, a required yes/no → checkbox (an optional
one keeps a three-way ``<select>``: unknown is not "no"), lists → one item per
line, nested objects → dotted names such as ``employer.name``). :func:`parse_form` turns
the submitted form back into the JSON payload the API would receive, so the domain's own
validation decides — and its field names (``employer.name``) match the inputs.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args, get_origin

import orjson
from pydantic import BaseModel, ValidationError, create_model

from domain.payloads import PAYLOADS, FieldProblem, field_problems

#: Japanese labels of payload fields (dotted names); unknown ones show the field name.
FIELD_LABEL_JA = {
    "hired_on": "就職日", "employer": "雇用主", "employer.name": "雇用主の名称",
    "employer.corporate_number": "法人番号(13桁)", "job_title": "職種",
    "weekly_hours": "週の所定労働時間", "disclosed": "障害を開示しての就労",
    "resigned_on": "最終出勤日(退職日)", "reason": "理由", "changed_on": "変化のあった日",
    "aspect": "変化の内容", "description": "説明", "signed_on": "契約日",
    "support_from": "支援開始日", "decided_on": "決定日", "valid_from": "支給決定の開始日",
    "valid_to": "支給決定の終了日", "municipality_code": "市町村番号(6桁)",
    "consent_id": "同意ID", "given_on": "同意日", "written": "書面による同意",
    "parties": "共有先(1行に1件)", "information": "共有する情報の種類(1行に1件)",
    "purpose": "目的", "valid_until": "有効期限", "withdrawn_on": "撤回日",
    "contact_on": "支援日", "counterpart": "相手", "mode": "方法", "place": "場所",
    "party": "相手の名称", "information_shared": "提供した情報の種類(1行に1件)",
    "summary": "記録", "held_on": "開催日", "person_attended": "本人の出席",
    "revised_on": "見直し日", "goals": "目標(1行に1件)", "agreed_on": "本人同意日",
    "delivered_on": "交付日", "month": "対象月(YYYY-MM)", "shared_on": "共有日",
    "shared_with": "共有先(1行に1件)",
    "report_sha256": "レポート内容のハッシュ(支援レポート画面から記録すると自動で入ります)",
    "received_on": "受領日", "kind": "種類",
    "covers_on": "証明の対象日", "ended_on": "終了日", "handed_over_to": "引継ぎ先",
    "declined_on": "お断りした日", "target_version": "対象の版番号",
    "replacement": "訂正後の内容(JSON)",
    "person.name": "氏名", "person.name_kana": "氏名(カナ)",
    "recipient_number": "受給者証番号(10桁)", "office_id": "事業所番号(10桁)",
    "prior_service.kind": "就職前に利用していたサービス",
    "prior_service.ended_on": "そのサービスの利用終了日",
    "prior_service.temporary_while_employed": "就職後の一時的な利用(ELIG-2)",
    "opened_on": "ケース開始日",
}  # fmt: skip

#: Japanese labels of enumeration values.
CHOICE_LABEL_JA = {
    "duties": "職務内容", "supervisor": "上司・指導担当", "workplace": "就業場所",
    "hours": "勤務時間", "contract": "雇用形態", "person": "本人", "employer": "事業主",
    "family": "家族", "agency": "関係機関", "medical": "医療機関", "face_to_face": "対面",
    "online": "オンライン", "phone": "電話", "mail": "メール",
    "employment_certificate": "在職証明書", "payslip": "給与明細",
    "insurance_card": "保険証の写し", "period_expired": "期間満了", "resigned": "退職",
    "person_request": "本人の希望", "other": "その他",
    "employment_transition": "就労移行支援", "continuous_a": "就労継続支援A型",
    "continuous_b": "就労継続支援B型", "daily_life_care": "生活介護",
    "independence_training": "自立訓練",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Field:
    """One input: its dotted name, kind (date|text|textarea|lines|number|int|bool|choice|json)."""

    name: str
    kind: str
    label: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    #: The value of a form not yet submitted (a consent is usually written: CON-1).
    default: str = ""


#: Initial values of inputs, by dotted name.
DEFAULTS = {"written": "true"}


def form_fields(event_type: str) -> list[Field]:
    """The inputs of an event type's form, in schema order."""
    return _fields(PAYLOADS[event_type], "")


def _fields(model: type[BaseModel], prefix: str) -> list[Field]:
    out: list[Field] = []
    for name, info in model.model_fields.items():
        dotted = prefix + name
        annotation = _unwrap(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _fields(annotation, dotted + ".")
            continue
        label = FIELD_LABEL_JA.get(dotted, FIELD_LABEL_JA.get(name, name))
        kind, choices = _kind(annotation)
        out.append(
            Field(dotted, kind, label, info.is_required(), choices, DEFAULTS.get(dotted, ""))
        )
    return out


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``; ``Annotated[X, …]`` → ``X``."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _kind(annotation: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    origin = get_origin(annotation)
    if origin is Literal:
        return "choice", tuple((v, CHOICE_LABEL_JA.get(v, v)) for v in get_args(annotation))
    if origin is list:
        return "lines", ()
    if origin is dict:
        return "json", ()
    simple = {date: "date", bool: "bool", int: "int", float: "number"}
    return simple.get(annotation, "text"), ()


def parse_form(event_type: str, form: dict[str, str]) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The payload a form describes; empty optional inputs are left out."""
    payload: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for field in form_fields(event_type):
        raw = (form.get(field.name) or "").strip()
        if field.kind == "lines":  # the ticked options, then the lines typed
            raw = "\n".join([*picked(form, field.name), raw]).strip()
        if not raw:
            if field.kind == "lines" and field.required:
                _put(payload, field.name, [])
            elif field.kind == "bool" and field.required:
                _put(payload, field.name, False)  # an unticked checkbox sends nothing
            continue
        try:
            _put(payload, field.name, _value(field, raw))
        except ValueError as exc:
            problems.append(FieldProblem(field=field.name, message=str(exc)))
    return payload, problems + _schema_problems(event_type, payload, problems)


def _schema_problems(
    event_type: str, payload: dict[str, Any], unread: list[FieldProblem]
) -> list[FieldProblem]:
    """The payload schema's problems too, so a form shows every error at once, not in
    stages (a field that could not be read is left out: "missing" would mislead)."""
    if event_type not in PAYLOADS:
        return []
    model = PAYLOADS[event_type]
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        skip = {p.field for p in unread}
        found = [p for p in field_problems(exc) if p.field not in skip]
        return found + _cross_field(model, payload, [*found, *unread])
    return []


def _cross_field(
    model: type[BaseModel], payload: dict[str, Any], problems: list[FieldProblem]
) -> list[FieldProblem]:
    """The model's own checks across fields (``valid_to`` before ``valid_from``), which
    pydantic skips while any field is wrong: run them with the wrong fields set aside."""
    wrong = {p.field.split(".")[0] for p in problems}
    if "(payload)" in wrong or not model.__pydantic_decorators__.model_validators:
        return []  # none, or they already ran
    lenient = create_model(  # type: ignore[call-overload]
        f"Lenient{model.__name__}", __base__=model,
        **{name: (Any, None) for name in wrong if name in model.model_fields},
    )  # fmt: skip
    try:
        lenient.model_validate({k: v for k, v in payload.items() if k not in wrong})
    except ValidationError as exc:
        return [p for p in field_problems(exc) if p.field.split(".")[0] not in wrong]
    except Exception:  # a check that needs a wrong field runs once that field is right
        return []
    return []


def place_problems(
    problems: list[FieldProblem], fields: list[Field]
) -> tuple[dict[str, str], list[FieldProblem]]:
    """Each problem beside its input, in Japanese: a missing object (``employer``) goes to
    its first input (``employer.name``); a cross-field one (``valid_to`` before
    ``valid_from``) to the first input its message names; field names in messages become
    their labels. What fits no input is returned with a Japanese label as its field."""
    names = [f.name for f in fields]
    placed: dict[str, str] = {}
    unplaced: list[FieldProblem] = []
    for problem in problems:
        name = next((n for n in names if n == problem.field), None) or next(
            (n for n in names if n.startswith(problem.field + ".")), None
        ) or _named_in(problem.message, names)  # fmt: skip
        message = humanised(problem.message)
        if name is None:
            unplaced.append(FieldProblem(field=label_of(problem.field), message=message))
        else:
            placed[name] = " / ".join(filter(None, [placed.get(name), message]))
    return placed, unplaced


def _named_in(message: str, names: list[str]) -> str | None:
    found = [(m.start(), m.group(0)) for m in _IDENT.finditer(message) if m.group(0) in names]
    return min(found)[1] if found else None


_IDENT = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")


def humanised(message: str) -> str:
    """``valid_to(支給決定の終了日)は valid_from(開始日)以降…`` → ``支給決定の終了日は支給決定の
    開始日以降…``: a field name (and the gloss after it) becomes the form's label."""

    def label(m: re.Match[str]) -> str:
        name = m.group(1)
        return label_of(name) if name in _KNOWN else m.group(0)

    return _NAME_GLOSS.sub(label, message)


_KNOWN = set(FIELD_LABEL_JA) | {k.rsplit(".", 1)[-1] for k in FIELD_LABEL_JA}
_NAME_GLOSS = re.compile(r"\s?\b([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)(?:\([^)]*\))?\s?")


def label_of(name: str) -> str:
    """The Japanese label of a dotted field name (else the name itself)."""
    leaf = name.rsplit(".", 1)[-1]
    return FIELD_LABEL_JA.get(name, FIELD_LABEL_JA.get(leaf, name))


def _value(field: Field, raw: str) -> Any:
    if field.kind == "lines":
        return list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))
    if field.kind == "bool":
        return raw == "true"
    if field.kind == "int":
        return int(raw) if raw.isdigit() else raw
    if field.kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if field.kind == "json":
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ValueError('JSON として読めません(例: {"hired_on": "2024-04-01", …})') from None
    return raw


def _put(payload: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    target = payload
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def changed_fields(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, before, after) of each field a correction changed, for the timeline."""
    correction = entry.get("correction")
    if not correction:
        return []
    before, after = _flat(correction["original"]), _flat(entry.get("payload", {}))
    keys = list(dict.fromkeys([*before, *after]))
    return [
        (FIELD_LABEL_JA.get(k, FIELD_LABEL_JA.get(k.rsplit(".", 1)[-1], k)), before.get(k, "—"),
         after.get(k, "—"))
        for k in keys
        if before.get(k) != after.get(k)
    ]  # fmt: skip


def _flat(payload: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        elif isinstance(value, bool):
            out[prefix + key] = "はい" if value else "いいえ"
        elif value is not None:
            shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
            out[prefix + key] = CHOICE_LABEL_JA.get(shown, shown)
    return out


def consent_options(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    """What the case's consents name, offered where a form names a party, a category of
    information or a consent: consent matching is exact (CON-1..3), so staff pick the
    spelling the consent has rather than retype it. Retracted consents are left out."""
    parties: dict[str, None] = {}
    information: dict[str, None] = {}
    ids: dict[str, None] = {}
    for entry in entries:
        if entry.get("kind") != "consent_given" or entry.get("retracted"):
            continue
        payload = entry.get("payload", {})
        parties |= dict.fromkeys(payload.get("parties", []))
        information |= dict.fromkeys(payload.get("information", []))
        ids[str(payload.get("consent_id", ""))] = None
    named = list(parties)
    return {
        "party": named, "handed_over_to": named, "parties": named,
        "shared_with": list(dict.fromkeys(["本人", *named])),
        "information_shared": list(information), "consent_id": list(ids),
    }  # fmt: skip


def picked(form: dict[str, str], name: str) -> list[str]:
    """The ticked options of a list input (``parties.pick.1`` …), in the order sent."""
    prefix = name + ".pick."
    return [v for k, v in form.items() if k.startswith(prefix) and v]
