"""Malformed query parameters and headers: the HTTP door's own 422, naming each field.

Its own module, below :mod:`api.http.errors` (which maps it to a problem response), so
that the dependencies and idempotency can raise it without importing the error mapping.
"""

from __future__ import annotations

from domain.payloads import FieldProblem


class InvalidInput(ValueError):
    """A query parameter or header is malformed; ``problems`` names each one (422)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("入力内容に誤りがあります: " + ", ".join(p.field for p in problems))


def invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(field=field, message=message)])
