"""One input of a web form, as :mod:`api.web.forms` builds it and :mod:`api.web.form_errors`
places problems beside it (its own module, so neither imports the other)."""

from __future__ import annotations

from dataclasses import dataclass


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
