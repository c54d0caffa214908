"""An auditor's pages in the browser door (issue 21): the chain with its verdict, the
access log that names every read (the auditor's own included), the bundle that verifies
offline with the command line, and no write offered to a role that cannot write.

The case lives in a SQLite *file* here, so a test can alter a stored row directly, as
someone with database access could (as tests/integration/test_tamper.py does).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.cli.main import main
from domain.store.application import CaseLog, persistence_env
from tests.api.conftest import NAMES, Clock
from tests.api.test_web import _csrf, _sign_in


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "teichaku.db"


@pytest.fixture
def cases(clock: Clock, db_file: Path) -> Iterator[CaseLog]:  # a file: rows can be altered
    log = CaseLog(env=persistence_env(f"sqlite:///{db_file}"), clock=clock)
    yield log
    log.close()


def _alter_contact_row(db_file: Path, case_id: str, version: int) -> None:
    """Edit a stored event's contact date in the database, outside the application."""
    with sqlite3.connect(db_file) as conn:
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (UUID(case_id).hex, version),
        ).fetchone()
        altered = orjson.loads(state)
        altered["payload"]["contact_on"] = "2024-10-01"
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (orjson.dumps(altered), UUID(case_id).hex, version),
        )


def _contacts(case_id: str, post_event: Callable[..., httpx.Response]) -> None:
    for day in ("2024-10-10", "2024-10-17"):
        made = post_event(case_id, "contact_recorded", contact_on=day, counterpart="person",
                          mode="face_to_face")  # fmt: skip
        assert made.status_code == 201, made.text


def test_the_chain_page_says_verified_and_lists_every_event_with_its_links(
    client: TestClient, tokens: dict[str, str], case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    _contacts(case_id, post_event)
    _sign_in(client, tokens["auditor"])
    page = client.get(f"/web/cases/{case_id}/audit")
    assert page.status_code == 200
    assert 'data-verified="yes"' in page.text and "検証済み" in page.text
    # every version, recorded_by, JST time, hash and previous hash, and a link to the instant
    api = client.get(
        f"/cases/{case_id}/audit", headers={"Authorization": f"Bearer {tokens['admin']}"}
    )
    for event in api.json()["events"]:
        assert f'data-version="{event["version"]}" data-valid="yes"' in page.text
        assert event["hash"] in page.text and event["previous_hash"] in page.text
    assert NAMES["staff"] in page.text
    assert re.search(r"2025-06-02 10:\d\d:00 \+09:00", page.text)  # the clock's JST instants
    assert f'href="/web/cases/{case_id}?as_of=2025-06-02T01%3A' in page.text


def test_a_row_altered_in_the_database_is_flagged_with_the_first_broken_version(
    client: TestClient, tokens: dict[str, str], case_id: str, db_file: Path,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    _contacts(case_id, post_event)  # v3 and v4
    _alter_contact_row(db_file, case_id, 3)
    _sign_in(client, tokens["auditor"])
    page = client.get(f"/web/cases/{case_id}/audit")
    assert page.status_code == 200
    assert 'data-verified="no" data-first-broken="3"' in page.text and "改ざんの疑い" in page.text
    assert 'data-version="3" data-valid="no"' in page.text
    assert 'data-version="4" data-valid="yes"' in page.text


def test_the_access_log_page_names_the_auditors_own_reads_and_is_closed_to_staff(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["staff"])
    assert client.get(f"/web/cases/{case_id}").status_code == 200
    refused = client.get(f"/web/cases/{case_id}/access-log")
    assert refused.status_code == 403 and "監査担当者と管理者だけ" in refused.text
    client.cookies.clear()
    _sign_in(client, tokens["auditor"])
    client.get(f"/web/cases/{case_id}/audit")
    page = client.get(f"/web/cases/{case_id}/access-log")
    assert page.status_code == 200
    rows = re.findall(r'<tr role="row" data-endpoint="([^"]+)">(.*?)</tr>', page.text, re.S)
    by_endpoint = {endpoint: body for endpoint, body in rows}
    # newest first: this very read, then the auditor's chain read, then the staff's case page
    assert [e for e, _ in rows[:2]] == ["web:access-log", "web:audit"]
    assert NAMES["auditor"] in by_endpoint["web:audit"] and "監査" in by_endpoint["web:audit"]
    assert NAMES["staff"] in by_endpoint["web:case"] and "ケースの画面" in by_endpoint["web:case"]
    assert "+09:00" in by_endpoint["web:case"]


def test_staff_open_their_own_offices_chain_but_not_another_offices(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["other_staff"])
    assert client.get(f"/web/cases/{case_id}/audit").status_code == 403
    assert client.get(f"/web/cases/{case_id}/export").status_code == 403
    client.cookies.clear()
    _sign_in(client, tokens["staff"])
    assert client.get(f"/web/cases/{case_id}/audit").status_code == 200


def test_the_pages_need_a_sign_in(client: TestClient, case_id: str) -> None:
    for page in ("audit", "access-log", "export"):
        answer = client.get(f"/web/cases/{case_id}/{page}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/web/login"


def test_the_downloaded_bundle_verifies_offline_and_an_edit_to_it_does_not(
    client: TestClient, tokens: dict[str, str], case_id: str, tmp_path: Path,
    post_event: Callable[..., httpx.Response], capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _contacts(case_id, post_event)
    _sign_in(client, tokens["auditor"])
    answer = client.get(f"/web/cases/{case_id}/export")
    assert answer.status_code == 200
    assert f'filename="teichaku-case-{case_id}.json"' in answer.headers["content-disposition"]
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(answer.content)
    assert main(["verify", "--bundle", str(bundle)]) == 0
    assert f"{case_id} OK bundle" in capsys.readouterr().out
    # the download is logged like every read
    log = client.get(f"/web/cases/{case_id}/access-log").text
    assert 'data-endpoint="web:export"' in log
    # an edited byte fails the same check
    edited = orjson.loads(answer.content)
    edited["events"][2]["payload"]["contact_on"] = "2024-10-11"
    bundle.write_bytes(orjson.dumps(edited))
    assert main(["verify", "--bundle", str(bundle)]) == 1


# -- No write offered to a role that cannot write (the class, issue 21) -------------------

_WRITE_WORDS = ("支援レポートを作成", "記録する", "新規ケース", "共有を記録する", "訂正", "取消")


def _offers(page: str) -> list[str]:
    """The write links, buttons and forms a page offers."""
    found = [w for w in _WRITE_WORDS if re.search(rf">[^<]*{w}[^<]*</(a|button)>", page)]
    found += re.findall(r'action="(/web/cases/[^"]*(?:events|new)[^"]*)"', page)
    found += re.findall(r'<button class="primary" type="submit">([^<]+)</button>', page)
    return found


def _pages(case_id: str, office: str) -> list[str]:
    return [
        "/web/", f"/web/?office_id={office}", f"/web/cases/{case_id}",
        f"/web/cases/{case_id}?type=case_meeting_held", f"/web/cases/{case_id}?correct=2",
        f"/web/cases/{case_id}/report?month=2024-10", f"/web/offices/{office}/due",
        f"/web/offices/{office}/billing", f"/web/offices/{office}/retention",
        f"/web/cases/{case_id}/audit",
    ]  # fmt: skip


def test_an_auditor_is_offered_no_write_on_any_page_and_staff_are(
    client: TestClient, tokens: dict[str, str], case_id: str,
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    from tests.factories import OFFICE

    _contacts(case_id, post_event)
    _sign_in(client, tokens["staff"])
    staff_case = client.get(f"/web/cases/{case_id}").text
    assert "支援レポートを作成" in staff_case and 'action="/web/cases/' in staff_case
    client.cookies.clear()
    _sign_in(client, tokens["auditor"])
    offered = {}
    for address in _pages(case_id, OFFICE):
        page = client.get(address)
        assert page.status_code == 200, address
        if _offers(page.text):
            offered[address] = _offers(page.text)
    assert offered == {}
    assert "支援レポートを見る" in client.get(f"/web/cases/{case_id}").text


def test_the_write_routes_refuse_an_auditor_whatever_the_page_offered(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: CaseLog
) -> None:
    _sign_in(client, tokens["staff"])
    csrf = _csrf(client.get(f"/web/cases/{case_id}").text)  # a valid form token, to be sure
    client.cookies.clear()
    _sign_in(client, tokens["auditor"])
    before = len(cases.records(UUID(case_id)))
    contact = {"csrf": csrf, "type": "contact_recorded", "contact_on": "2024-10-15",
               "counterpart": "person", "mode": "face_to_face"}  # fmt: skip
    refused: dict[str, Any] = {
        "events": client.post(f"/web/cases/{case_id}/events", data=contact),
        "report": client.post(
            f"/web/cases/{case_id}/report",
            data={
                "csrf": csrf,
                "month": "2024-10",
                "shared_on": "2024-10-31",
                "shared_with": "本人",
            },
        ),
        "new_case_form": client.get("/web/cases/new"),
        "new_case": client.post("/web/cases/new", data={"csrf": csrf}),
    }
    assert {k: r.status_code for k, r in refused.items()} == dict.fromkeys(refused, 403)
    assert len(cases.records(UUID(case_id))) == before


def test_an_access_log_entry_names_its_page_in_words() -> None:
    from api.web.audit import endpoint_ja, jst_text

    assert endpoint_ja("web:case") == "ケースの画面"
    assert endpoint_ja("web:billing.xlsx") == "請求前チェックのファイル(.xlsx)"
    assert endpoint_ja("/cases/{case_id}/audit") == "API /cases/…/audit"
    assert jst_text("2025-06-02T01:00:00+00:00") == "2025-06-02 10:00:00 +09:00"


def test_an_admin_opens_every_auditor_page_and_sees_the_links(
    client: TestClient, tokens: dict[str, str], case_id: str
) -> None:
    _sign_in(client, tokens["admin"])
    case_page = client.get(f"/web/cases/{case_id}").text
    for page in ("audit", "access-log", "export"):
        assert f'href="/web/cases/{case_id}/{page}"' in case_page, page
        assert client.get(f"/web/cases/{case_id}/{page}").status_code == 200, page
    client.cookies.clear()
    _sign_in(client, tokens["staff"])  # staff words: no hash, no audit links on their page
    assert f"/web/cases/{case_id}/audit" not in client.get(f"/web/cases/{case_id}").text
