"""A support worker's day in real Chromium: sign in, open a case, record, see the effect.

Uses the demo office: the case ``unbillable_months`` has a month (five months before the
demo was loaded) with only a phone contact, unbillable under MON-2 until a face-to-face
contact is recorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from domain.history import TOKYO, read_history, tokyo_date, utc_now
from domain.rules.cal import add_months, month_of, month_start
from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser


def _phone_only_month(today: date) -> str:
    """The demo's phone-only month: five months before the month it was loaded in
    (api/demo/cases.py ``_unbillable_months``), so the test holds on any day it runs."""
    return month_of(add_months(month_start(today), -5))


MONTH = _phone_only_month(tokyo_date(utc_now()))


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
    _reasons_show_on_hover_and_on_keyboard_focus(page)
    before = site.cases.clock().astimezone(TOKYO) - timedelta(minutes=1)
    events_before = len(site.cases.records(case_id))

    # An impossible (future) date: the error shows next to the field, nothing is stored.
    page.get_by_label("支援日(必須)").fill("2027-01-10")
    page.get_by_role("button", name="記録する").click()
    error = page.locator("#f-contact_recorded-contact_on-err")
    error.wait_for()
    assert "未来の日付" in error.inner_text()
    assert len(site.cases.records(case_id)) == events_before

    # Choosing another type shows only that type's form; then back to the contact.
    chooser = page.get_by_label("記録の種類", exact=True)
    chooser.select_option("support_report_shared")
    assert page.get_by_label("対象月(YYYY-MM)(必須)").is_visible()
    assert not page.get_by_label("支援日(必須)").is_visible()
    chooser.select_option("contact_recorded")

    # A face-to-face contact with the person in that month: the month turns billable.
    page.get_by_label("支援日(必須)").fill(f"{MONTH}-15")
    page.get_by_label("相手(必須)").select_option("person")
    page.get_by_label("方法(必須)").select_option("face_to_face")
    page.get_by_role("button", name="記録する").click()
    page.get_by_text("記録しました。").wait_for()
    assert _month_cell(page).get_attribute("data-billable") == "yes"
    assert len(site.cases.records(case_id)) == events_before + 1
    unbillable = page.locator('td[data-billable="no"] .tip')
    if unbillable.count():
        unbillable.first.focus()  # the screenshot shows a month's reasons as staff see them
    page.screenshot(path=str(SCREENSHOTS / "case.png"), full_page=True)

    # As known a minute before that contact was recorded, the month is unbillable again.
    page.get_by_label("タイムゾーン").select_option("Asia/Tokyo")
    page.get_by_label("この時点で分かっていた内容で表示").fill(before.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="表示する").click()
    page.get_by_text("時点の記録で表示しています").wait_for()
    assert f"as_of={before:%Y-%m-%dT%H:%M}:00+09:00" in unquote(page.url)  # sent with its offset
    assert _month_cell(page).get_attribute("data-billable") == "no"
    page.close()


def _reasons_show_on_hover_and_on_keyboard_focus(page: Any) -> None:
    """The unbillable month's reasons: hidden, shown on hover, on Tab focus, gone on Escape."""
    tip = _month_cell(page).locator(".tip")
    reasons = page.locator(f"#why-{MONTH}")
    assert not reasons.is_visible()
    tip.hover()
    assert reasons.is_visible() and "MON-2" in reasons.inner_text()
    page.mouse.move(0, 0)
    assert not reasons.is_visible()
    # Keyboard: focus the element before it, then Tab onto the month's verdict.
    page.locator(f'td[data-month="{MONTH}"]').evaluate(
        "cell => { const b = document.createElement('button'); b.id = 'before-tip';"
        " b.textContent = '.'; cell.prepend(b); }"
    )
    page.locator("#before-tip").focus()
    page.keyboard.press("Tab")
    assert tip.evaluate("el => el === document.activeElement")
    assert reasons.is_visible()
    page.keyboard.press("Escape")
    assert not reasons.is_visible()
    page.locator("#before-tip").evaluate("b => b.remove()")
