"""An auditor's checks in real Chromium (issue 21): the chain with a row altered directly
in the database flagged, the bundle downloaded and verified offline by the command line,
the access log naming the auditor's own reads, and the dispute report for a month whose
report was shared the next month (できる now; 今月まだ/できない as known before)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest

from domain.history import tokyo_date, utc_now
from domain.rules.cal import add_months, month_end
from tests.browser.conftest import Site
from tests.factories import case_opened_payload

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
WIDE = {"viewport": {"width": 1280, "height": 900}, "locale": "ja-JP"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "ja-JP"}  # fmt: skip


def _signed_in(site: Site, browser: Any, role: str = "auditor", **context: Any) -> Any:
    page = browser.new_context(**(context or WIDE), accept_downloads=True).new_page()
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens[role])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def _alter_stored_row(site: Site, case_id: UUID, version: int) -> None:
    """Change who recorded a stored event, in the SQLite file, outside the application."""
    path = site.cases.env["SQLITE_DBNAME"]
    with sqlite3.connect(path) as conn:
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (case_id.hex, version),
        ).fetchone()
        altered = orjson.loads(state)
        altered["recorded_by"] = "別人"
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (orjson.dumps(altered), case_id.hex, version),
        )


def test_an_auditor_sees_a_tampered_row_verifies_the_bundle_and_reads_the_access_log(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    case_id = site.demo.cases["in_support_year3"]
    page = _signed_in(site, browser)
    page.goto(f"{site.url}/web/cases/{case_id}")
    page.get_by_role("link", name="ハッシュ連鎖と検証").click()
    verdict = page.locator(".chain-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-verified") == "yes" and "検証済み" in verdict.inner_text()
    page.screenshot(path="/tmp/audit-chain-1280.png")

    # The bundle downloads, and the command line verifies it with no database
    with page.expect_download() as info:
        page.get_by_role("link", name="記録一式(バンドル)をダウンロード").first.click()
    bundle = tmp_path / "bundle.json"
    info.value.save_as(bundle)
    verified = subprocess.run(
        [sys.executable, "-m", "api.cli", "verify", "--bundle", str(bundle)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{case_id} OK bundle" in verified.stdout

    # A row altered directly in the database is flagged, with the first broken version
    _alter_stored_row(site, case_id, 2)
    page.reload()
    assert verdict.get_attribute("data-verified") == "no"
    assert verdict.get_attribute("data-first-broken") == "2"
    assert "改ざんの疑い" in verdict.inner_text() and "第2版" in verdict.inner_text()
    assert page.locator('tr[data-version="2"]').get_attribute("data-valid") == "no"
    page.screenshot(path="/tmp/audit-chain-tampered-1280.png")

    # The access log names the auditor's own reads of the case (chain, download, this one)
    page.get_by_role("link", name="閲覧記録").first.click()
    page.get_by_role("heading", name="閲覧記録").wait_for()
    mine = page.locator("table.access-log tbody tr", has_text="監査")
    endpoints = {mine.nth(i).get_attribute("data-endpoint") for i in range(mine.count())}
    assert {"web:access-log", "web:audit", "web:export", "web:case"} <= endpoints
    assert "ハッシュ連鎖と検証(監査)" in page.locator("table.access-log").inner_text()
    page.screenshot(path="/tmp/audit-access-log-1280.png")
    page.context.close()


def _report_shared_next_month(site: Site) -> tuple[UUID, str, date]:
    """A case supported face to face last month, whose report for last month is shared
    today (the next month); returns it, the instant just before the sharing was recorded,
    and the last day of last month."""
    today = tokyo_date(utc_now())
    last = add_months(date(today.year, today.month, 1), -1)  # first day of last month
    hired = add_months(last, -10)
    eligible = add_months(hired, 6)
    by = "支援員 試験"
    cases = site.cases
    case = cases.open_case(
        case_opened_payload(hired.isoformat(), office_id=site.demo.office_id,
                            person={"name": "監査 確認", "name_kana": "カンサ カクニン"},
                            recipient_number="5550001111"),
        recorded_by=by,
    )  # fmt: skip
    start, end = eligible.isoformat(), (add_months(eligible, 12) - timedelta(days=1)).isoformat()
    contact = (last + timedelta(days=9)).isoformat()
    facts = [
        ("hired", {"hired_on": hired.isoformat(), "employer": {"name": "株式会社サンプル"}}),
        ("contract_signed", {"signed_on": start, "support_from": start}),
        ("decision_granted", {"decided_on": start, "valid_from": start, "valid_to": end}),
        ("plan_revised", {"revised_on": start, "goals": ["生活リズムの安定"]}),
        ("contact_recorded", {"contact_on": contact, "counterpart": "person",
                              "mode": "face_to_face"}),
    ]  # fmt: skip
    for kind, payload in facts:
        cases.record(case.id, kind, payload, recorded_by=by)
    time.sleep(1.1)  # the instant lies a clear second after the facts and before the sharing
    before = utc_now()
    time.sleep(1.1)
    cases.record(case.id, "support_report_shared", {
        "month": f"{last:%Y-%m}", "shared_on": today.isoformat(), "shared_with": ["本人"]},
        recorded_by=by)  # fmt: skip
    return case.id, before.isoformat(), month_end(last)


def test_the_dispute_report_says_billable_now_and_open_as_known_before(
    site: Site, browser: Any
) -> None:
    case_id, before, on = _report_shared_next_month(site)
    page = _signed_in(site, browser)
    page.goto(f"{site.url}/web/cases/{case_id}/dispute?as_of={before.replace('+', '%2B')}&on={on}")
    page.locator(f'table.months tr[data-month="{on:%Y-%m}"]').wait_for()
    # as known before: the month was still open on its last day, the report missing
    assert page.locator(".verdict-then").inner_text().startswith("今月まだ: 支援レポート")
    # now: the report shared the next month counts for the month
    assert page.locator(".verdict-now").inner_text() == "できる"
    sentence = page.locator(".change").inner_text()
    assert "「請求可」に変わりました" in sentence and "支援レポート共有" in sentence
    assert "支援員 試験" in sentence and "(日本時間)" in sentence
    page.screenshot(path="/tmp/audit-dispute-1280.png", full_page=True)
    # and as known before, judged after the month ended: できない then, できる now
    later = on + timedelta(days=1)
    page.goto(
        f"{site.url}/web/cases/{case_id}/dispute?as_of={before.replace('+', '%2B')}&on={later}"
    )
    month = page.locator(f'table.months tr[data-month="{on:%Y-%m}"]')
    assert "請求不可" in month.locator("td").nth(1).inner_text()
    assert "請求可" in month.locator("td").nth(2).inner_text()
    page.context.close()
    phone = _signed_in(site, browser, **PHONE)
    phone.goto(f"{site.url}/web/cases/{case_id}/dispute?as_of={before.replace('+', '%2B')}&on={on}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path="/tmp/audit-dispute-390.png", full_page=True)
    for path in (f"/web/cases/{case_id}/audit", f"/web/cases/{case_id}/access-log"):
        phone.goto(f"{site.url}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        phone.screenshot(path=f"/tmp/audit-{path.rsplit('/', 1)[1]}-390.png", full_page=True)
    phone.context.close()
