"""Issue 24: an office page reads the month rows it shows, not every month of every case.

The billing check of one month decodes that month's row of each case; the retention report
none; the due list this month's and the last. Counted where the view store turns a stored
month row into a MonthRow, so reading every month (the old way) fails these tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import projections.views.store as view_store
from tests.api.test_offices import _supported_case
from tests.factories import OFFICE

Auth = Callable[[str], dict[str, str]]


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    seen: Counter[str] = Counter()
    original = view_store._month_row

    def counting(m: Any) -> Any:
        row = original(m)
        seen[row.month] += 1
        return row

    monkeypatch.setattr(view_store, "_month_row", counting)
    yield seen


def test_each_office_answer_decodes_only_the_months_it_shows(
    client: TestClient, auth: Auth, open_case: Callable[..., str], decoded: Counter[str]
) -> None:
    for _ in range(2):
        _supported_case(client, auth, open_case)  # support 2024-10 onwards, today 2025-06-02
    client.get(f"/offices/{OFFICE}/due", headers=auth("staff"))  # views caught up
    decoded.clear()

    billing = client.get(f"/offices/{OFFICE}/billing?month=2024-10", headers=auth("staff"))
    assert billing.status_code == 200 and len(billing.json()["lines"]) == 2
    assert set(decoded) == {"2024-10"} and decoded["2024-10"] == 2

    decoded.clear()
    retention = client.get(f"/offices/{OFFICE}/retention?fiscal_year=2025", headers=auth("staff"))
    assert retention.status_code == 200 and retention.json()["denominator"] == 1  # one person
    assert not decoded

    decoded.clear()
    due = client.get(f"/offices/{OFFICE}/due", headers=auth("staff"))
    assert due.status_code == 200 and len(due.json()["cases"]) == 2
    assert set(decoded) <= {"2025-05", "2025-06"} and decoded


def test_the_due_list_which_names_no_one_opens_no_person(
    client: TestClient, auth: Auth, open_case: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for _ in range(2):
        _supported_case(client, auth, open_case)
    client.get(f"/offices/{OFFICE}/due", headers=auth("staff"))  # views caught up
    opened: list[Any] = []
    original = view_store._unboxed

    def counting(person: Any, key: Any) -> Any:
        opened.append(person)
        return original(person, key)

    monkeypatch.setattr(view_store, "_unboxed", counting)
    due = client.get(f"/offices/{OFFICE}/due", headers=auth("staff"))
    assert due.status_code == 200 and len(due.json()["cases"]) == 2
    assert "試験 花子" not in due.text and not opened  # the answer names no one: none opened
    billing = client.get(f"/offices/{OFFICE}/billing?month=2024-10", headers=auth("staff"))
    assert len(opened) == 2  # a page that names the persons opens each once
    assert {ln["name"] for ln in billing.json()["lines"]} == {"試験 花子"}
