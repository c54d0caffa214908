"""Printing the case page and the dispute report (issue 20): paper shows what was recorded.

Printed, the case page showed the record form's controls and clipped the chart; dates
broke inside in the dispute table (「2025年9／月11日」).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site

pytestmark = pytest.mark.browser
A4_PX = 794  # 210 mm at 96 px per inch


def _signed_in(site: Site, browser: Any, width: int, role: str = "staff") -> Any:
    page = browser.new_page(viewport={"width": width, "height": 1100}, locale="ja-JP")
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens[role])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def test_a_printed_case_page_has_no_form_controls_and_the_whole_chart(
    site: Site, browser: Any
) -> None:
    page = _signed_in(site, browser, A4_PX)
    page.goto(f"{site.url}/web/cases/{site.demo.cases['in_support_year3']}")
    assert page.locator("section.record input:visible").count() > 0  # on screen: the form

    page.emulate_media(media="print")

    controls = "input:visible, select:visible, textarea:visible, button:visible"
    assert page.locator(controls).count() == 0
    chart = page.locator("svg.chart").bounding_box()
    assert chart is not None and chart["x"] >= 0 and chart["x"] + chart["width"] <= A4_PX
    assert page.locator(".timeline li").first.is_visible()  # what was recorded is printed
    page.close()


def test_dates_in_the_dispute_table_never_break_inside_on_a_phone(
    site: Site, browser: Any
) -> None:
    page = _signed_in(site, browser, 390, role="auditor")
    case_id = site.demo.cases["in_support_year3"]
    as_of = f"{site.demo.today.isoformat()}T00:00%2B09:00"
    page.goto(f"{site.url}/web/cases/{case_id}/dispute?as_of={as_of}&on={site.demo.today}")
    dates = page.locator("td span.d")
    assert dates.count() > 0
    for i in range(dates.count()):
        box = dates.nth(i).evaluate("e => e.getClientRects().length")
        assert box == 1, dates.nth(i).inner_text()  # one line box: not broken inside
    page.close()
