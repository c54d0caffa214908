"""Record once and the same person twice (issue 20), in real Chromium on the demo office,
at a desktop's 1280 px and a phone's 390 px.

Going Back after a save, Chromium fetches the page again (every page is ``no-store``)
and fills in again what was typed: sent again, the form must store nothing new and say
so. A new case with the 受給者証番号 of an open case of the office (見本 一郎,
``0000000001``, in support) asks first and stores nothing until confirmed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from domain.history import read_history, tokyo_date, utc_now
from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def _signed_in(site: Site, browser: Any, device: str) -> Any:
    page = browser.new_page(locale="ja-JP", **VIEWPORTS[device])
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def _fits(page: Any, device: str) -> bool:
    """The page never scrolls sideways at the device's width."""
    width = VIEWPORTS[device]["viewport"]["width"]
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def _name(site: Site, scenario: str) -> str:
    opened = read_history(site.cases.records(site.demo.cases[scenario])).opened()
    assert opened is not None
    return str(opened.payload.person.name)  # type: ignore[attr-defined]


@pytest.mark.parametrize("device", VIEWPORTS)
def test_a_contact_sent_again_after_going_back_is_stored_once_and_says_so(
    site: Site, browser: Any, device: str
) -> None:
    case_id = site.demo.cases["unbillable_months"]
    page = _signed_in(site, browser, device)
    page.get_by_role("link", name=_name(site, "unbillable_months")).click()
    page.get_by_role("heading", name="月ごとの支援と請求").wait_for()
    today = tokyo_date(utc_now()).isoformat()
    before = len(site.cases.records(case_id))

    # Record a phone call with the family: the notice says what was recorded, in words
    page.get_by_label("支援日(必須)").fill(today)
    page.get_by_label("相手(必須)").select_option("family")
    page.get_by_label("方法(必須)").select_option("phone")
    page.get_by_role("button", name="記録する", exact=True).click()
    notice = page.locator("#recorded")
    notice.wait_for()
    assert f"{today} 家族・電話の支援記録を記録しました。" in notice.inner_text()
    assert "版" not in notice.inner_text()
    assert notice.get_by_role("link", name="この記録を取消").is_visible()
    assert len(site.cases.records(case_id)) == before + 1

    # Back: the page says its form was sent. Chromium fills in again what it keeps of
    # the form (not an input with autocomplete=off, such as the date): the same contact
    # is entered again where it was not.
    page.go_back()
    page.get_by_label("支援日(必須)").wait_for()
    assert page.locator(".sent-before").first.is_visible()
    assert page.get_by_label("相手(必須)").input_value() == "family"
    page.get_by_label("支援日(必須)").fill(today)
    page.get_by_label("方法(必須)").select_option("phone")

    # Sent again: nothing new is stored, the page says so and links the record
    page.get_by_role("button", name="記録する", exact=True).click()
    page.get_by_text("この内容はすでに記録されています").wait_for()
    assert len(site.cases.records(case_id)) == before + 1
    link = page.locator("#recorded").get_by_role("link", name="経過で見る")
    assert link.get_attribute("href") == f"#v{before + 1}"
    assert _fits(page, device)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"record-once-{device}.png"), full_page=False)
    page.close()


@pytest.mark.parametrize("device", VIEWPORTS)
def test_a_new_case_with_the_number_of_an_open_case_asks_first(
    site: Site, browser: Any, device: str
) -> None:
    existing = site.demo.cases["in_support_year3"]  # 見本 一郎, 0000000001, in support
    cases_before = len(site.cases.case_ids())
    page = _signed_in(site, browser, device)
    page.get_by_role("link", name="新規ケース").click()
    page.get_by_role("heading", name="新規ケース").wait_for()
    page.get_by_label("氏名(必須)").fill("見本 一郎")
    page.get_by_label("受給者証番号(10桁)(必須)").fill("0000000001")
    page.get_by_label("市町村番号(6桁)(必須)").fill("131016")
    page.get_by_label("就職前に利用していたサービス(必須)").select_option("employment_transition")
    page.get_by_role("button", name="ケースを開始する").click()

    # Asked first, with the case already open; nothing stored
    asked = page.get_by_role("heading", name="受給者証番号 0000000001 のケースがすでにあります")
    asked.wait_for()
    # (the phone's run also finds the case the desktop's run opened: it is open too)
    existing_link = page.locator(f'#duplicate a[href="/web/cases/{existing}"]')
    assert existing_link.inner_text() == "見本 一郎 さんのケース"
    assert len(site.cases.case_ids()) == cases_before
    assert _fits(page, device)
    page.screenshot(path=str(SCREENSHOTS / f"duplicate-number-{device}.png"), full_page=False)

    # Confirmed: stored, and the new case proposes its next record (就職)
    page.get_by_role("button", name="同じ方の新しいケースとして開始").click()
    page.get_by_role("heading", name=re.compile("見本 一郎 さん")).wait_for()
    assert len(site.cases.case_ids()) == cases_before + 1
    assert "ケース開始を記録しました。" in page.locator("#recorded").inner_text()
    page.screenshot(path=str(SCREENSHOTS / f"next-step-{device}.png"), full_page=False)
    page.locator("#next-step").get_by_role("link", name="就職を記録する").click()
    page.get_by_label("就職日(必須)").wait_for()
    assert page.get_by_label("就職日(必須)").is_visible()
    page.close()
