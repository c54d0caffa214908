"""The event payloads in OpenAPI: one schema per type, a discriminated union on ``type``.

Documentation for clients and for the fuzzer only: the routers still take the body as a
JSON object and validate it through :mod:`domain.payloads` (so a refusal keeps the
domain's Japanese ``errors`` list and its problem shape). The schemas are generated from
those same models, so they cannot drift from what is accepted:

- ``POST /cases`` → ``CaseOpenedCreate`` (``type`` may be left out);
- ``POST /cases/{case_id}/events`` → ``EventCreate``: ``oneOf`` ``HiredCreate``,
  ``ResignedCreate``, … with ``discriminator.propertyName = "type"``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from fastapi import FastAPI
from pydantic import BaseModel, Field, TypeAdapter, create_model

from domain.payloads import PAYLOADS, SYSTEM_TYPES

_REF = "#/components/schemas/{model}"
_BODIES = {
    "/cases": ("CaseOpenedCreate", "case_opened の内容(type は省略可)"),
    "/cases/{case_id}/events": ("EventCreate", '{"type": "<種別>", ...内容}(種別ごとの内容)'),
}


def _name(event_type: str) -> str:
    return "".join(part.title() for part in event_type.split("_")) + "Create"


def _typed(event_type: str, required: bool) -> type[BaseModel]:
    """The payload model with its ``type`` field (the discriminator)."""
    kind: Any = Literal[event_type]
    field = (kind, ...) if required else (kind, event_type)
    return create_model(_name(event_type), __base__=PAYLOADS[event_type], type=field)


def component_schemas() -> dict[str, Any]:
    """``CaseOpenedCreate``, ``EventCreate`` and every schema they refer to, by name."""
    opened = TypeAdapter(_typed("case_opened", required=False)).json_schema(ref_template=_REF)
    writable = [t for t in PAYLOADS if t != "case_opened" and t not in SYSTEM_TYPES]
    members = tuple(_typed(t, required=True) for t in writable)
    union: Any = Annotated[Union[members], Field(discriminator="type")]  # noqa: UP007
    event = TypeAdapter(union).json_schema(ref_template=_REF)
    found: dict[str, Any] = {**opened.pop("$defs", {}), **event.pop("$defs", {})}
    found["CaseOpenedCreate"] = opened
    found["EventCreate"] = {**event, "title": "EventCreate"}
    return found


def install(app: FastAPI) -> None:
    """Give the two POST bodies their schemas in ``app.openapi()``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in component_schemas().items():
            if name in schemas and schemas[name] != schema:
                raise RuntimeError(f"OpenAPI schema name {name} is taken")
            schemas[name] = schema
        for path, (name, description) in _BODIES.items():
            body = spec["paths"][path]["post"]["requestBody"]
            body["content"]["application/json"]["schema"] = {
                "$ref": _REF.format(model=name), "description": description,
            }  # fmt: skip
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
