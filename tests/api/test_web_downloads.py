"""The office lists downloaded from the staff pages (issue 20): the sign-in cookie is
enough, the page's access rules and log apply, and the files open in a spreadsheet with
受給者証番号 and 市町村番号 intact and no formula run."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from urllib.parse import unquote
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.http.access_log import access_entries
from domain.store.application import CaseLog
from tests.api.conftest import NAMES, Clock
from tests.api.test_offices import _supported_case
from tests.api.test_web import _sign_in
from tests.factories import OFFICE, OTHER_OFFICE

Auth = Callable[[str], dict[str, str]]
FORMULA = '=HYPERLINK("https://example.invalid/","開く")'
BILLING = f"/web/offices/{OFFICE}/billing"
RETENTION = f"/web/offices/{OFFICE}/retention"
FILES = [f"{BILLING}.csv?month=2024-11", f"{BILLING}.xlsx?month=2024-11",
         f"{RETENTION}.csv?fiscal_year=2025", f"{RETENTION}.xlsx?fiscal_year=2025"]  # fmt: skip


@pytest.fixture
def office(client: TestClient, auth: Auth, open_case: Callable[..., str]) -> dict[str, str]:
    """Two cases in support from 2024-10-01: one with leading zeros in both numbers, one
    whose name is a spreadsheet formula; 2024-11 had no face-to-face contact (MON-2)."""
    zeros = _supported_case(client, auth, lambda: open_case(
        recipient_number="0000000001", municipality_code="011002"))  # fmt: skip
    formula = _supported_case(client, auth, lambda: open_case(
        recipient_number="0000000002", person={"name": FORMULA}))  # fmt: skip
    return {"zeros": zeros, "formula": formula}


def _csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response: httpx.Response) -> Worksheet:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert isinstance(sheet, Worksheet)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula
    return sheet


def _file_name(response: httpx.Response) -> tuple[str, str]:
    """The ASCII ``filename`` and the decoded ``filename*`` of the attachment."""
    header = response.headers["content-disposition"]
    plain = re.search(r'filename="([^"]+)"', header)
    utf8 = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert header.startswith("attachment;") and plain and utf8, header
    return plain.group(1), unquote(utf8.group(1))


def test_billing_csv_downloads_with_the_cookie_keeping_leading_zeros_and_no_formula(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    # Given a signed-in member of staff (the cookie only: no token in the address)
    _sign_in(client, tokens["staff"])
    # When the billing check of 2024-11 is downloaded as CSV
    response = client.get(f"{BILLING}.csv", params={"month": "2024-11"})
    # Then it is the month's list, named after the office and the month
    rows = _csv(response)
    assert _file_name(response) == (f"billing-{OFFICE}-2024-11.csv",
                                    f"請求前チェック_{OFFICE}_2024-11.csv")  # fmt: skip
    assert response.headers["cache-control"] == "no-store"
    assert rows[0] == ["受給者証番号", "氏名", "市町村番号", "対象月", "判定", "対面支援回数",
                       "レポート共有", "理由(ルールID)", "ケースID", "事業所番号"]  # fmt: skip
    by_case = {r[8]: r for r in rows[1:]}
    zeros, formula = by_case[office["zeros"]], by_case[office["formula"]]
    # And codes are written after a TAB, so Excel keeps them as text with their zeros
    assert zeros[:4] == ["\t0000000001", "試験 花子", "\t011002", "\t2024-11"]
    assert zeros[4] == "請求不可" and "MON-2" in zeros[7] and zeros[9] == f"\t{OFFICE}"
    # And a name that is a formula is text behind an apostrophe, never evaluated
    assert formula[1] == "'" + FORMULA


def test_billing_xlsx_has_text_cells_for_the_numbers_and_no_formula(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    response = client.get(f"{BILLING}.xlsx", params={"month": "2024-11"})
    sheet = _xlsx(response)
    assert _file_name(response)[1] == f"請求前チェック_{OFFICE}_2024-11.xlsx"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["受給者証番号", "氏名", "市町村番号", "対象月"]
    rows = {row[8].value: row for row in sheet.iter_rows(min_row=2)}
    zeros, formula = rows[office["zeros"]], rows[office["formula"]]
    # Text cells (format "@", string values): the zeros are the cell's own value
    for cell, value in ((zeros[0], "0000000001"), (zeros[2], "011002"), (zeros[9], OFFICE)):
        assert (cell.value, cell.data_type, cell.number_format) == (value, "s", "@")
    assert zeros[5].value == 0  # a count stays a number
    assert (formula[1].value, formula[1].data_type) == ("'" + FORMULA, "s")


def test_retention_downloads_list_the_persons_with_their_numbers_as_text(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    as_csv = client.get(f"{RETENTION}.csv", params={"fiscal_year": "2025"})
    as_xlsx = client.get(f"{RETENTION}.xlsx", params={"fiscal_year": "2025"})

    rows = _csv(as_csv)
    assert _file_name(as_csv) == (f"retention-{OFFICE}-2025.csv",
                                  f"就労定着率_{OFFICE}_2025年度.csv")  # fmt: skip
    assert rows[0][:3] == ["受給者証番号", "氏名", "定着(年度末に雇用継続)"]
    assert sorted(r[0] for r in rows[1:]) == ["\t0000000001", "\t0000000002"]
    assert "'" + FORMULA in [r[1] for r in rows[1:]]
    sheet = _xlsx(as_xlsx)
    numbers = [(r[0].value, r[0].number_format) for r in sheet.iter_rows(min_row=2)]
    assert sorted(numbers) == [("0000000001", "@"), ("0000000002", "@")]
    assert "'" + FORMULA in [r[1].value for r in sheet.iter_rows(min_row=2)]


def test_without_a_session_every_download_leads_to_the_sign_in_page(
    client: TestClient, auth: Auth, office: dict[str, str]
) -> None:
    for address in FILES:
        # Not even a bearer token opens a page's download: the web door takes its cookie
        for headers in ({}, auth("staff")):
            response = client.get(address, headers=headers, follow_redirects=False)
            assert response.status_code == 303, address
            assert response.headers["location"] == "/web/login"


def test_staff_of_another_office_are_refused_and_an_auditor_may_read(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["other_staff"])
    for address in FILES:
        refused = client.get(address)
        assert refused.status_code == 403, address
        assert refused.headers["content-type"].startswith("text/html")
        assert "0000000001" not in refused.text
    _sign_in(client, tokens["auditor"])
    for address in FILES:
        assert client.get(address).status_code == 200, address
    # The other staff's own office is theirs to download
    _sign_in(client, tokens["other_staff"])
    own = client.get(f"/web/offices/{OTHER_OFFICE}/billing.csv?month=2024-11")
    assert own.status_code == 200 and len(_csv(own)) == 1  # the header only


def test_each_download_is_logged_as_a_read_of_the_cases_it_lists(
    client: TestClient, tokens: dict[str, str], office: dict[str, str], cases: CaseLog
) -> None:
    _sign_in(client, tokens["auditor"])
    for address in FILES:
        assert client.get(address).status_code == 200
    logged = [(e["endpoint"], e["principal_name"])
              for e in access_entries(cases, UUID(office["zeros"]))]  # fmt: skip
    for endpoint in ("billing.csv", "billing.xlsx", "retention.csv", "retention.xlsx"):
        assert (f"web:{endpoint}", NAMES["auditor"]) in logged


def test_a_download_of_another_kind_or_an_unreadable_month_is_refused(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    assert client.get(f"{BILLING}.pdf?month=2024-11").status_code == 404
    bad = client.get(f"{BILLING}.csv?month=2024-13")
    assert bad.status_code == 422 and "対象月を読み取れません" in bad.text
    assert client.get(f"{RETENTION}.xlsx?fiscal_year=1999").status_code == 422


def test_the_pages_link_their_own_downloads_not_the_api(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    _sign_in(client, tokens["staff"])
    billing = client.get(BILLING, params={"month": "2024-11"}).text
    retention = client.get(RETENTION, params={"fiscal_year": "2025"}).text
    assert f'href="{BILLING}.csv?month=2024-11"' in billing
    assert f'href="{BILLING}.xlsx?month=2024-11"' in billing
    assert f'href="{RETENTION}.csv?fiscal_year=2025"' in retention
    assert f'href="{RETENTION}.xlsx?fiscal_year=2025"' in retention
    for page in (billing, retention):
        assert "format=csv" not in page and f'href="/offices/{OFFICE}' not in page


def test_the_billing_page_sums_up_persons_verdicts_and_reasons(
    client: TestClient, tokens: dict[str, str], office: dict[str, str], clock: Clock
) -> None:
    _sign_in(client, tokens["staff"])
    # 2024-11: both persons without a face-to-face contact → 2 unbillable, MON-2 twice
    november = client.get(BILLING, params={"month": "2024-11"}).text
    totals = _totals(november)
    assert totals == {"人数": "2 人", "請求可": "0 件", "請求不可": "2 件", "今月まだ": "0 件"}
    counts = _reason_counts(november)
    assert counts["MON-2"] == ("2", "0")
    # 2024-10 was billable for both
    assert _totals(client.get(BILLING, params={"month": "2024-10"}).text)["請求可"] == "2 件"
    # The month in progress (the clock's June 2025) is counted apart, not unbillable
    june = client.get(BILLING, params={"month": "2025-06"}).text
    assert _totals(june)["今月まだ"] == "2 件" and _totals(june)["請求不可"] == "0 件"
    assert _reason_counts(june)["MON-2"] == ("0", "2")


def _totals(page: str) -> dict[str, str]:
    block = page[page.index('<dl class="totals">') : page.index("</dl>")]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", block))


def _reason_counts(page: str) -> dict[str, tuple[str, str]]:
    block = page[page.index('<table class="reason-counts">') :]
    block = block[: block.index("</table>")]
    cells = r"</span></th>\s*<td>[^<]*</td><td>(\d+)</td><td>(\d+)</td>"
    found = re.findall(r'<span class="rule">([A-Z]+-\d)[^<]*' + cells, block)
    return {rule: (ng, pending) for rule, ng, pending in found}


def test_the_retention_page_offers_the_years_with_data_and_the_current_one(
    client: TestClient, tokens: dict[str, str], office: dict[str, str], clock: Clock
) -> None:
    # Given support from 2024-10-01 to the decision's end 2025-09-30 (fiscal 2024 and 2025),
    # read in June 2027 (fiscal 2027)
    clock.set("2027-06-01T10:00:00+09:00")
    _sign_in(client, tokens["staff"])
    page = client.get(RETENTION).text
    # Then the years whose rate counts them (2025..2027, none later than now) are offered,
    # the current one chosen
    options = re.findall(r'<option value="(\d{4})" ?(selected)?>', page)
    assert options == [("2027", "selected"), ("2026", ""), ("2025", "")]
    # And another year is read by choosing it
    chosen = client.get(RETENTION, params={"fiscal_year": "2025"}).text
    assert '<option value="2025" selected>' in chosen and "2 / 2 人" in chosen


def test_every_office_page_leads_back_to_the_dashboard(
    client: TestClient, tokens: dict[str, str], office: dict[str, str]
) -> None:
    for who, back in (("staff", "/web/"), ("auditor", f"/web/?office_id={OFFICE}")):
        _sign_in(client, tokens[who])
        for page in ("due", "billing", "retention"):
            shown = client.get(f"/web/offices/{OFFICE}/{page}").text
            assert f'<a class="back" href="{back}">← 事業所のケース一覧に戻る</a>' in shown
            assert 'aria-current="page"' in shown
