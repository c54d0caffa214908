"""A view row's person is one sealed box under the person's key (issue 24): a read opens
it once, not once per field; it reads as the fields did, and as erased once the key is
destroyed — on SQLite and on real PostgreSQL."""

from __future__ import annotations

import orjson

from domain.payloads import ERASED
from projections.views.follower import CaseViews
from tests.integration.conftest import Backend
from tests.integration.test_views import _office
from tests.integration.test_views_index import _table


def _stored_person(backend: Backend, gen: int, case_id: object) -> dict[str, object]:
    (raw,) = backend.select(
        f"SELECT person FROM {_table(backend, gen)} WHERE case_id = %s", (str(case_id),)
    )[0]
    person: dict[str, object] = orjson.loads(bytes(raw))
    return person


def test_the_person_is_one_box_that_opens_as_the_fields_and_reads_erased_after_erasure(
    backend: Backend,
) -> None:
    store = backend.open()
    ids = _office(store, 2)
    views = CaseViews(store)
    views.catch_up()
    stored = _stored_person(backend, views.generation, ids[0])
    # One sealed value holds the sealed fields; the 受給者証番号 is nowhere in clear
    assert set(stored["box"]) == {"sealed", "commit"}  # type: ignore[arg-type]
    assert stored["boxed"] == ["name", "name_kana", "recipient_number"]
    assert "0000000000" not in orjson.dumps(stored).decode()
    assert not any(isinstance(v, dict) for k, v in stored.items() if k != "box")
    # It reads as the events' fields read
    rows = {r.case_id: r for r in views.store.rows(views.generation, ids)}
    assert rows[ids[0]].person["recipient_number"] == "0000000000"
    assert rows[ids[1]].person["recipient_number"] == "0000000001"
    assert rows[ids[0]].person["name"] == "試験 花子"
    assert rows[ids[0]].person["name_kana"] == "シケン ハナコ"
    # Once the person's key is destroyed, each boxed field reads as erased
    store.erase_person(ids[0], reason="本人からの削除請求", recorded_by="管理者")
    again = {r.case_id: r.person for r in CaseViews(backend.open()).store.rows(None, ids)}
    assert again[ids[0]]["recipient_number"] == ERASED and again[ids[0]]["name"] == ERASED
    assert again[ids[1]]["recipient_number"] == "0000000001"
