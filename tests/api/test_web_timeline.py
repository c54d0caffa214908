"""The 経過 list shows what was written, in staff words (issue 20).

A worker reads last month's notes before a meeting: each record's content (place,
counterpart, mode, the note, who received which information) is on the case page,
long notes folded; version numbers are for auditors, not for staff.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from tests.api.test_web import _sign_in

LONG_NOTE = "職場での様子を上司から聞き取った。" * 8 + "次回は通勤経路の確認をする。"
VISIT = {"contact_on": "2024-10-10", "counterpart": "employer", "mode": "face_to_face",
         "place": "本社3階会議室", "party": "人事課 田中",
         "summary": "作業手順書を一緒に見直した"}  # fmt: skip


def _timeline(page: str) -> str:
    return page.split('id="timeline-h"')[1].split("</ol>")[0]


def test_each_record_shows_its_place_counterpart_and_note_on_the_case_page(
    client: TestClient, tokens: dict[str, str], case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    assert post_event(case_id, "contact_recorded", **VISIT).status_code == 201
    _sign_in(client, tokens["staff"])

    shown = _timeline(client.get(f"/web/cases/{case_id}").text)

    for text in ("本社3階会議室", "人事課 田中", "作業手順書を一緒に見直した", "事業主", "対面"):
        assert text in shown
    assert "<dt>場所</dt>" in shown and "<dt>記録</dt>" in shown


def test_a_long_note_is_folded_and_opens_with_one_click(
    client: TestClient, tokens: dict[str, str], case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    post_event(case_id, "contact_recorded", **{**VISIT, "summary": LONG_NOTE})
    _sign_in(client, tokens["staff"])

    shown = _timeline(client.get(f"/web/cases/{case_id}").text)

    folded = re.search(r"<details><summary>([^<]*)</summary><p class=\"note\">([^<]*)</p>", shown)
    assert folded is not None
    assert folded.group(2) == LONG_NOTE and folded.group(1).endswith("…")


def test_staff_read_no_version_numbers_while_auditors_still_do(
    client: TestClient, tokens: dict[str, str], case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    post_event(case_id, "contact_recorded", **VISIT)
    _sign_in(client, tokens["staff"])
    staff = _timeline(client.get(f"/web/cases/{case_id}").text)
    client.cookies.clear()
    _sign_in(client, tokens["auditor"])
    auditor = _timeline(client.get(f"/web/cases/{case_id}").text)

    assert not re.search(r"第\d+版", staff)
    assert re.search(r"第\d+版", auditor)


def test_no_staff_part_of_the_case_page_shows_a_version_number(
    client: TestClient, tokens: dict[str, str], case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    post_event(case_id, "contact_recorded", **VISIT)
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}").text
    body = page.split("<main")[1].split('id="record-h"')[0]  # the form's own hints aside

    found = re.search(r"第\d+版", body)
    assert found is None, body[found.start() - 150 : found.end() + 20]
