"""Finding a person on the dashboard (issue 20): search by name, reading or 受給者証番号 however
it is typed, filters and orders as GET parameters, kana and a masked number on each row,
an auditor's search by number across offices through the blind index, nothing found
after an erasure."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.store.application import CaseLog
from tests.api.conftest import OTHER_OFFICE
from tests.api.test_web import _sign_in

HIRE = {"hired_on": "2024-04-01", "employer": {"name": "株式会社サンプル"}}


def _person(name: str, kana: str, number: str, **overrides: Any) -> dict[str, Any]:
    return {"person": {"name": name, "name_kana": kana}, "recipient_number": number, **overrides}


def _supported(
    case_id: str, post_event: Callable[..., httpx.Response], valid_to: str = "2025-09-30"
) -> None:
    """Hired 2024-04-01, in support from 2024-10-01 (ELIG-3) under a decision to ``valid_to``,
    the plan revised 2025-05-01 (its review is not due yet)."""
    for event_type, payload in (
        ("hired", HIRE),
        ("contract_signed", {"signed_on": "2024-09-20", "support_from": "2024-10-01"}),
        ("decision_granted", {"decided_on": "2024-09-25", "valid_from": "2024-10-01",
                              "valid_to": valid_to}),
        ("plan_revised", {"revised_on": "2025-05-01", "goals": ["職場に定着する"],
                          "agreed_on": "2025-05-01", "delivered_on": "2025-05-01"}),
    ):  # fmt: skip
        response = post_event(case_id, event_type, **payload)
        assert response.status_code == 201, response.text


@pytest.fixture
def office(
    open_case: Callable[..., str], post_event: Callable[..., httpx.Response]
) -> dict[str, str]:
    """Four people of the staff's office, opened in this order (the clock: 2025-06-02):

    - 見本 一郎 (ミホン イチロウ): in support, no face-to-face contact this month (今月まだ);
    - 相田 花子 (アイダ ハナコ): hired 2025-05-01, waiting for ELIG-3;
    - 渡辺 次郎 (ワタナベ ジロウ): not employed;
    - 練習 三郎 (レンシュウ サブロウ): in support, met this month, decision ending 2025-06-20.
    """
    mihon = open_case(**_person("見本 一郎", "ミホン イチロウ", "0000000001"))
    _supported(mihon, post_event)
    aida = open_case(**_person("相田 花子", "アイダ ハナコ", "0000000002"))
    post_event(aida, "hired", **{**HIRE, "hired_on": "2025-05-01"})
    watanabe = open_case(**_person("渡辺 次郎", "ワタナベ ジロウ", "0000000003"))
    renshu = open_case(**_person("練習 三郎", "レンシュウ サブロウ", "0000000004"))
    _supported(renshu, post_event, valid_to="2025-06-20")
    met = post_event(renshu, "contact_recorded", contact_on="2025-06-01", counterpart="person",
                     mode="face_to_face")  # fmt: skip
    assert met.status_code == 201, met.text
    return {"mihon": mihon, "aida": aida, "watanabe": watanabe, "renshu": renshu}


def _shown(page: str) -> list[str]:
    """The case ids the dashboard lists, in its order."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<th scope="row"><a href="/web/cases/([0-9a-f-]+)">', body)


def _find(client: TestClient, **params: str) -> str:
    """The list as the form asks for it: the search text posted, never in the address."""
    response = client.post("/web/", data=params)
    assert response.status_code == 200
    return response.text


def test_a_reading_typed_in_hiragana_finds_the_katakana_reading(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    for typed in ("みほん", "みほん いちろう", "ミホン\u3000イチロウ", "ﾐﾎﾝｲﾁﾛｳ", "いちろう"):
        assert _shown(_find(client, q=typed)) == [office["mihon"]], typed
    assert _shown(_find(client, q="ぎんが")) == []


def test_a_recipient_number_typed_in_full_width_digits_finds_the_person(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    assert _shown(_find(client, q="０００００００００２")) == [office["aida"]]
    # The last digits, as the list shows them, are enough within one office
    assert _shown(_find(client, q="０００３")) == [office["watanabe"]]


def test_a_name_typed_with_or_without_its_space_finds_the_same_person(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    for typed in ("見本 一郎", "見本一郎", "見本\u3000一郎", " 見本  一郎 "):
        assert _shown(_find(client, q=typed)) == [office["mihon"]], typed


def test_people_of_one_name_are_told_apart_by_reading_and_masked_number(
    client: TestClient, tokens: dict[str, str], open_case: Callable[..., str]
) -> None:
    for kana, number in (("ミホン イチロウ", "1000000011"), ("ミモト イチロウ", "1000000022"),
                         ("ミホン カズオ", "1000000033")):  # fmt: skip
        open_case(**_person("見本 一郎", kana, number))
    _sign_in(client, tokens["staff"])
    page = _find(client)
    shown = (("ミホン イチロウ", "0011"), ("ミモト イチロウ", "0022"), ("ミホン カズオ", "0033"))
    for kana, last in shown:
        assert f'<span class="muted kana">{kana}</span>' in page
        assert f'<span class="muted number" title="受給者証番号(下4桁)">******{last}</span>' in page
    assert "1000000011" not in page  # only the last four digits are shown


def test_filters_by_status_and_by_what_is_due(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    assert _shown(_find(client, status="in_support")) == [office["mihon"], office["renshu"]]
    assert _shown(_find(client, status="waiting")) == [office["aida"]]
    assert _shown(_find(client, due="face_to_face")) == [office["mihon"]]
    assert _shown(_find(client, due="renewal")) == [office["renshu"]]
    assert _shown(_find(client, status="in_support", q="れんしゅう")) == [office["renshu"]]
    assert _shown(_find(client, status="not_employed", q="みほん")) == []


def test_orders_by_reading_status_and_next_deadline(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    o = office
    _sign_in(client, tokens["staff"])
    assert _shown(_find(client)) == [o["mihon"], o["aida"], o["watanabe"], o["renshu"]]
    # フリガナ順: アイダ, ミホン, レンシュウ, ワタナベ
    by_kana = [o["aida"], o["mihon"], o["renshu"], o["watanabe"]]
    assert _shown(_find(client, sort="kana")) == by_kana
    # 状態順 (the order a case goes through them), then by reading
    by_status = [o["watanabe"], o["aida"], o["mihon"], o["renshu"]]
    assert _shown(_find(client, sort="status")) == by_status
    # 期限の近い順: the decision ending 06-20, then this month's contact by 06-30, then none
    by_deadline = [o["renshu"], o["mihon"], o["aida"], o["watanabe"]]
    assert _shown(_find(client, sort="deadline")) == by_deadline


def test_the_form_keeps_the_choices_and_posts_the_search(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    page = _find(client, q="みほん", status="in_support", due="face_to_face", sort="kana")
    assert 'id="q" name="q" type="search" value="みほん"' in page
    assert '<option value="in_support" selected>' in page
    assert '<option value="face_to_face" selected>' in page
    assert '<option value="kana" selected>' in page
    assert '<form method="post" action="/web/"' in page
    # A value the form does not offer reads as unset, not as an error
    assert _shown(_find(client, status="nonsense", sort="x")) == _shown(_find(client))


def test_an_erased_person_is_not_found_by_their_old_name_or_number(
    client: TestClient, tokens: dict[str, str], office: dict[str, str], cases: CaseLog, app: FastAPI
) -> None:
    # Given the auditor finds 見本 一郎 by number, and the staff by name
    _sign_in(client, tokens["auditor"])
    assert _shown(_find(client, q="0000000001")) == [office["mihon"]]
    # When the person is erased (the KEK is replaced)
    cases.erase_person(UUID(office["mihon"]), reason="本人からの削除請求", recorded_by="管理者")
    # Then neither the number across offices nor the name or number in the office finds them
    assert _shown(_find(client, q="0000000001")) == []
    _sign_in(client, tokens["staff"])
    for typed in ("見本 一郎", "みほん", "0000000001", "0001"):
        assert _shown(_find(client, q=typed)) == [], typed
    # and the case's index entry is gone, not only unreachable
    store = app.state.views.store
    gen = app.state.views.generation
    ((number_ix,),) = _select(store, f"SELECT number_ix FROM teichaku_case_view_g{gen} "
                              "WHERE case_id = ?", office["mihon"])  # fmt: skip
    assert number_ix is None
    # while every other person is still found by number under the new KEK
    _sign_in(client, tokens["auditor"])
    assert _shown(_find(client, q="0000000004")) == [office["renshu"]]


def test_an_auditor_finds_a_person_by_number_across_offices_opening_only_that_row(
    client: TestClient, tokens: dict[str, str], office: dict[str, str], app: FastAPI,
    open_case: Callable[..., str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    theirs = open_case(as_="other_staff", office_id=OTHER_OFFICE,
                       **_person("他所 太郎", "タショ タロウ", "9000000001"))  # fmt: skip
    _sign_in(client, tokens["auditor"])
    _find(client)  # the views are caught up, every row indexed as it is written
    store = app.state.views.store
    opened: list[UUID] = []
    keys = store.keys
    monkeypatch.setattr(store, "keys", lambda ids, mark: opened.extend(ids) or keys(ids, mark))
    # When the auditor searches every office by a number in full-width digits
    page = _find(client, q="９０００ ０００ ００１")
    # Then the person of the other office is found, and no other person was opened
    assert _shown(page) == [theirs]
    assert set(opened) == {UUID(theirs)}
    assert "他所 太郎" in page and "******0001" in page
    # A name is not searched across every office (that would open every row): it says so
    opened.clear()
    page = _find(client, q="たしょ")
    assert _shown(page) == [] and "事業所を選んでください" in page and opened == []
    # Within a chosen office, a name is searched
    assert _shown(_find(client, q="たしょ", office_id=OTHER_OFFICE)) == [theirs]


def _select(store: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with store.datastore.transaction(commit=False) as c:
        c.execute(sql, params)
        return [tuple(r) for r in c.fetchall()]


def test_pages_keep_the_search_the_filter_and_the_order(
    client: TestClient, tokens: dict[str, str], office: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("api.web.dashboard.PAGE", 2)
    o = office
    # One office: ordered whole, then cut in pages that keep the order
    _sign_in(client, tokens["staff"])
    first = _find(client, sort="kana")
    assert _shown(first) == [o["aida"], o["mihon"]]
    (following,) = re.findall(r'<a href="(/web/\?[^"]+)">次の', first)
    assert "sort=kana" in following and "page=2" in following
    second = client.get(following.replace("&amp;", "&")).text
    assert _shown(second) == [o["renshu"], o["watanabe"]]
    assert re.search(r'<a href="/web/\?[^"]*sort=kana[^"]*">前の', second)
    # Every office: in opening order by cursor, the filter kept on the next page
    monkeypatch.setattr("api.web.dashboard.PAGE", 1)
    _sign_in(client, tokens["auditor"])
    first = _find(client, status="in_support")
    assert _shown(first) == [o["mihon"]]
    (following,) = re.findall(r'<a href="(/web/\?[^"]+)">次の', first)
    assert "status=in_support" in following and "cursor=" in following
    assert _shown(client.get(following.replace("&amp;", "&")).text) == [o["renshu"]]


def test_the_search_text_never_goes_into_an_address(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    """A name or 受給者証番号 in a URL reaches access logs, proxies and browser history."""
    _sign_in(client, tokens["staff"])
    page = _find(client, q="0000000001", sort="kana")

    assert 'method="post" action="/web/"' in page
    for link in re.findall(r'(?:href|action|formaction)="([^"]*)"', page):
        assert "0000000001" not in link and "q=" not in link, link
    # An address that carries one anyway is not searched (and the test sends no real number)
    assert _shown(client.get("/web/", params={"q": "0001"}).text) == _shown(_find(client))
