"""A form's problems as staff should meet them: all at once, beside their inputs, in Japanese.

The payload schema is checked as a whole even when some input could not be read, and its
cross-field checks run with the wrong fields set aside, so nothing waits for a second
submission. Each problem goes beside the input it names; field names in the domain's
messages (``valid_to(…)``) become the form's labels.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from api.web.fields import Field
from api.web.labels import FIELD_LABEL_JA, label_of
from domain.payloads import PAYLOADS, FieldProblem, field_problems


def schema_problems(
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
