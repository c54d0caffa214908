"""Web forms for every event type, generated from the payload schemas of domain/payloads.py.

The schema stays the one truth: each pydantic field becomes one labelled input (dates →
``type=date``, enumerations → ``<select>``, a required yes/no → checkbox (an optional
one keeps a three-way ``<select>``: unknown is not "no"), lists → one item per
line, nested objects → dotted names such as ``employer.name``). :func:`parse_form` turns
the submitted form back into the JSON payload the API would receive, so the domain's own
validation decides — and its field names (``employer.name``) match the inputs.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args, get_origin

import orjson
from pydantic import BaseModel

from domain.payloads import PAYLOADS, FieldProblem

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
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Field:
    """One input: its dotted name, kind (date|text|textarea|lines|number|int|bool|choice|json)."""

    name: str
    kind: str
    label: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()


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
        out.append(Field(dotted, kind, label, info.is_required(), choices))
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
    return payload, problems


def _value(field: Field, raw: str) -> Any:
    if field.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
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
