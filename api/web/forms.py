"""Web forms for every event type, generated from the payload schemas of domain/payloads.py.

The schema stays the one truth: each pydantic field becomes one labelled input (dates →
a text input that reads 令和7年4月1日 and 2025/4/1 too, digit codes such as the 受給者証番号 →
a numeric input that reads full-width digits too: :mod:`api.web.typed_input`; enumerations
→ ``<select>``, a required yes/no → checkbox (an optional
one keeps a three-way ``<select>``: unknown is not "no"), lists → one item per
line, nested objects → dotted names such as ``employer.name``). :func:`parse_form` turns
the submitted form back into the JSON payload the API would receive, so the domain's own
validation decides — and its field names (``employer.name``) match the inputs.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any, Literal, get_args, get_origin

import orjson
from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from api.web.fields import Field
from api.web.form_errors import place_problems as place_problems  # the forms' one import
from api.web.form_errors import schema_problems
from api.web.labels import CHOICE_LABEL_JA, FIELD_LABEL_JA
from api.web.typed_input import read_date, read_digits
from domain.payloads import PAYLOADS, FieldProblem
from domain.rules.con import INFORMATION_CATEGORIES_JA, information_key, party_key

#: Initial values of inputs, by dotted name.
DEFAULTS = {"written": "true"}
#: Fields the staff never type: the report page fills ``report_sha256`` when it records the
#: sharing; the form carries it hidden (a correction keeps it), the JSON API still takes it.
HIDDEN = frozenset({"report_sha256"})


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
        kind, choices = ("digits", ()) if _digits(info) else _kind(annotation)
        kind = "hidden" if dotted in HIDDEN else kind
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


def _digits(info: FieldInfo) -> bool:
    """A code of ASCII digits (pattern ``^[0-9]{N}$``), wherever its ``Annotated`` says so."""
    found, pending = list(info.metadata), [info.annotation]
    while pending:
        annotation = pending.pop()
        found += get_args(annotation)[1:] if get_origin(annotation) is typing.Annotated else []
        pending += get_args(annotation)
    patterns = [m.pattern for m in found if isinstance(m, StringConstraints)]
    return any(isinstance(p, str) and p.startswith("^[0-9]{") for p in patterns)


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
    return payload, problems + schema_problems(event_type, payload, problems)


def _value(field: Field, raw: str) -> Any:
    if field.kind == "lines":
        return list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))
    if field.kind == "bool":
        return raw == "true"
    if field.kind == "date":  # 令和7年4月1日 → "2025-04-01", which the domain then judges
        return read_date(raw).isoformat()
    if field.kind == "digits":
        return read_digits(raw)
    if field.kind == "int":  # isdigit() alone admits "²" and 4,301 digits: int() raises
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else raw
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
    information or a consent, so staff pick the consent's own words (CON-1..3; other text is
    still allowed). Kinds of information also offer the fixed list
    :data:`~domain.rules.con.INFORMATION_CATEGORIES_JA`, after the consents' own; the
    consent form offers that list. Retracted consents are left out."""
    parties: dict[str, str] = {}  # each party once (party_key), as first written
    information: dict[str, None] = {}
    ids: dict[str, None] = {}
    for entry in entries:
        if entry.get("kind") != "consent_given" or entry.get("retracted"):
            continue
        payload = entry.get("payload", {})
        for party in payload.get("parties", []):
            parties.setdefault(party_key(party), party)
        information |= dict.fromkeys(payload.get("information", []))
        ids[str(payload.get("consent_id", ""))] = None
    named = list(parties.values())
    kinds: dict[str, str] = {}  # each kind once, as the consent spells it
    for kind in [*information, *INFORMATION_CATEGORIES_JA]:
        kinds.setdefault(information_key(kind), kind)
    return {
        "party": named, "handed_over_to": named, "parties": named,
        "shared_with": list(dict.fromkeys(["本人", *named])),
        "information": list(INFORMATION_CATEGORIES_JA),
        "information_shared": list(kinds.values()), "consent_id": list(ids),
    }  # fmt: skip


def picked(form: dict[str, str], name: str) -> list[str]:
    """The ticked options of a list input (``parties.pick.1`` …), in the order sent."""
    prefix = name + ".pick."
    return [v for k, v in form.items() if k.startswith(prefix) and v]
