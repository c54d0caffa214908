"""The pages' Jinja environment: attribute lookups on dicts without an exception each.

Jinja reads ``{{ r.case_id }}`` as ``getattr(r, "case_id")`` first and, when that raises
``AttributeError``, as ``r["case_id"]``. The pages hand their templates rows as dicts, so
every such lookup raised and caught an exception: ~10 % of a dashboard of 100 cases
under py-spy, and half of rendering a table of them (issue 24). :class:`PageEnvironment`
reads a plain dict's key first for any name that is not an attribute of ``dict`` — the
very answer Jinja gives, since a dict has no other attributes — and leaves ``.items()``,
``.get(…)`` and the rest to Jinja as before.
"""

from __future__ import annotations

from typing import Any

import jinja2

#: The names a plain dict answers as attributes (its methods): looked up as Jinja does.
_DICT_ATTRIBUTES = frozenset(dir(dict))
_MISSING = object()


class PageEnvironment(jinja2.Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            value = obj.get(attribute, _MISSING)
            if value is not _MISSING:
                return value
        return super().getattr(obj, attribute)


def page_environment(directory: str) -> PageEnvironment:
    """The environment ``Jinja2Templates(directory=…)`` makes, of this class."""
    return PageEnvironment(
        loader=jinja2.FileSystemLoader(directory), autoescape=jinja2.select_autoescape()
    )
