"""The office's monthly work in real Chromium: from the dashboard to the due list and the
billing check, with the reasons a month cannot be billed."""

from __future__ import annotations

from typing import Any

import pytest

from domain.history import tokyo_date, utc_now
from domain.rules.cal import add_months, month_of, month_start
from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser


def test_staff_open_the_due_list_and_the_billing_check_from_the_dashboard(
    site: Site, browser: Any
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page.goto(f"{site.url}/")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()

    page.get_by_role("link", name="今月やること").click()
    page.get_by_role("heading", name="今月やること").wait_for()
    assert page.locator("ul.due li").count() > 0
    assert "MON-1" in page.locator("ul.due").first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "due.png"), full_page=True)

    page.get_by_role("link", name="請求前チェック").click()
    page.get_by_role("heading", name="請求前チェック").wait_for()
    # The demo's phone-only month (five months back) cannot be billed, and says why.
    phone_only = month_of(add_months(month_start(tokyo_date(utc_now())), -5))
    page.get_by_label("対象月").fill(phone_only)
    page.get_by_role("button", name="表示").click()
    page.get_by_role("heading", name=f"請求前チェック {phone_only}").wait_for()
    unbillable = page.locator('tr[data-verdict="unbillable"]')
    assert unbillable.count() >= 1
    assert "MON-2" in unbillable.first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "billing.png"), full_page=True)
