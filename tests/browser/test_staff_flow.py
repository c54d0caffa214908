"""A support worker's day in real Chromium: sign in, open a case, record, see the effect.

Uses the demo office: the case ``unbillable_months`` has a month (2026-06) with only a
phone contact, unbillable under MON-2 until a face-to-face contact is recorded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.history import TOKYO, read_history
from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser
MONTH = "2026-06"


def _month_cell(page: Any) -> Any:
    return page.locator(f'td[data-month="{MONTH}"]')


def test_staff_records_a_face_to_face_contact_and_the_month_turns_billable(
    site: Site, browser: Any
) -> None:
    case_id = site.demo.cases["unbillable_months"]
    opened = read_history(site.cases.records(case_id)).opened()
    assert opened is not None
    name = opened.payload.person.name  # type: ignore[attr-defined]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")

    # Sign in and see the office dashboard.
    page.goto(f"{site.url}/")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    assert page.get_by_role("link", name=name).count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    # Open the case: the phone-only month is not billable, with its reason.
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name="月ごとの支援と請求").wait_for()
    assert _month_cell(page).get_attribute("data-billable") == "no"
    assert "MON-2" in _month_cell(page).inner_text() or "MON-2" in (
        _month_cell(page).locator("summary").get_attribute("title") or ""
    )
    before = site.cases.clock().astimezone(TOKYO) - timedelta(minutes=1)
    events_before = len(site.cases.records(case_id))

    # An impossible (future) date: the error shows next to the field, nothing is stored.
    page.get_by_label("支援日(必須)").fill("2027-01-10")
    page.get_by_role("button", name="記録する").click()
    error = page.locator("#f-contact_on-err")
    error.wait_for()
    assert "未来の日付" in error.inner_text()
    assert len(site.cases.records(case_id)) == events_before

    # A face-to-face contact with the person in that month: the month turns billable.
    page.get_by_label("支援日(必須)").fill(f"{MONTH}-15")
    page.get_by_label("相手(必須)").select_option("person")
    page.get_by_label("方法(必須)").select_option("face_to_face")
    page.get_by_role("button", name="記録する").click()
    page.get_by_text("記録しました。").wait_for()
    assert _month_cell(page).get_attribute("data-billable") == "yes"
    assert len(site.cases.records(case_id)) == events_before + 1
    page.screenshot(path=str(SCREENSHOTS / "case.png"), full_page=True)

    # As known a minute before that contact was recorded, the month is unbillable again.
    page.get_by_label("この時点で分かっていた内容で表示(日本時間)").fill(
        before.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="表示する").click()
    page.get_by_text("時点の記録で表示しています").wait_for()
    assert _month_cell(page).get_attribute("data-billable") == "no"
    page.close()
