"""The office lists downloaded in real Chromium (issue 20): the CSV and .xlsx links of the
billing check and the retention rate download with the sign-in cookie, and the files read
back with 受給者証番号 intact and a formula-like name neutralised; on a 390 px phone the
pages are no wider than the screen."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.history import tokyo_date, utc_now
from domain.rules.cal import add_months, month_of, month_start, next_period_start, period_end
from tests.browser.conftest import Site
from tests.factories import case_opened_payload

pytestmark = pytest.mark.browser
FORMULA = '=HYPERLINK("https://example.invalid/","開く")'
NUMBER = "0000000777"


@pytest.fixture(scope="module")
def formula_case(site: Site) -> str:
    """A case of the demo office whose name is a formula and whose numbers start with 0:
    in support from 18 months before this month (two yearly decisions)."""
    hired = add_months(month_start(tokyo_date(utc_now())), -24)
    support = next_period_start(hired, 6)  # ELIG-3: the day after 6 months from the hire
    opened_on = hired - timedelta(days=14)
    prior = {"kind": "employment_transition", "ended_on": str(opened_on - timedelta(days=1))}
    opened = case_opened_payload(str(opened_on), person={"name": FORMULA},
                                 recipient_number=NUMBER, municipality_code="011002",
                                 office_id=site.demo.office_id, prior_service=prior)  # fmt: skip
    case_id = site.cases.open_case(opened, recorded_by="試験").id
    events: list[tuple[str, dict[str, Any]]] = [
        ("hired", {"hired_on": str(hired), "employer": {"name": "架空テスト株式会社"}}),
        ("contract_signed", {"signed_on": str(support), "support_from": str(support)}),
    ]
    first = support
    for _ in range(2):  # PER-1: one year at a time
        events.append(("decision_granted", {"decided_on": str(first), "valid_from": str(first),
                                            "valid_to": str(period_end(first, 12))}))  # fmt: skip
        first = next_period_start(first, 12)
    for event_type, payload in events:
        site.cases.record(case_id, event_type, payload, recorded_by="試験")
    return str(case_id)


def _signed_in(site: Site, browser: Any, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP",
                                  accept_downloads=True)  # fmt: skip
    page = context.new_page()
    page.goto(f"{site.url}/web/login")
    page.get_by_label("アクセストークン").fill(site.demo.tokens["staff"])
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    return page


def _download(page: Any, link: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    download = info.value
    assert download.failure() is None
    return download.suggested_filename, Path(download.path()).read_bytes()


def _read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _read_xlsx(body: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_billing_check_downloads_as_csv_and_xlsx_from_its_links(
    site: Site, browser: Any, formula_case: str
) -> None:
    page = _signed_in(site, browser, 1280)
    page.get_by_role("link", name="請求前チェック").click()
    month = month_of(add_months(month_start(tokyo_date(utc_now())), -5))
    page.get_by_label("対象月").fill(month)
    page.get_by_role("button", name="表示").click()
    page.get_by_role("heading", name=f"請求前チェック {month}").wait_for()
    office = site.demo.office_id

    name, body = _download(page, "CSV(Excel 用)")
    assert name == f"請求前チェック_{office}_{month}.csv"
    rows = _read_csv(body)
    assert rows[0][:3] == ["受給者証番号", "氏名", "市町村番号"]
    numbers = [r[0] for r in rows[1:]]
    assert "\t0000000001" in numbers  # the demo's first person, zeros kept as text
    ours = next(r for r in rows[1:] if r[8] == formula_case)
    assert ours[:3] == [f"\t{NUMBER}", "'" + FORMULA, "\t011002"]

    name, body = _download(page, "Excel ファイル(.xlsx)")
    assert name == f"請求前チェック_{office}_{month}.xlsx"
    cells = _read_xlsx(body)
    assert "0000000001" in [r[0] for r in cells[1:]]
    ours = next(r for r in cells[1:] if r[8] == formula_case)
    assert ours[:3] == [NUMBER, "'" + FORMULA, "011002"]
    page.context.close()


def test_the_retention_rate_downloads_for_the_chosen_year(
    site: Site, browser: Any, formula_case: str, tmp_path: Path
) -> None:
    page = _signed_in(site, browser, 1280)
    page.get_by_role("link", name="就労定着率").click()
    page.get_by_role("heading", name="就労定着率").wait_for()
    today = tokyo_date(utc_now())
    year = today.year if today.month >= 4 else today.year - 1
    chooser = page.get_by_label("年度")
    assert chooser.input_value() == str(year)
    offered = [int(v) for v in chooser.locator("option").evaluate_all("os => os.map(o => o.value)")]
    assert offered[0] == year and len(offered) > 1 and offered == sorted(offered, reverse=True)
    chooser.select_option(str(year))
    page.get_by_role("button", name="表示").click()
    page.get_by_role("heading", name=f"就労定着率 {year}年度").wait_for()
    page.screenshot(path=str(tmp_path / "retention.png"), full_page=True)

    name, body = _download(page, "CSV(Excel 用)")
    assert name == f"就労定着率_{site.demo.office_id}_{year}年度.csv"
    rows = _read_csv(body)
    assert rows[0][:2] == ["受給者証番号", "氏名"]
    assert [f"\t{NUMBER}", "'" + FORMULA] in [r[:2] for r in rows[1:]]
    assert "\t0000000001" in [r[0] for r in rows[1:]]

    name, body = _download(page, "Excel ファイル(.xlsx)")
    assert name.endswith(f"_{year}年度.xlsx")
    cells = _read_xlsx(body)
    assert [NUMBER, "'" + FORMULA] in [r[:2] for r in cells[1:]]
    page.context.close()


@pytest.mark.parametrize("path", ["billing", "retention"])
def test_the_office_lists_fit_a_390_px_phone(
    site: Site, browser: Any, formula_case: str, path: str, tmp_path: Path
) -> None:
    page = _signed_in(site, browser, 390)
    month = month_of(add_months(month_start(tokyo_date(utc_now())), -5))
    query = f"?month={month}" if path == "billing" else ""
    page.goto(f"{site.url}/web/offices/{site.demo.office_id}/{path}{query}")
    page.get_by_role("link", name="事業所のケース一覧に戻る").wait_for()
    for link in ("CSV(Excel 用)", "Excel ファイル(.xlsx)"):
        assert page.get_by_role("link", name=link).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / f"{path}-390.png"), full_page=True)
    page.context.close()


def test_the_billing_page_at_1280_px_shows_its_totals(site: Site, browser: Any) -> None:
    page = _signed_in(site, browser, 1280)
    month = month_of(add_months(month_start(tokyo_date(utc_now())), -5))
    page.goto(f"{site.url}/web/offices/{site.demo.office_id}/billing?month={month}")
    totals = page.locator("dl.totals")
    assert "請求不可" in totals.inner_text() and "人数" in totals.inner_text()
    assert "MON-2" in page.locator("table.reason-counts").inner_text()
    page.context.close()


def test_a_download_after_the_session_ended_opens_the_sign_in_page_not_a_file(
    site: Site, browser: Any
) -> None:
    # Given the billing page open, and then the session gone (signed out elsewhere)
    page = _signed_in(site, browser, 1280)
    page.goto(f"{site.url}/web/offices/{site.demo.office_id}/billing")
    page.context.clear_cookies()
    downloads: list[Any] = []
    page.on("download", lambda d: downloads.append(d))  # a bound builtin is refused
    # When the CSV link is followed, then the sign-in page shows; no file is saved
    page.get_by_role("link", name="CSV(Excel 用)").click()
    page.get_by_role("heading", name="ログイン").wait_for()
    assert downloads == []
    page.context.close()
