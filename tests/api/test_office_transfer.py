"""Moving a case to another office (事業所の移管): administrators only, shown as a move.

A move is a correction of the opening (version 1) that names another ``office_id``
(docs/decisions/0031-office-transfer.md). Staff of either office are refused (403) on the
JSON API and on the case page's correction form; an administrator's move is recorded with
its reason, read as a move on the timeline, moves the case between the offices' lists and
the right to read it, and a read ``as_of`` an earlier instant still shows the old office.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from api.web.amend import PREFIX, form_values
from domain.store.application import CaseLog
from tests.api.conftest import NAMES, Clock
from tests.api.test_errors import problem
from tests.api.test_web import _csrf, _sign_in
from tests.factories import OFFICE, OTHER_OFFICE, case_opened_payload

Post = Callable[..., httpx.Response]
Auth = Callable[[str], dict[str, str]]
REASON = "転居により大阪の事業所が支援を引き継ぐため(本人の書面同意あり)"
BEFORE = "2025-06-02T12:00:00+09:00"  # between the opening and the move (see ``moved_case``)


def _move(post_event: Post, case_id: str, as_: str, office: str = OTHER_OFFICE) -> httpx.Response:
    """The correction of the opening that names ``office``, posted by ``as_``."""
    return post_event(
        case_id, "event_corrected", as_=as_, target_version=1, reason=REASON,
        replacement=case_opened_payload("2024-03-01", office_id=office),
    )  # fmt: skip


def _listed(client: TestClient, auth: Auth, who: str, query: str = "") -> list[str]:
    response = client.get(f"/cases{query}", headers=auth(who))
    assert response.status_code == 200, response.text
    return [c["case_id"] for c in response.json()["cases"]]


@pytest.fixture
def moved_case(clock: Clock, open_case: Callable[..., str], post_event: Post) -> tuple[str, str]:
    """A case of ``OFFICE`` opened 2025-06-02 10:00, moved by an administrator on 2025-06-03;
    returns (case id, the move's recorded_at)."""
    clock.set("2025-06-02T10:00:00+09:00")
    case_id = open_case()
    clock.set("2025-06-03T10:00:00+09:00")
    moved = _move(post_event, case_id, "admin")
    assert moved.status_code == 201, moved.text
    return case_id, moved.json()["recorded_at"]


@pytest.mark.parametrize("staff", ["staff", "other_staff"])
def test_staff_of_either_office_moving_a_case_get_403_naming_the_administrator_and_nothing_changes(
    staff: str, client: TestClient, auth: Auth, case_id: str, post_event: Post,
    event_count: Callable[[str], int],
) -> None:  # fmt: skip
    # Given a case of OFFICE (2 events); when staff of OFFICE or of OTHER_OFFICE move it there
    body = problem(_move(post_event, case_id, staff), 403)

    # Then the answer says an administrator must do it, and the case stays where it was
    assert "管理者だけが行えます" in body["detail"]
    assert event_count(case_id) == 2
    assert _listed(client, auth, "staff") == [case_id]
    assert _listed(client, auth, "other_staff") == []
    assert client.get(f"/cases/{case_id}/events", headers=auth("other_staff")).status_code == 403


def test_staff_still_correct_the_opening_when_the_office_stays(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    # Given a refused move; when the same staff correct the name and keep the office
    assert _move(post_event, case_id, "staff").status_code == 403
    renamed = case_opened_payload("2024-03-01", person={"name": "試験 春子"})
    fixed = post_event(case_id, "event_corrected", target_version=1, reason="氏名の誤り",
                       replacement=renamed)  # fmt: skip

    # Then the correction is recorded as before
    assert fixed.status_code == 201, fixed.text
    assert event_count(case_id) == 3


def test_moving_a_case_from_the_web_correction_form_is_refused_for_staff_and_done_by_an_admin(
    client: TestClient, tokens: dict[str, str], case_id: str, cases: CaseLog
) -> None:
    # Given the opening's correction form on the case page, its office changed
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{case_id}", params={"correct": "1"}).text
    assert "管理者だけが行えます" in page  # the form says so before anything is sent
    filled = {PREFIX + k: v for k, v in form_values(case_opened_payload("2024-03-01")).items()}
    form = {"csrf": _csrf(page), "type": "event_corrected", "target_version": "1",
            "target_type": "case_opened", **filled, PREFIX + "office_id": OTHER_OFFICE,
            "reason": REASON}  # fmt: skip

    # When staff send it, then it is refused and nothing is recorded
    refused = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert "管理者だけが行えます" in refused.text
    assert len(cases.records(UUID(case_id))) == 2

    # When an administrator sends the same form, then the case moves
    client.cookies.clear()
    _sign_in(client, tokens["admin"])
    page = client.get(f"/web/cases/{case_id}", params={"correct": "1"}).text
    sent = client.post(f"/web/cases/{case_id}/events", data={**form, "csrf": _csrf(page)},
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303, sent.text
    last = cases.records(UUID(case_id))[-1]
    assert last.recorded_by == NAMES["admin"]
    assert last.payload["replacement"]["office_id"] == OTHER_OFFICE


def test_an_admin_move_is_recorded_with_its_reason_and_shown_on_the_timeline_as_a_move(
    client: TestClient, auth: Auth, moved_case: tuple[str, str], tokens: dict[str, str]
) -> None:
    case_id, moved_at = moved_case

    entries = client.get(f"/cases/{case_id}/timeline", headers=auth("auditor")).json()["entries"]

    (entry,) = [e for e in entries if e.get("transfer")]
    assert entry["label_ja"] == (
        f"事業所の移管: {OFFICE} → {OTHER_OFFICE}(理由: {REASON})"
        f"— {NAMES['admin']}、2025-06-03 10:00 記録"
    )
    assert entry["transfer"] == {"from_office": OFFICE, "to_office": OTHER_OFFICE}
    assert (entry["recorded_by"], entry["recorded_at"]) == (NAMES["admin"], moved_at)
    # And the case page of the new office's staff shows the same line
    _sign_in(client, tokens["other_staff"])
    assert entry["label_ja"] in client.get(f"/web/cases/{case_id}").text


def test_a_case_leaves_the_old_offices_lists_and_joins_the_new_ones_only_when_an_admin_moves_it(
    client: TestClient, auth: Auth, case_id: str, post_event: Post, tokens: dict[str, str]
) -> None:
    # Given a move refused to staff: the case is still listed for its office only
    assert _move(post_event, case_id, "staff").status_code == 403
    assert _listed(client, auth, "staff") == [case_id]
    assert _listed(client, auth, "other_staff") == []

    # When an administrator moves it
    assert _move(post_event, case_id, "admin").status_code == 201

    # Then the stored views list it under the new office, in the list and on the dashboard
    assert _listed(client, auth, "staff") == []
    assert _listed(client, auth, "other_staff") == [case_id]
    assert _listed(client, auth, "auditor", f"?office_id={OFFICE}") == []
    _sign_in(client, tokens["other_staff"])
    assert f"/web/cases/{case_id}" in client.get("/web/").text  # the new office's dashboard
    client.cookies.clear()
    _sign_in(client, tokens["staff"])
    assert f"/web/cases/{case_id}" not in client.get("/web/").text


def test_as_of_before_the_move_reads_the_old_office_and_after_it_the_move(
    client: TestClient, auth: Auth, moved_case: tuple[str, str]
) -> None:
    case_id, _ = moved_case
    before = {"as_of": BEFORE}

    # As of before the move: the old office, in the list, the events and the timeline
    listed_then = client.get("/cases", params={**before, "office_id": OFFICE},
                             headers=auth("auditor")).json()["cases"]  # fmt: skip
    assert [(c["case_id"], c["office_id"]) for c in listed_then] == [(case_id, OFFICE)]
    events = client.get(f"/cases/{case_id}/events", params=before, headers=auth("auditor"))
    assert [e["payload"].get("office_id") for e in events.json()["events"]] == [OFFICE]
    then = client.get(f"/cases/{case_id}/timeline", params=before, headers=auth("auditor"))
    assert not [e for e in then.json()["entries"] if e.get("transfer")]

    # As of now: the new office, and the move on the timeline
    assert _listed(client, auth, "auditor", f"?office_id={OFFICE}") == []
    now = client.get(f"/cases/{case_id}/timeline", headers=auth("auditor")).json()["entries"]
    (moved,) = [e for e in now if e.get("transfer")]
    assert moved["transfer"]["from_office"] == OFFICE


def test_read_access_follows_the_move_only_when_an_admin_makes_it(
    client: TestClient, auth: Auth, case_id: str, post_event: Post, cases: CaseLog
) -> None:
    events = f"/cases/{case_id}/events"
    # Given staff of the old office tried to move the case: the other office still cannot read
    assert _move(post_event, case_id, "staff").status_code == 403
    assert client.get(events, headers=auth("other_staff")).status_code == 403
    before = cases.records(UUID(case_id))[-1].recorded_at.isoformat()

    # When an administrator moves it
    assert _move(post_event, case_id, "admin").status_code == 201

    # Then the new office reads the whole history, from before the move too
    assert client.get(events, headers=auth("other_staff")).status_code == 200
    then = client.get(events, params={"as_of": before}, headers=auth("other_staff")).json()
    assert [e["version"] for e in then["events"]] == [1, 2]  # no move, no refused attempt
    assert then["events"][0]["payload"]["office_id"] == OFFICE
    # And the old office reads nothing of it any more, not even as of before the move (0031)
    assert problem(client.get(events, headers=auth("staff")), 403)
    assert problem(client.get(events, params={"as_of": before}, headers=auth("staff")), 403)
