"""The 経過 list in Chromium, desktop and phone: a worker reads what was written (issue 20).

Each record shows its content; a long note is folded and opens with one click; staff
see no version numbers; the page is no wider than a 390 px phone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, Site

pytestmark = pytest.mark.browser

NOTE = "上司の佐藤さんから、最近は作業の段取りが良くなったと聞いた。" * 4 + "次回は通勤の確認。"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_worker_reads_a_folded_note_on_the_case_page(
    site: Site, browser: Any, width: int
) -> None:
    case_id = site.demo.cases["in_support_year3"]
    site.cases.record(case_id, "contact_recorded", {
        "contact_on": site.demo.today.isoformat(), "counterpart": "person",
        "mode": "face_to_face", "place": "駅前のカフェ", "summary": NOTE,
    }, recorded_by="支援員 見本")  # fmt: skip
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="ja-JP")
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{site.url}/web/cases/{case_id}#timeline-h")

    entry = page.locator(".timeline li", has_text="駅前のカフェ").first
    note = entry.locator("details p.note")
    assert not note.is_visible()  # folded
    entry.locator("details summary").click()
    assert note.is_visible() and note.inner_text() == NOTE
    timeline = page.locator(".timeline").inner_text()
    assert "版" not in timeline.replace("出版", "")  # no version numbers for staff
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 390:
        entry.screenshot(path=str(SCREENSHOTS.parent.parent / "var" / "timeline-390.png"))
    page.close()
