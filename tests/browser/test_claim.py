"""The month's claim in real Chromium (issue 22): an administrator records the office's
体制 on its page, a worker opens the month's claim from the billing check and a person's
実績記録票 PDF (the download reads back with pypdf), and the compare page shows a draft
fee schedule's impact. Every page is checked at 1280 px and 390 px: no page is wider
than the screen, and a date never wraps."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from api.app import create_app
from api.demo.load import load_demo
from api.settings import Settings
from domain.rules.cal import add_months, month_of, month_start
from domain.store.application import CaseLog, persistence_env
from tests.browser.conftest import Site, _free_port

pytestmark = pytest.mark.browser
DRAFT_NAME = "2027-04-01_R9-draft.toml"
#: A draft revision that continues everything and raises the 70 % tier's base fee.
DRAFT = """
[version]
name = "R9-draft"
title_ja = "令和9年度報酬改定(下書き)"
effective_from = 2027-04-01
continues = ["base_fee", "addon", "reduction", "burden_cap"]

[values."base_fee.any.70"]
value = 2400
certainty = "○"
source = "下書き(試算用)"
"""
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def claim_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo office on a real server whose fee-schedule folder holds a draft."""
    import uvicorn

    root = tmp_path_factory.mktemp("claim")
    folder = root / "schedules"
    folder.mkdir()
    (folder / DRAFT_NAME).write_text(DRAFT, encoding="utf-8")
    cases = CaseLog(env=persistence_env(f"sqlite:///{root / 'teichaku.db'}"))
    demo = load_demo(cases)
    settings = Settings(database_url=f"sqlite:///{root / 'teichaku.db'}",
                        fee_schedule_dir=str(folder))  # fmt: skip
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, cases=cases), host="127.0.0.1",
                                           port=port, log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield Site(f"http://127.0.0.1:{port}", demo, cases)
    server.should_exit = True
    thread.join(timeout=10)


def _signed_in(site: Site, browser: Any, role: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP",
                                  accept_downloads=True)  # fmt: skip
    page = context.new_page()
    page.goto(f"{site.url}/web/login")
    login, password = site.demo.accounts[role]
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def _fits(page: Any, width: int) -> None:
    """No horizontal scroll, and no date cell or date span broken over two lines."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    wrapped = page.evaluate("""() => [...document.querySelectorAll('.nowrap, td.nowrap, th.nowrap')]
        .filter(e => e.getClientRects().length > 1).map(e => e.textContent)""")
    assert wrapped == []


def _last_month(site: Site) -> str:
    return month_of(add_months(month_start(site.demo.today), -1))


@pytest.mark.parametrize("width", WIDTHS)
def test_an_administrator_records_the_offices_setup(
    claim_site: Site, browser: Any, width: int
) -> None:
    page = _signed_in(claim_site, browser, "admin", width)
    office = claim_site.demo.office_id
    page.goto(f"{claim_site.url}/web/offices/{office}/setup")
    _fits(page, width)
    page.locator("summary", has_text="地域区分の単価").click()
    form = page.locator("#form-unit_price_set")
    price = "10.70" if width == 1280 else "10.14"
    form.get_by_label("1単位の単価").fill(price)
    form.get_by_label("適用を始める月").fill("2024年4月")
    form.get_by_role("button", name="記録する").click()
    page.get_by_text("記録しました").wait_for()
    assert page.get_by_text(f"1単位 {price} 円(2024-04 から)").count() == 1
    page.locator("summary", has_text="就労定着率の区分の届出").click()
    tier = page.locator("#form-tier_notified")
    tier.get_by_label("届け出た日").fill("令和8年13月1日")  # no such month; no year typed
    tier.get_by_role("button", name="記録する").click()
    error = page.locator("#f-tier_notified-notified_on-err")
    assert "日付として読めません" in error.inner_text()  # both said at once, beside each
    assert page.locator("#f-tier_notified-fiscal_year-err").inner_text() == "必須の項目です"
    assert page.locator("#form-tier_notified").get_attribute("open") is not None
    _fits(page, width)
    page.screenshot(path=f"/tmp/claimweb-test-setup-{width}.png", full_page=True)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_worker_opens_the_months_claim_and_a_record_sheet_pdf(
    claim_site: Site, browser: Any, width: int, tmp_path: Path
) -> None:
    page = _signed_in(claim_site, browser, "staff", width)
    office = claim_site.demo.office_id
    month = _last_month(claim_site)
    page.goto(f"{claim_site.url}/web/offices/{office}/billing?month={month}")
    page.get_by_role("navigation", name="事業所の業務").get_by_role("link", name="月の請求").click()
    page.get_by_role("heading", name=f"月の請求 {month}").wait_for()
    _fits(page, width)
    total = page.locator("[data-total-units]").inner_text()
    assert total.replace(",", "").isdigit() and int(total.replace(",", "")) > 0
    first = page.locator("table.claim-lines tr[data-rule='FEE-1']").first
    assert ".toml" in first.inner_text()  # the schedule file named on the line
    page.screenshot(path=f"/tmp/claimweb-test-claim-{width}.png", full_page=True)
    page.locator("table.claim-people").get_by_role("link", name="開く").first.click()
    page.get_by_role("heading", name="実績記録票").wait_for()
    _fits(page, width)
    page.screenshot(path=f"/tmp/claimweb-test-sheet-{width}.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF(A4・印刷用)").click()
    download = info.value
    assert download.failure() is None and download.suggested_filename.endswith(".pdf")
    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "就労定着支援提供実績記録票" in text and month.replace("-", "") in text
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_compare_page_shows_a_draft_schedules_impact(
    claim_site: Site, browser: Any, width: int
) -> None:
    page = _signed_in(claim_site, browser, "staff", width)
    office = claim_site.demo.office_id
    month = _last_month(claim_site)
    page.goto(f"{claim_site.url}/web/offices/{office}/claim?month={month}")
    page.get_by_role("link", name="報酬の版を比べる").click()
    page.get_by_label("最初の月").fill(month)
    page.get_by_label("最後の月").fill(month)
    page.get_by_label("比べる版").fill(DRAFT_NAME)
    page.get_by_role("button", name="比べる").click()
    page.get_by_role("heading", name="違う値(理由)").wait_for()
    _fits(page, width)
    difference = page.locator("[data-difference]").inner_text()
    rows = page.locator("table.compare-people tbody tr")
    raised = rows.filter(has_text="2234 → 2400").count()  # billed at the 70 % tier
    assert raised > 0 and difference == f"+{166 * raised:,} 単位"  # 2400 − 2234 each
    changes = page.locator("table.schedule-changes").inner_text()
    assert "定着率70%以上" in changes and "2400" in changes and DRAFT_NAME in changes
    page.screenshot(path=f"/tmp/claimweb-test-compare-{width}.png", full_page=True)
    page.context.close()
