"""A date typed in 和暦 (issue 20), in real Chromium on a desktop and on a phone: the
record form takes 令和N年M月D日 and R7.4.1 as typed, and the case page shows the ISO
day that was recorded."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain.history import tokyo_date, utc_now
from tests.browser.conftest import Site
from tests.browser.test_staff_pages import _name, _signed_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _reiwa(day: date) -> str:
    return f"令和{day.year - 2018}年{day.month}月{day.day}日"


def _reiwa_short_full_width(day: date) -> str:
    return "Ｒ" + "．".join(str(n) for n in (day.year - 2018, day.month, day.day)).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )


@pytest.mark.parametrize(
    ("width", "days_ago", "written"),
    [(1280, 2, _reiwa), (390, 3, _reiwa_short_full_width), (390, 4, _reiwa)],
)
def test_a_contact_typed_in_reiwa_is_recorded_on_its_iso_day(
    site: Site, browser: Any, width: int, days_ago: int, written: Any
) -> None:
    day = tokyo_date(utc_now()) - timedelta(days=days_ago)
    context = PHONE if width == 390 else {}
    page = _signed_in(site, browser, **context)
    case_id = site.demo.cases["in_support_year3"]
    page.get_by_role("link", name=_name(site, "in_support_year3")).click()
    form = page.locator('form.event-form[data-type="contact_recorded"]')
    day_input = form.get_by_label("支援日(必須)")
    # The day input is text with the ways to write it beside it, within the screen's width
    assert day_input.get_attribute("type") == "text"
    assert "令和7年4月1日" in form.locator("#f-contact_recorded-contact_on-hint").inner_text()
    box = day_input.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    # When a contact is typed with its day in 和暦 and recorded
    day_input.press_sequentially(written(day))
    form.get_by_label("相手(必須)").select_option("person")
    form.get_by_label("方法(必須)").select_option("face_to_face")
    form.get_by_role("button", name="記録する").click()
    notice = page.locator("#recorded")
    notice.wait_for()
    # Then the store and the case page both hold the ISO day
    last = site.cases.records(case_id)[-1]
    assert last.type == "contact_recorded" and last.payload["contact_on"] == day.isoformat()
    assert notice.inner_text().startswith(f"{day.isoformat()} ")
    entry = page.locator(f"#v{last.version} time")
    assert entry.get_attribute("datetime") == day.isoformat()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()
