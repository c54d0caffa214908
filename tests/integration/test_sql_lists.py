"""A list of values sent to PostgreSQL as one ``text[]`` literal reads back as the very
values (``domain.store.sql_lists.text_array``): quotes, backslashes, commas, braces,
spaces, NULL-looking words and Japanese included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.store.sql_lists import one_of, text_array
from tests.integration.conftest import PG_DSN, PG_SKIP_REASON, postgres_reachable

pytestmark = pytest.mark.postgres

#: What an array literal must quote or escape, or could misread.
_AWKWARD = ['"', "\\", ",", "{}", " a ", "NULL", "受給者", ""]
#: Any text PostgreSQL can hold (no NUL character).
_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@pytest.fixture(scope="module")
def cursor() -> Iterator[Any]:
    if not postgres_reachable():
        pytest.skip(PG_SKIP_REASON)
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        yield conn.cursor()


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(_TEXT, st.sampled_from(_AWKWARD))))
def test_a_text_array_literal_reads_back_as_its_values(cursor: Any, values: list[str]) -> None:
    cursor.execute("SELECT %s::text[] AS a", (text_array(values),))
    assert cursor.fetchone()[0] == values


def test_one_of_finds_exactly_the_values_listed(cursor: Any) -> None:
    among, params = one_of("v", ['a"b', "c\\d", "e,f"], array=True)
    values = "ARRAY['a\"b', 'c\\d', 'e,f', 'x']"
    cursor.execute(f"SELECT v FROM unnest({values}) AS t(v) WHERE {among} ORDER BY v", params)
    assert [r[0] for r in cursor.fetchall()] == ['a"b', "c\\d", "e,f"]
