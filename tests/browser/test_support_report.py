"""A month's support report in real Chromium: from the case page, without retyping anything.

The case is recorded here (dates counted back from today, like the demo), so the test
does not lean on a demo story: hired 18 months ago, in support, one face-to-face contact
last month, a written consent for the employer and a withdrawn one for ハローワーク.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.history import tokyo_date
from domain.rules.cal import add_months, month_start, period_end
from tests.browser.conftest import Site
from tests.factories import OFFICE, case_opened_payload

pytestmark = pytest.mark.browser
EDITED = "職場に慣れ、休憩も自分から取れるようになりました。"


def _record_case(site: Site) -> tuple[UUID, str]:
    """A case in support with last month's face-to-face contact; returns (id, last month)."""
    today = tokyo_date(site.cases.clock())
    this_month = month_start(today)
    last_month = this_month - timedelta(days=1)
    hired = add_months(this_month, -18)
    support = add_months(this_month, -6)
    opened = case_opened_payload(
        hired.isoformat(), person={"name": "印刷 試子"}, office_id=OFFICE,
        prior_service={"kind": "employment_transition",
                       "ended_on": (hired - timedelta(days=1)).isoformat()},
    )  # fmt: skip
    case = site.cases.open_case(opened, recorded_by="支援員 試験")
    iso = {"hired": hired.isoformat(), "support": support.isoformat()}
    for event_type, payload in [
        ("hired", {"hired_on": iso["hired"], "employer": {"name": "株式会社みほん"}}),
        ("contract_signed", {"signed_on": iso["support"], "support_from": iso["support"]}),
        ("decision_granted", {"decided_on": iso["support"], "valid_from": iso["support"],
                              "valid_to": period_end(support, 12).isoformat()}),
        ("plan_revised", {"revised_on": iso["support"], "goals": ["休まず通勤する"]}),
        ("consent_given", {"consent_id": "C1", "given_on": iso["support"], "written": True,
                           "parties": ["株式会社みほん"], "information": ["勤務状況"]}),
        ("consent_given", {"consent_id": "C2", "given_on": iso["support"], "written": True,
                           "parties": ["ハローワーク"], "information": ["勤務状況"]}),
        ("consent_withdrawn", {"consent_id": "C2", "withdrawn_on": iso["support"]}),
        ("contact_recorded", {"contact_on": last_month.replace(day=10).isoformat(),
                              "counterpart": "person", "mode": "face_to_face", "place": "職場",
                              "summary": "通勤は順調"}),
    ]:  # fmt: skip
        site.cases.record(case.id, event_type, payload, recorded_by="支援員 試験")
    return case.id, f"{last_month:%Y-%m}"


def test_staff_prints_and_shares_a_months_report_from_the_case_page(
    site: Site, browser: Any
) -> None:
    case_id, month = _record_case(site)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()

    # From the case page, the month's row leads to its report, drafted from the records.
    page.goto(f"{site.url}/web/cases/{case_id}")
    page.get_by_role("link", name=f"{month}の支援レポートを作成").click()
    page.get_by_role("heading", name="本人との対面支援(1回)").wait_for()
    assert "通勤は順調" in page.get_by_label("今月の様子(編集できます)").input_value()
    assert "「休まず通勤する」" in page.get_by_label("次月に向けて(編集できます)").input_value()
    assert page.get_by_label("本人", exact=True).is_checked()
    employer = page.get_by_label("株式会社みほん", exact=True)
    assert employer.is_enabled() and not employer.is_checked()
    refused = page.get_by_label("ハローワーク", exact=True)
    assert refused.is_disabled()
    assert "CON-2" in page.locator(f"#{refused.get_attribute('aria-describedby')}").inner_text()

    # The print view shows the edited text, and only the report when printed; the copy for
    # the person carries no hash, the office's copy (事業所控え) does (issue 20).
    page.get_by_label("今月の様子(編集できます)").fill(EDITED)
    page.get_by_role("button", name="印刷用に表示").click()
    page.get_by_role("heading", name="今月の様子").wait_for()
    assert EDITED in page.locator(".report-text").first.inner_text()
    assert page.locator(".report-hash").count() == 0
    page.go_back()
    page.get_by_label("今月の様子(編集できます)").fill(EDITED)
    page.get_by_role("button", name="事業所控え(ハッシュ付き)を印刷").click()
    page.get_by_role("heading", name="今月の様子").wait_for()
    printed_hash = page.locator(".report-hash code").inner_text()
    page.emulate_media(media="print")
    assert not page.locator("header").is_visible()
    page.emulate_media(media="screen")

    # The PDF of the same draft downloads and reads back.
    page.go_back()
    page.get_by_role("heading", name="本人との対面支援(1回)").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="PDFをダウンロード").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-") and download.value.suggested_filename.endswith(".pdf")
    from pypdf import PdfReader

    assert month in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    # Share it with the person and the employer: the case page shows the month shared.
    page.get_by_label("今月の様子(編集できます)").fill(EDITED)
    page.get_by_label("株式会社みほん", exact=True).check()
    page.get_by_role("button", name="共有を記録する").click()
    page.get_by_text("記録しました。").wait_for()
    row = page.locator("tr", has=page.locator(f'td[data-month="{month}"]'))
    assert "共有済" in row.inner_text()
    assert page.locator(f'td[data-month="{month}"]').get_attribute("data-billable") == "yes"
    last = site.cases.records(case_id)[-1]
    assert last.type == "support_report_shared"
    assert last.payload["shared_with"] == ["本人", "株式会社みほん"]
    assert last.payload["report_sha256"] == printed_hash  # the paper names the event
    page.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _phone(site: Site, browser: Any) -> Any:
    page = browser.new_page(locale="ja-JP", **PHONE)
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def test_at_390_px_the_report_page_is_no_wider_than_the_phone(site: Site, browser: Any) -> None:
    case_id, month = _record_case(site)
    site.cases.record(case_id, "contact_recorded", {  # a second table, a longer row
        "contact_on": f"{month}-12", "counterpart": "employer", "mode": "phone",
        "place": "電話", "party": "株式会社みほん", "summary": "勤務状況を確認しました。遅刻なし。",
    }, recorded_by="支援員 試験")  # fmt: skip
    page = _phone(site, browser)
    page.goto(f"{site.url}/web/cases/{case_id}/report?month={month}")
    page.get_by_role("heading", name="本人との対面支援(1回)").wait_for()
    page.screenshot(path="/tmp/shots/report-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_at_390_px_the_case_page_jumps_to_the_record_form_from_its_first_screen(
    site: Site, browser: Any
) -> None:
    case_id, _ = _record_case(site)
    page = _phone(site, browser)
    page.goto(f"{site.url}/web/cases/{case_id}")
    jump = page.get_by_role("link", name="記録する(入力欄へ移動)")
    box = jump.bounding_box()
    assert jump.is_visible() and box is not None and box["y"] + box["height"] <= 844
    page.screenshot(path="/tmp/shots/case-390-top.png")
    form = page.get_by_role("heading", name="記録する", exact=True)
    assert not form.evaluate("el => el.getBoundingClientRect().top < innerHeight")
    jump.click()
    page.wait_for_function("location.hash === '#record-h'")
    assert form.evaluate("el => { const r = el.getBoundingClientRect(); "
                         "return r.top >= 0 && r.top < innerHeight; }")  # fmt: skip
    page.screenshot(path="/tmp/shots/case-390-form.png")
    page.close()
