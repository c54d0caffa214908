"""The staff pages as a support worker meets them (issue 14), in real Chromium on the demo
office: the month in progress, a correction from the timeline, a new case, the dispute
report, every form error at once, an unknown address."""

from __future__ import annotations

import re
from typing import Any

import pytest

from domain.history import read_history, tokyo_date, utc_now
from domain.rules.cal import month_end
from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser


def _signed_in(site: Site, browser: Any, role: str = "staff", **context: Any) -> Any:
    page = browser.new_page(**{"viewport": {"width": 1280, "height": 900}, "locale": "ja-JP",
                               **context})  # fmt: skip
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens[role])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def _name(site: Site, scenario: str) -> str:
    opened = read_history(site.cases.records(site.demo.cases[scenario])).opened()
    assert opened is not None
    return str(opened.payload.person.name)  # type: ignore[attr-defined]


def test_the_month_in_progress_reads_the_same_on_the_dashboard_and_the_case_page(
    site: Site, browser: Any
) -> None:
    today = tokyo_date(utc_now())
    left = (month_end(today) - today).days + 1
    page = _signed_in(site, browser)
    pending = page.locator(  # 「今月まだ: 対面支援…(残りN日)」 (api/web/month_words.py)
        'td.pending a[data-month-words="in_progress"]', has_text=f"(残り{left}日)"
    )
    if pending.count() == 0:  # every case in support already met this month
        pytest.skip("no case in support without a face-to-face contact this month")
    assert page.locator("td.ng", has_text="請求不可").count() == 0
    pending.first.click()
    cell = page.locator(f'td[data-month="{today:%Y-%m}"]')
    cell.wait_for()
    assert cell.get_attribute("data-billable") == "pending"
    assert f"(残り{left}日)" in cell.inner_text() and "今月まだ: " in cell.inner_text()
    page.close()


def test_a_record_is_corrected_from_its_timeline_entry(site: Site, browser: Any) -> None:
    page = _signed_in(site, browser)
    page.get_by_role("link", name=_name(site, "in_support_year3")).click()
    case_id = site.demo.cases["in_support_year3"]
    before = len(site.cases.records(case_id))
    page.locator(".timeline .amend-links a", has_text="訂正").last.click()  # the oldest entry
    page.locator("#amend-h").wait_for()
    assert "訂正する: 第1版" in page.locator("#amend-h").inner_text()
    name = page.get_by_label("氏名(必須)")
    assert name.input_value() == _name(site, "in_support_year3")  # filled with what it says now
    page.get_by_label("訂正の理由(必須)").fill("")
    page.get_by_role("button", name="訂正を記録する").click()
    error = page.locator("#f-amend-reason-err")
    error.wait_for()
    assert "理由を入力してください" in error.inner_text()
    page.get_by_label("訂正の理由(必須)").fill("受給者証で確認")
    page.get_by_role("button", name="訂正を記録する").click()
    page.get_by_text("記録しました。").wait_for()
    records = site.cases.records(case_id)
    assert len(records) == before + 1 and records[-1].type == "event_corrected"
    page.close()


def test_a_new_case_is_opened_from_the_dashboard(site: Site, browser: Any) -> None:
    page = _signed_in(site, browser)
    page.get_by_role("link", name="新規ケース").click()
    page.get_by_role("heading", name="新規ケース").wait_for()
    page.get_by_label("氏名(必須)").fill("画面 太郎")
    page.get_by_label("受給者証番号(10桁)(必須)").fill("12")
    page.get_by_label("市町村番号(6桁)(必須)").fill("131016")
    page.get_by_label("就職前に利用していたサービス(必須)").select_option("employment_transition")
    page.get_by_role("button", name="ケースを開始する").click()
    error = page.locator("#f-case_opened-recipient_number-err")
    error.wait_for()
    assert "10桁" in error.inner_text()
    page.get_by_label("受給者証番号(10桁)(必須)").fill("0000000777")
    page.get_by_role("button", name="ケースを開始する").click()
    page.get_by_role("heading", name=re.compile("画面 太郎 さん")).wait_for()
    page.close()


def test_every_error_of_a_form_shows_at_once_beside_its_field(site: Site, browser: Any) -> None:
    page = _signed_in(site, browser)
    page.get_by_role("link", name=_name(site, "in_support_year3")).click()
    page.get_by_label("記録の種類", exact=True).select_option("hired")
    page.get_by_label("就職日(必須)").fill("2026-01-05")
    page.get_by_label("週の所定労働時間").fill("100")
    form = page.locator('form.event-form[data-type="hired"]')
    form.get_by_role("button", name="記録する").click()
    page.locator("#f-hired-employer-name-err").wait_for()
    assert page.locator("#f-hired-weekly_hours-err").is_visible()
    assert "2 件" in form.locator("p.error").first.inner_text()
    page.close()


def test_the_dispute_report_opens_from_the_case_page(site: Site, browser: Any) -> None:
    case_id = site.demo.cases["corrected_hire_date"]
    opened = read_history(site.cases.records(case_id)).opened()
    assert opened is not None
    page = _signed_in(site, browser)
    first = site.cases.records(case_id)[0].recorded_at
    page.goto(f"{site.url}/web/cases/{case_id}?as_of={first.isoformat()}".replace("+", "%2B"))
    page.get_by_role("link", name=re.compile("照会対応報告")).click()
    page.get_by_role("heading", name="照会対応報告(記録の比較)").wait_for()
    text = page.locator("body").inner_text()
    assert opened.payload.person.name in text  # type: ignore[attr-defined]
    assert f"受給者証番号 {opened.payload.recipient_number}" in text  # type: ignore[attr-defined]
    assert "(日本時間)" in text and "+00:00" not in text
    page.close()


def test_an_unknown_address_is_a_japanese_page(site: Site, browser: Any) -> None:
    page = _signed_in(site, browser)
    response = page.goto(f"{site.url}/web/no-such-page")
    assert response is not None and response.status == 404
    page.get_by_role("heading", name="ページが見つかりません").wait_for()
    page.get_by_role("link", name="事業所の一覧に戻る").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    page.close()


def test_the_api_description_renders_with_no_outside_network(site: Site, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{site.url}/docs")
    page.locator(".swagger-ui .info .title", has_text="teichaku").wait_for()
    page.locator(".opblock-tag", has_text="ケース").first.wait_for()
    assert outside == []
    page.close()


def test_at_390_px_on_a_touch_screen_the_pages_fit_and_reasons_are_written_out(
    site: Site, browser: Any
) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = _signed_in(site, browser, **phone)
    # The page itself never scrolls sideways; the table does, inside its own box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    name = page.locator("table.cases th[scope=row] a").first
    line = float(name.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 24"))
    assert name.bounding_box()["height"] < 1.5 * line  # one line, not a character per line
    # The case page: the chart keeps a legible width, scrolled sideways in its box
    page.get_by_role("link", name=_name(site, "unbillable_months")).click()
    page.get_by_role("heading", name="月ごとの支援と請求").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("svg.chart").bounding_box()["width"] >= 640
    # An unbillable month's reasons are on the screen without hovering
    reasons = page.locator('td[data-billable="no"] .tooltip').first
    assert reasons.is_visible() and re.search(r"MON-\d", reasons.inner_text())
    page.close()


def test_printed_case_page_writes_out_every_unbillable_months_reasons(
    site: Site, browser: Any
) -> None:
    page = _signed_in(site, browser)
    page.goto(f"{site.url}/web/cases/{site.demo.cases['unbillable_months']}")
    reasons = page.locator('td[data-billable="no"] .tooltip').first
    assert not reasons.is_visible()  # on screen: a tooltip, shown on hover or focus
    page.emulate_media(media="print")
    assert reasons.is_visible() and re.search(r"MON-\d", reasons.inner_text())
    page.close()


def test_a_meetings_parties_are_ticked_from_what_the_consents_name(
    site: Site, browser: Any
) -> None:
    case_id = site.demo.cases["consent_violation"]
    page = _signed_in(site, browser)
    page.goto(f"{site.url}/web/cases/{case_id}?type=case_meeting_held#record-h")
    form = page.locator('form.event-form[data-type="case_meeting_held"]')
    clinic = form.get_by_label("ひだまりクリニック(架空)", exact=True)
    clinic.check()  # spelled as the consent has it: CON matching is exact
    form.get_by_label("開催日(必須)").fill(f"{tokyo_date(utc_now()):%Y-%m-%d}")
    before = len(site.cases.records(case_id))
    form.get_by_role("button", name="記録する").click()
    page.get_by_text("記録しました。").wait_for()
    records = site.cases.records(case_id)
    assert len(records) == before + 1
    assert "ひだまりクリニック(架空)" in records[-1].payload["parties"]
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_name_typed_in_hiragana_finds_its_row_on_a_desk_and_on_a_phone(
    site: Site, browser: Any, width: int
) -> None:
    phone = {"is_mobile": True, "has_touch": True} if width == 390 else {}
    page = _signed_in(site, browser, viewport={"width": width, "height": 900}, **phone)
    # When the worker types the reading in hiragana, with a full-width space, and sends it
    box = page.get_by_label("名前・フリガナ・受給者証番号")
    box.fill("みほん\u3000いちろう")
    with page.expect_navigation():
        box.press("Enter")
    assert "q=" not in page.url and "%E3%81%BF" not in page.url  # posted, not in the address
    # Then the one person is listed, with the reading and the masked number
    rows = page.locator("table.cases tbody th[scope=row]")
    assert rows.count() == 1
    assert rows.first.locator("a").inner_text() == _name(site, "in_support_year3")
    assert "ミホン イチロウ" in rows.first.inner_text()
    assert re.search(r"\*{6}\d{4}", rows.first.inner_text())
    assert box.input_value() == "みほん\u3000いちろう"  # the form keeps what was asked
    # And nothing is wider than the screen: the page, the form, the list
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for box_of in ("form.find", "div.table-scroll"):
        assert page.locator(box_of).bounding_box()["width"] <= width, box_of
    page.screenshot(path=str(SCREENSHOTS.parent.parent / "var" / f"find-{width}.png"),
                    full_page=True)  # fmt: skip
    page.close()
