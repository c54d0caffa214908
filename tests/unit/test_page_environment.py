"""The pages' Jinja environment answers every attribute lookup as Jinja does, only
without raising an exception for each key of a dict (issue 24)."""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest

from api.web.jinja import PageEnvironment

TEMPLATES = [
    "{{ d.name }}|{{ d.missing is defined }}|{{ d.get('name') }}|{{ d['name'] }}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{{ d.items is callable }}|{{ d.keys is callable }}|{{ d.values is callable }}",
    "{{ d.__class__.__name__ }}|{{ d.nested.inner }}|{{ d.none is none }}",
    "{{ d.missing.deeper is defined }}",
]
VALUES: list[Any] = [
    {"name": "見本 一郎", "nested": {"inner": 1}, "none": None},
    {"name": "<b>", "items": "a key named items", "values": 3, "get": "shadowed"},
    OrderedDict(name="subclass of dict", nested={"inner": 2}),
    SimpleNamespace(name="an object", nested=SimpleNamespace(inner=3), none=None),
    {},
]


def _outcome(env: jinja2.Environment, source: str, value: Any) -> tuple[str, str]:
    """The page, or the error it stops with (its kind and message)."""
    try:
        return "page", env.from_string(source).render(d=value)
    except jinja2.TemplateError as error:
        return type(error).__name__, str(error)


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_a_page_renders_exactly_as_jinja_would(source: str, value: Any) -> None:
    expected = _outcome(jinja2.Environment(autoescape=True), source, value)
    assert _outcome(PageEnvironment(autoescape=True), source, value) == expected


def test_a_dict_key_is_read_without_an_attribute_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja's own lookup tries ``getattr`` first; ours does not reach it for a key."""
    tried: list[str] = []
    original = jinja2.Environment.getattr

    def counted(self: jinja2.Environment, obj: Any, attribute: str) -> Any:
        tried.append(attribute)
        return original(self, obj, attribute)

    monkeypatch.setattr(jinja2.Environment, "getattr", counted)
    rows = [{"case_id": str(n), "status": "in_support"} for n in range(3)]
    source = "{% for r in rows %}{{ r.case_id }}{{ r.status }}{% endfor %}"
    page = PageEnvironment().from_string(source)
    assert page.render(rows=rows) == "0in_support1in_support2in_support"
    assert tried == []
