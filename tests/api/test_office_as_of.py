"""The office's answers as of an instant, on a chosen day (issue 21): the due list judges
every item on the day asked (plan reviews and renewals included), and the billing check
and the retention rate answer from what was recorded at ``as_of``.

The case: hired 2024-04-01, contract and decision from 2024-10-01 (the decision ends
2025-03-31), plan revised 2024-12-20 (review due 2025-03-19, PLAN-2). The clock starts at
2025-06-02, so *today* the plan review is long overdue; on 2025-03-10 it was not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OFFICE, Clock

Post = Callable[..., httpx.Response]
PAST = "2025-03-10"


@pytest.fixture
def supported(open_case: Callable[..., str], post_event: Post, clock: Clock) -> str:
    """Each fact recorded on its own day; then the clock is at 2025-06-02 (today)."""
    clock.set("2024-09-26T10:00:00+09:00")
    case_id = open_case("2024-03-01")
    made = [
        post_event(case_id, "hired", hired_on="2024-04-01", employer={"name": "株式会社サンプル"}),
        post_event(case_id, "contract_signed", signed_on="2024-09-20", support_from="2024-10-01"),
        post_event(case_id, "decision_granted", decided_on="2024-09-25",
                   valid_from="2024-10-01", valid_to="2025-03-31"),
    ]  # fmt: skip
    clock.set("2024-11-12T15:00:00+09:00")
    made.append(post_event(case_id, "contact_recorded", contact_on="2024-11-12",
                           counterpart="person", mode="face_to_face"))  # fmt: skip
    clock.set("2024-12-20T15:00:00+09:00")
    made.append(post_event(case_id, "plan_revised", revised_on="2024-12-20",
                           goals=["生活リズムの安定"]))  # fmt: skip
    assert all(r.status_code == 201 for r in made), [r.text for r in made]
    clock.set("2025-06-02T10:00:00+09:00")
    return case_id


def _get(
    client: TestClient, auth: Callable[[str], dict[str, str]], path: str, **params: Any
) -> Any:
    answer = client.get(path, params=params, headers=auth("auditor"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_due_items_on_a_past_day_are_what_compliance_and_entitlement_say_for_that_day(
    client: TestClient, auth: Callable[[str], dict[str, str]], supported: str
) -> None:
    due = _get(client, auth, f"/offices/{OFFICE}/due", on=PAST)
    items = {i["rule"]: i for c in due["cases"] if c["case_id"] == supported for i in c["items"]}
    comp = _get(client, auth, f"/cases/{supported}/compliance", on=PAST)
    ent = _get(client, auth, f"/cases/{supported}/entitlement", on=PAST)
    # PLAN-2: the review due day and whether it is late, as compliance says on that day
    plan = comp["plan"]
    assert plan["overdue"] is False and plan["review_due_by"] == "2025-03-19"
    assert items["PLAN-2"]["due_on"] == plan["review_due_by"]
    assert items["PLAN-2"]["overdue"] is plan["overdue"]
    # PER-4: listed exactly when the entitlement warns of the renewal on that day
    assert ent["renewal_warning"] is True
    assert items["PER-4"]["due_on"] == ent["renewal_due_by"]
    # MON-1: the month of that day has no face-to-face contact (compliance agrees)
    march = next(m for m in comp["months"] if m["month"] == "2025-03")
    assert march["face_to_face"] == 0 and "MON-1" in items
    # And today, the same plan review is overdue: the past day was not judged on today
    today = _get(client, auth, f"/offices/{OFFICE}/due")
    assert due["on"] == PAST and today["on"] != PAST


def test_the_billing_check_as_of_an_instant_counts_only_what_was_recorded_by_then(
    client: TestClient, auth: Callable[[str], dict[str, str]], supported: str, post_event: Post,
    clock: Clock,
) -> None:  # fmt: skip
    claimed = "2024-12-25T12:00:00+09:00"  # the day the November claim was made
    clock.set("2025-01-10T10:00:00+09:00")  # the November report, recorded after the claim
    shared = post_event(supported, "support_report_shared", month="2024-11",
                        shared_on="2025-01-10", shared_with=["本人"])  # fmt: skip
    assert shared.status_code == 201, shared.text

    def line(**params: str) -> dict[str, Any]:
        found = _get(client, auth, f"/offices/{OFFICE}/billing", month="2024-11", **params)
        return next(ln for ln in found["lines"] if ln["case_id"] == supported)

    then = line(as_of=claimed)
    assert then["verdict"] == "unbillable" and [r["rule"] for r in then["reasons"]] == ["MON-4"]
    assert line()["verdict"] == "billable"  # now
    assert line(as_of="2025-01-10T12:00:00+09:00")["verdict"] == "billable"  # recorded before
    # the November month is still open on a day in November: 今月まだ, not 請求不可
    assert line(as_of=claimed, on="2024-11-25")["verdict"] == "in_progress"
    # and the CSV answers the same as of the instant
    csv = client.get(f"/offices/{OFFICE}/billing", headers=auth("auditor"),
                     params={"month": "2024-11", "as_of": claimed, "format": "csv"})  # fmt: skip
    assert csv.status_code == 200 and "請求不可" in csv.content.decode("utf-8-sig")


def test_the_retention_rate_as_of_an_instant_ignores_a_resignation_recorded_later(
    client: TestClient, auth: Callable[[str], dict[str, str]], supported: str, post_event: Post,
    clock: Clock,
) -> None:  # fmt: skip
    before = "2025-04-10T12:00:00+09:00"
    clock.set("2025-05-01T10:00:00+09:00")
    left = post_event(supported, "resigned", resigned_on="2025-02-15")
    assert left.status_code == 201, left.text

    def retained(**params: str) -> tuple[int, int]:
        found = _get(client, auth, f"/offices/{OFFICE}/retention", fiscal_year=2025, **params)
        return found["numerator"], found["denominator"]

    assert retained(as_of=before) == (1, 1)  # employed on 2025-03-31 as known on 04-10
    assert retained() == (0, 1)  # the resignation recorded since
    assert retained(as_of="2025-05-02T00:00:00+09:00") == (0, 1)  # recorded before as_of


@pytest.mark.parametrize("path", ["due", "billing?month=2024-11", "retention?fiscal_year=2025"])
def test_a_bad_instant_is_a_422_naming_as_of(
    client: TestClient, auth: Callable[[str], dict[str, str]], path: str
) -> None:
    sep = "&" if "?" in path else "?"
    answer = client.get(f"/offices/{OFFICE}/{path}{sep}as_of=yesterday", headers=auth("auditor"))
    assert answer.status_code == 422 and "as_of" in answer.text


# -- The office pages and their files, as of an instant ----------------------------------


def test_the_office_pages_and_files_answer_as_of_an_instant(
    client: TestClient, tokens: dict[str, str], supported: str, post_event: Post, clock: Clock
) -> None:
    from tests.api.test_web import _sign_in

    claimed = "2024-12-25T12:00:00+09:00"
    clock.set("2025-01-10T10:00:00+09:00")
    shared = post_event(supported, "support_report_shared", month="2024-11",
                        shared_on="2025-01-10", shared_with=["本人"])  # fmt: skip
    assert shared.status_code == 201
    _sign_in(client, tokens["auditor"])
    billing = f"/web/offices/{OFFICE}/billing"
    then = client.get(billing, params={"month": "2024-11", "as_of": claimed})
    now = client.get(billing, params={"month": "2024-11"})
    assert then.status_code == now.status_code == 200
    assert 'data-as-of="2024-12-25T12:00:00+09:00"' in then.text and "data-as-of" not in now.text
    assert (
        'data-month-words="unbillable"' in then.text and 'data-month-words="billable"' in now.text
    )
    # the page's download links carry the instant, and the file answers as the page does
    link = re.search(r'href="(/web/offices/[^"]+billing\.csv\?[^"]+)"', then.text)
    assert link and "as_of=" in link.group(1)
    csv = client.get(link.group(1).replace("&amp;", "&")).content.decode("utf-8-sig")
    assert "請求不可" in csv and "請求可," not in csv
    # the due list judges on the day asked: on 2025-03-10 the plan review is not yet late
    due = client.get(f"/web/offices/{OFFICE}/due", params={"on": PAST})
    assert due.status_code == 200 and f'data-on="{PAST}"' in due.text
    assert "支援計画の見直し期限は2025-03-19です" in due.text
    # the retention page as of an instant
    retention = client.get(f"/web/offices/{OFFICE}/retention",
                           params={"fiscal_year": "2025", "as_of": claimed})  # fmt: skip
    assert retention.status_code == 200 and "data-as-of" in retention.text


def test_the_dispute_report_over_http_judges_a_month_by_every_fact_for_it(
    client: TestClient, auth: Callable[[str], dict[str, str]], tokens: dict[str, str],
    supported: str, post_event: Post, clock: Clock,
) -> None:  # fmt: skip
    """The issue's fault: a report for November shared in January counts for November."""
    from tests.api.test_web import _sign_in

    claimed = "2024-12-25T12:00:00+09:00"
    clock.set("2025-01-10T10:00:00+09:00")
    shared = post_event(supported, "support_report_shared", month="2024-11",
                        shared_on="2025-01-10", shared_with=["本人"])  # fmt: skip
    version = shared.json()["version"]
    report = _get(client, auth, f"/cases/{supported}/dispute", as_of=claimed, on="2024-11-30")
    november = next(m for m in report["months"] if m["month"] == "2024-11")
    assert (november["then"]["verdict"], november["now"]["verdict"]) == ("in_progress", "billable")
    assert report["now"]["compliance"]["month"]["billable"] is True
    assert [e["version"] for e in november["explained_by"]] == [version]
    assert (
        f"第{version}版" in report["change_ja"]
        and "2025年1月10日 10:00(日本時間)" in report["change_ja"]
    )
    later = _get(client, auth, f"/cases/{supported}/dispute", as_of=claimed, on="2024-12-26")
    november = next(m for m in later["months"] if m["month"] == "2024-11")
    assert (november["then"]["verdict"], november["now"]["verdict"]) == ("unbillable", "billable")
    # the staff page says it in words: 今月まだ then, できる now
    _sign_in(client, tokens["auditor"])
    page = client.get(f"/web/cases/{supported}/dispute",
                      params={"as_of": claimed, "on": "2024-11-30"}).text  # fmt: skip
    assert re.search(r'class="verdict-then">今月まだ: 支援レポート\(残り1日\)<', page)
    assert 'class="verdict-now">できる<' in page


def test_a_case_moved_since_the_instant_counts_for_the_office_it_was_in(
    client: TestClient, auth: Callable[[str], dict[str, str]], supported: str, post_event: Post,
    clock: Clock,
) -> None:  # fmt: skip
    from tests.api.conftest import OTHER_OFFICE
    from tests.factories import case_opened_payload

    claimed = "2024-12-25T12:00:00+09:00"
    clock.set("2025-02-01T10:00:00+09:00")
    opening = case_opened_payload("2024-03-01", office_id=OTHER_OFFICE)
    moved = post_event(supported, "event_corrected", as_="admin", target_version=1,
                       reason="事業所の移管", replacement=opening)  # fmt: skip
    assert moved.status_code == 201, moved.text

    def listed(office: str, **params: str) -> bool:
        found = _get(client, auth, f"/offices/{office}/billing", month="2024-11", **params)
        return any(ln["case_id"] == supported for ln in found["lines"])

    assert listed(OFFICE, as_of=claimed) and not listed(OTHER_OFFICE, as_of=claimed)
    assert listed(OTHER_OFFICE) and not listed(OFFICE)


def test_one_rule_decides_views_or_folds_for_the_api_and_the_pages() -> None:
    from datetime import date, datetime, timedelta, timezone

    from api.http.routers.offices import fold_day

    today, past = date(2026, 12, 6), date(2026, 11, 20)
    known = datetime(2026, 11, 25, 3, 0, tzinfo=timezone(timedelta(hours=9)))
    assert [fold_day(k, None, today, today) for k in ("due", "billing", "retention")] == [None] * 3
    assert fold_day("retention", None, past, today) is None  # a rate has no day of its own
    assert fold_day("due", None, past, today) == past  # judged on the day asked
    assert fold_day("billing", None, past, today) == today  # every fact recorded by now
    assert fold_day("due", known, today, today) == today
    assert fold_day("billing", known, past, today) == date(2026, 11, 25)  # the later day
    assert fold_day("retention", known, today, today) == date(2026, 11, 25)


def test_the_case_list_as_of_an_instant_shows_each_case_as_it_was_known_then(
    client: TestClient, auth: Callable[[str], dict[str, str]], supported: str,
    open_case: Callable[..., str], post_event: Post, clock: Clock,
) -> None:  # fmt: skip
    # given: as of 2025-03-10 the case is in support (version 6); since then its
    # resignation on 2025-02-28 was recorded, and a second case was opened
    then = "2025-03-10T12:00:00+09:00"
    assert post_event(supported, "resigned", resigned_on="2025-02-28").status_code == 201
    later = open_case("2025-05-01")
    # when the list is read as of then (on the same day) and as of now
    listed = _get(client, auth, "/cases", office_id=OFFICE, as_of=then, on=PAST)["cases"]
    now = _get(client, auth, "/cases", office_id=OFFICE, on=PAST)["cases"]
    # then as of then: only the first case, at the version and status it had then
    assert [(c["case_id"], c["version"], c["status"]) for c in listed] == [
        (supported, 6, "in_support")]  # fmt: skip
    # and now, the resignation recorded since has changed that day's status
    status_now = {c["case_id"]: (c["version"], c["status"]) for c in now}
    assert status_now[supported][0] == 7 and status_now[supported][1] != "in_support"
    assert later in status_now
