"""Correcting or retracting a record from the case page, with no version or JSON typed.

"訂正" beside a timeline entry opens that record's own form, filled with what it says
now (``?correct=N``); what is sent becomes ``event_corrected`` with the form's content as
``replacement``. "取消" asks for the reason only (``?retract=N``). No version number or
JSON is typed by hand. The inputs of the corrected record are named ``r.<field>`` so that
its fields never clash with the correction's own ``reason``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from api.web.fields import Field
from api.web.forms import form_fields, parse_form, place_problems
from domain.payloads import FieldProblem

PREFIX = "r."
AMENDS = ("event_corrected", "event_retracted")


@dataclass
class Amend:
    """The correction or retraction form shown on the case page."""

    type: str  # event_corrected | event_retracted
    version: int
    target_type: str
    label: str
    reason: Field
    fields: list[Field] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    other_errors: list[FieldProblem] = field(default_factory=list)


def amend_view(
    entries: list[dict[str, Any]], query: Any, form: dict[str, str],
    problems: list[FieldProblem] | None,
) -> Amend | None:  # fmt: skip
    """The amend form asked for by ``?correct=N`` / ``?retract=N`` (or being re-shown)."""
    kind, raw = _asked(query, form)
    entry = next((e for e in entries if str(e.get("version")) == raw and amendable(e)), None)
    if entry is None or (kind == "event_retracted" and entry["kind"] == "case_opened"):
        return None
    verb = "訂正" if kind == "event_corrected" else "取消"
    reason = Field("reason", "textarea", f"{verb}の理由", True)
    amend = Amend(kind, entry["version"], entry["kind"], entry["label_ja"], reason)
    if kind == "event_corrected":
        amend.fields = [
            dataclasses.replace(f, name=PREFIX + f.name) for f in form_fields(entry["kind"])
        ]
    amend.values = form or {PREFIX + k: v for k, v in form_values(entry["payload"]).items()}
    fields = [*amend.fields, reason]
    amend.errors, amend.other_errors = place_problems(_prefixed(problems or []), fields)
    return amend


def split_amend(
    entries: list[dict[str, Any]], query: Any, event_type: str, form: dict[str, str],
    problems: list[FieldProblem] | None,
) -> tuple[Amend | None, str, dict[str, str], list[FieldProblem] | None]:  # fmt: skip
    """The amend form, and what is left for the ordinary record form (its own type,
    input and problems, or a fresh contact form while an amendment is being made)."""
    mine = is_amend_form(event_type, form)
    amend = amend_view(entries, query, form if mine else {}, problems if mine else None)
    if mine:
        return amend, "contact_recorded", {}, None
    return amend, event_type, form, problems


def is_amend_form(event_type: str, form: dict[str, str]) -> bool:
    """A post of the amend form (the generic one of the same type sends no target_type)."""
    return event_type in AMENDS and "target_type" in form


def _asked(query: Any, form: dict[str, str]) -> tuple[str, str]:
    if form.get("type") in AMENDS:
        return form["type"], form.get("target_version", "")
    if query.get("correct"):
        return "event_corrected", query["correct"]
    return "event_retracted", query.get("retract") or ""


def amendable(entry: dict[str, Any]) -> bool:
    """A record (not a milestone, not an amendment itself) still in force."""
    return "version" in entry and entry["kind"] not in AMENDS and not entry.get("retracted")


def form_values(payload: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A payload as the strings its form inputs hold (lists one item per line)."""
    out: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, dict):
            out |= form_values(value, f"{prefix}{key}.")
        elif isinstance(value, bool):
            out[prefix + key] = "true" if value else "false"
        elif isinstance(value, list):
            out[prefix + key] = "\n".join(map(str, value))
        elif value is not None:
            out[prefix + key] = str(value)
    return out


def amend_payload(form: dict[str, str]) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The payload of the amendment a form describes, and what could not be read."""
    raw = form.get("target_version", "")
    number = raw.isascii() and raw.isdigit() and len(raw) <= 18  # int("²") raises
    payload: dict[str, Any] = {"target_version": int(raw) if number else raw}
    if form.get("reason", "").strip():
        payload["reason"] = form["reason"].strip()
    problems: list[FieldProblem] = []
    if not payload.get("reason"):
        problems.append(FieldProblem(field="reason", message="理由を入力してください"))
    if form.get("type") == "event_corrected":
        fields = {k.removeprefix(PREFIX): v for k, v in form.items() if k.startswith(PREFIX)}
        replacement, found = parse_form(form.get("target_type", ""), fields)
        payload["replacement"] = replacement
        problems += [FieldProblem(field="replacement." + p.field, message=p.message) for p in found]
    return payload, problems


def _prefixed(problems: list[FieldProblem]) -> list[FieldProblem]:
    """``replacement.hired_on`` (the domain's name) is the input ``r.hired_on``."""
    return [
        FieldProblem(field=PREFIX + p.field.removeprefix("replacement."), message=p.message)
        if p.field.startswith("replacement.") else p
        for p in problems
    ]  # fmt: skip
