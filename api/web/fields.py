"""One input of a web form, as :mod:`api.web.forms` builds it and :mod:`api.web.form_errors`
places problems beside it (its own module, so neither imports the other)."""

from __future__ import annotations

from dataclasses import dataclass

from api.web.typed_input import DATE_HINT_JA, read_date, read_digits


@dataclass(frozen=True, slots=True)
class Field:
    """One input: its dotted name, kind (date|digits|text|textarea|lines|number|int|bool|
    choice|json)."""

    name: str
    kind: str
    label: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    #: The value of a form not yet submitted (a consent is usually written: CON-1).
    default: str = ""

    @property
    def hint(self) -> str:
        """The example shown beside the input: the ways a date may be typed."""
        return DATE_HINT_JA if self.kind == "date" else ""

    def read_as(self, typed: str) -> str:
        """What a date or digits input's text is read as (api.web.typed_input), when that
        differs from the text: shown beside the input of a form shown again. "" otherwise."""
        try:
            if self.kind == "date":
                read = read_date(typed).isoformat()
            elif self.kind == "digits":
                read = read_digits(typed)
            else:
                return ""
        except ValueError:
            return ""
        return read if read != typed.strip() else ""
