"""The month's claim on the staff pages (issue 22): the office's 体制 page (administrators
record, everyone else reads), the month's claim, a person's 実績記録票 with its files, and
the comparison of versions — the API's numbers, in Japanese, with the rule ids."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.app import create_app
from api.http.access_log import access_entries
from api.settings import Settings
from domain.office import office_aggregate_id
from domain.store.application import CaseLog
from tests.api.conftest import OFFICE, OTHER_OFFICE, Clock
from tests.api.test_claim_http import DRAFT, _open, setup_office
from tests.api.test_offices import _supported_case
from tests.api.test_web import _csrf, _sign_in

Auth = Callable[[str], dict[str, str]]
SETUP = f"/web/offices/{OFFICE}/setup"
CLAIM = f"/web/offices/{OFFICE}/claim"


def _once(page: str) -> str:
    found = re.search(r'name="once" value="([A-Za-z0-9_-]+)"', page)
    assert found, "the form carries a one-time key"
    return found.group(1)


def _office_events(cases: CaseLog) -> int:
    return len(cases.repository.get(office_aggregate_id(OFFICE)).records)


def _post(client: TestClient, page: str, **fields: str) -> httpx.Response:
    form = {"csrf": _csrf(page), "once": _once(page), **fields}
    return client.post(SETUP, data=form, follow_redirects=False)


@pytest.fixture
def admin(client: TestClient, tokens: dict[str, str]) -> TestClient:
    _sign_in(client, tokens["admin"])
    return client


def test_an_administrator_records_the_office_through_the_page(
    admin: TestClient, auth: Auth, cases: CaseLog
) -> None:
    page = admin.get(SETUP).text
    assert "まだ記録されていません" in page and 'value="office_registered"' in page
    assert 'value="tier_notified"' not in page  # registration comes first
    answer = _post(admin, page, type="office_registered", name="みどり定着支援",
                   designated_on="平成31年4月1日")  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"].endswith("saved=1#recorded")
    page = admin.get(SETUP).text
    answer = _post(admin, page, type="tier_notified", fiscal_year="2024", tier_percent="90",
                   notified_on="R6.4.1")  # fmt: skip
    assert answer.status_code == 303
    page = admin.get(SETUP).text
    answer = _post(admin, page, type="addon_notified", addon="treatment", level="I",
                   from_month="2024年6月", notified_on="2024/5/15")  # fmt: skip
    assert answer.status_code == 303
    setup = admin.get(f"/offices/{OFFICE}/setup", headers=auth("admin")).json()
    assert (setup["name"], setup["designated_on"]) == ("みどり定着支援", "2019-04-01")
    tier = next(f for f in setup["facts"] if f["type"] == "tier_notified")["payload"]
    assert tier == {"fiscal_year": 2024, "tier_percent": 90, "notified_on": "2024-04-01"}
    addon = next(f for f in setup["facts"] if f["type"] == "addon_notified")["payload"]
    assert addon["from_month"] == "2024-06" and addon["level"] == "I"
    shown = admin.get(SETUP).text
    assert "みどり定着支援" in shown and "2024年度: 90%以上" in shown
    assert "福祉・介護職員等処遇改善加算(FEE-8)(Ⅰ): 2024-06 から 継続" in shown
    assert _office_events(cases) == 3


def test_bad_input_is_shown_beside_each_input_and_nothing_is_stored(
    admin: TestClient, cases: CaseLog
) -> None:
    _post(admin, admin.get(SETUP).text, type="office_registered", name="み",
          designated_on="2019-04-01")  # fmt: skip
    page = admin.get(SETUP).text
    answer = _post(admin, page, type="tier_notified", fiscal_year="二千", tier_percent="85",
                   notified_on="2024-13-40")  # fmt: skip
    assert answer.status_code == 422
    text = answer.text
    for name in ("fiscal_year", "tier_percent", "notified_on"):
        assert f'id="f-tier_notified-{name}-err"' in text, name
    assert "半角の数字で入力してください" in text and "日付として読めません" in text
    assert "選択肢にない値です" in text and 'value="2024-13-40"' in text  # typed text kept
    future = _post(admin, page, type="addon_notified", addon="job_coach", from_month="2024-04",
                   notified_on="2099-01-01")  # fmt: skip
    assert future.status_code == 422 and "未来の日付" in future.text
    assert _office_events(cases) == 1


def test_a_form_sent_twice_records_once(admin: TestClient, cases: CaseLog) -> None:
    page = admin.get(SETUP).text
    form = {"csrf": _csrf(page), "once": _once(page), "type": "office_registered",
            "name": "一度だけ", "designated_on": "2019-04-01"}  # fmt: skip
    first = admin.post(SETUP, data=form, follow_redirects=False)
    again = admin.post(SETUP, data=form, follow_redirects=False)
    assert "saved=1" in first.headers["location"] and "already=1" in again.headers["location"]
    assert _office_events(cases) == 1
    assert "すでに記録されています" in admin.get(again.headers["location"]).text


def test_corrections_and_retractions_need_a_reason_and_keep_the_history(
    admin: TestClient, auth: Auth, cases: CaseLog
) -> None:
    setup_office(admin, auth, tier=70)  # version 1 registration, version 2 the 2024 tier
    page = admin.get(SETUP + "?correct=2").text
    assert 'name="action" value="correct"' in page and 'value="2024"' in page
    no_reason = _post(admin, page, action="correct", target_version="2", fiscal_year="2024",
                      tier_percent="80", notified_on="2024-04-01")  # fmt: skip
    assert no_reason.status_code == 422 and "理由を入力" in no_reason.text
    fixed = _post(admin, page, action="correct", target_version="2", fiscal_year="2024",
                  tier_percent="80", notified_on="2024-04-01",
                  reason="届出の控えと照合")  # fmt: skip
    assert fixed.status_code == 303
    events = admin.get(f"/offices/{OFFICE}/events", headers=auth("staff")).json()["events"]
    assert events[-1]["type"] == "event_corrected"
    assert events[-1]["payload"]["reason"] == "届出の控えと照合"
    shown = admin.get(SETUP).text
    assert "2024年度: 80%以上" in shown and "版 2・3(訂正あり)" in shown
    gone = _post(admin, shown, action="retract", target_version="2", reason="重複の届出")
    assert gone.status_code == 303
    after = admin.get(SETUP).text
    assert "2024年度: 80%以上" not in after and "版 2: 重複の届出" in after
    assert _office_events(cases) == 4


def test_staff_and_auditors_read_the_setup_without_forms_and_cannot_post(
    client: TestClient, tokens: dict[str, str], auth: Auth, cases: CaseLog
) -> None:
    setup_office(client, auth)
    for who in ("staff", "auditor"):
        _sign_in(client, tokens[who])
        page = client.get(SETUP)
        assert page.status_code == 200 and "2024年度" in page.text
        assert 'method="post" action="/web/offices' not in page.text
        refused = client.post(
            SETUP,
            data={
                "type": "tier_notified",
                "fiscal_year": "2025",
                "tier_percent": "95",
                "notified_on": "2025-04-01",
            },
        )
        assert refused.status_code == 403 and "管理者だけ" in refused.text
    _sign_in(client, tokens["other_staff"])
    assert client.get(SETUP).status_code == 403
    assert _office_events(cases) == 2


@pytest.fixture
def supported(client: TestClient, auth: Auth, open_case: Callable[..., str]) -> str:
    """Support from 2024-10-01 (face to face in 2024-10, by phone in 2024-11), tier 90."""
    case_id = _supported_case(client, auth, open_case)
    setup_office(client, auth)
    return case_id


def test_the_claim_page_shows_the_api_units_with_rules_versions_and_files(
    client: TestClient, tokens: dict[str, str], auth: Auth, supported: str
) -> None:
    api = client.get(f"/offices/{OFFICE}/claim?month=2024-10", headers=auth("staff")).json()
    _sign_in(client, tokens["staff"])
    page = client.get(CLAIM + "?month=2024-10").text
    total = re.search(r"data-total-units>([0-9,]+)<", page)
    assert total and int(total.group(1).replace(",", "")) == api["total"]["units"] == 4248
    assert 'data-rule="FEE-1"' in page and 'data-rule="FEE-2"' in page
    assert "2024-04-01_R6.toml" in page and "R6-6" in page
    assert f"/web/cases/{supported}/record-sheet?month=2024-10" in page
    assert "地域区分の単価を記録すると" in page  # no unit price: units only, no yen
    november = client.get(CLAIM + "?month=2024-11").text
    assert "この月は請求できません" in november and "MON-2" in november
    assert client.get(CLAIM + "?month=2024-13").status_code == 422
    _sign_in(client, tokens["other_staff"])
    assert client.get(CLAIM + "?month=2024-10").status_code == 403


def test_the_claim_and_every_sheet_download_from_the_page_and_are_logged(
    client: TestClient, tokens: dict[str, str], supported: str, cases: CaseLog
) -> None:
    _sign_in(client, tokens["staff"])
    rows = list(csv.reader(io.StringIO(
        client.get(CLAIM + ".csv?month=2024-10").content.decode("utf-8-sig"))))  # fmt: skip
    assert rows[-1][0] == "合計" and rows[-1][rows[0].index("合計単位数")] == "4248"
    pdf = client.get(f"/web/offices/{OFFICE}/record-sheets.pdf?month=2024-10")
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1  # one person, one page: a 31-day month fits
    text = reader.pages[0].extract_text()
    assert "就労定着支援提供実績記録票" in text and "令和6年10月分" in text
    assert "事業所名" in text and "試験事業所" in text  # the office as registered
    assert client.get(f"/web/offices/{OFFICE}/record-sheets.txt?month=2024-10").status_code == 404
    sheet = client.get(f"/web/cases/{supported}/record-sheet?month=2024-10").text
    assert 'data-day="2024-10-15"' in sheet and "10月15日(火)" in sheet
    assert "合計算定日数(37)" in sheet and "2024-10-31" in sheet  # 支援レポート共有日
    # Without a month, the month before the page's day, as the office's claim page chooses
    chosen = client.get(f"/web/cases/{supported}/record-sheet?on=2024-11-05").text
    assert 'data-day="2024-10-15"' in chosen and "2024年10月" in chosen
    one = client.get(f"/web/cases/{supported}/record-sheet.csv?month=2024-10")
    assert "算定日数(45)" in one.content.decode("utf-8-sig")
    endpoints = [e["endpoint"] for e in access_entries(cases, UUID(supported))]
    assert "web:record-sheet" in endpoints and "web:record-sheet.csv" in endpoints
    _sign_in(client, tokens["other_staff"])
    assert client.get(f"/web/cases/{supported}/record-sheet?month=2024-10").status_code == 403


def test_the_compare_page_shows_a_draft_schedule_per_person_and_in_total(
    cases: CaseLog, tokens: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "r9-draft.toml").write_text(DRAFT, encoding="utf-8")
    app = create_app(Settings(database_url="sqlite:///:memory:", fee_schedule_dir=str(tmp_path)),
                     cases=cases)  # fmt: skip
    client = TestClient(app)

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    case_id = UUID(_supported_case(client, auth, lambda: _open(client, auth)))
    setup_office(client, auth)
    _sign_in(client, tokens["staff"])
    url = f"/web/offices/{OFFICE}/claim/compare?from=2024-10&to=2024-11&schedule=r9-draft.toml"
    page = client.get(url).text
    assert re.search(r"data-difference>\+552 単位<", page)
    assert "R9「令和9年度(案)」" in page and "r9-draft.toml" in page
    assert '2024-10</span> <span class="rule">FEE-1</span>' in page and "3348 → 3900" in page
    bad = client.get(url.replace("r9-draft.toml", "../etc.toml"))
    assert bad.status_code == 422 and 'id="schedule-err"' in bad.text
    too_long = client.get(url.replace("to=2024-11", "to=2027-11"))
    assert too_long.status_code == 422 and "24か月まで" in too_long.text
    assert client.get(f"/web/offices/{OTHER_OFFICE}/claim/compare").status_code == 403
    # the page's reads are logged under the page's own name, not the API's
    endpoints = {e["endpoint"] for e in access_entries(cases, case_id)}
    assert "web:claim-compare" in endpoints and "/offices/claim/compare" not in endpoints


def test_the_setup_and_the_claim_read_as_of_an_instant(
    client: TestClient, tokens: dict[str, str], auth: Auth, supported: str, clock: Clock
) -> None:
    events = client.get(f"/offices/{OFFICE}/events", headers=auth("staff")).json()["events"]
    before = events[-1]["recorded_at"]  # the 2024 tier as first notified: 90 %
    clock.set("2025-07-01T09:00:00+09:00")
    fixed = client.post(
        f"/offices/{OFFICE}/events",
        headers=auth("admin"),
        json={
            "type": "event_corrected",
            "target_version": 2,
            "reason": "控えと照合",
            "replacement": {"fiscal_year": 2024, "tier_percent": 70, "notified_on": "2024-04-01"},
        },
    )
    assert fixed.status_code == 201, fixed.text
    _sign_in(client, tokens["auditor"])
    at = "as_of=" + quote(before)
    assert "2024年度: 70%以上" in client.get(SETUP).text
    then = client.get(f"{SETUP}?{at}").text
    assert "2024年度: 90%以上" in then and "時点で記録されていた内容" in then
    now_total = re.search(r"data-total-units>([0-9,]+)<", client.get(CLAIM + "?month=2024-10").text)
    then_page = client.get(f"{CLAIM}?month=2024-10&{at}").text
    then_total = re.search(r"data-total-units>([0-9,]+)<", then_page)
    assert now_total and then_total and then_total.group(1) == "4,248"  # FEE-1 at 90 %: 3348
    assert now_total.group(1) == f"{2234 + 900:,}"  # at 70 %: 2234, and 初期加算 900
    assert "record-sheets.pdf?month=2024-10&amp;as_of=" in then_page  # the files: as shown
