"""Upper bounds on lists and on a correction's replacement: checked on what is sent, never
on what is stored (issue 23: no request can poison a case).

Events are immutable, so one oversized event would slow every later read, export and
verification of its case for ever. A bound here is checked *before* anything inside the
value is validated: a list of a million items is refused by its length, in one step, not
item by item. Each bound also appears in the JSON schema (``maxItems``, ``maxProperties``),
so the OpenAPI document shows it.

A stored payload is re-read with ``context={"stored": True}`` (:func:`domain.history.
parse_payload`) and skips these checks: it was accepted under the limits of its day, and
lowering a limit later must never make a stored case unreadable. (Strings keep pydantic's
own ``max_length``, which has held since the first event was stored: raise those freely,
never lower them.) The numbers themselves are chosen in :mod:`domain.payloads`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


class _Bound:
    """A check that runs before the value's own validation, and a key in its JSON schema."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.with_info_wrap_validator_function(self._wrap, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), **self.json_schema()}

    def _wrap(
        self, value: Any, validate: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        if not (info.context and info.context.get("stored")):
            self.check(value)
        return validate(value)

    def check(self, value: Any) -> None:
        raise NotImplementedError

    def json_schema(self) -> JsonSchemaValue:
        raise NotImplementedError


@dataclass(frozen=True)
class MaxItems(_Bound):
    """At most ``limit`` items in a list (``maxItems``)."""

    limit: int

    def check(self, value: Any) -> None:
        if isinstance(value, list | tuple) and len(value) > self.limit:
            raise ValueError(f"多すぎます({self.limit:,}件まで)")

    def json_schema(self) -> JsonSchemaValue:
        return {"maxItems": self.limit}


@dataclass(frozen=True)
class MaxSize(_Bound):
    """A JSON object of at most ``keys`` keys and at most ``size`` in all (:func:`fits`)."""

    keys: int
    size: int

    def check(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        if len(value) > self.keys:
            raise ValueError(f"項目が多すぎます({self.keys:,}項目まで)")
        if not fits(value, self.size):
            raise ValueError(f"大きすぎます(文字数と値の数の合計で{self.size:,}まで)")

    def json_schema(self) -> JsonSchemaValue:
        return {"maxProperties": self.keys}


def fits(value: Any, budget: int) -> bool:
    """Whether ``value`` measures at most ``budget``: every value (object, list, string,
    number, …) counts 1, and every string and object key its length besides.

    Looks at no more than ``budget`` values: a container is refused by its length before
    its members are looked at (each of them counts at least 1).
    """
    left = budget
    pending = [value]
    while pending:
        item = pending.pop()
        left -= 1 + (len(item) if isinstance(item, str) else 0)
        if isinstance(item, dict | list | tuple):
            if len(item) > left:
                return False
            if isinstance(item, dict):
                left -= sum(len(key) if isinstance(key, str) else 1 for key in item)
                pending.extend(item.values())
            else:
                pending.extend(item)
        if left < 0:
            return False
    return True
