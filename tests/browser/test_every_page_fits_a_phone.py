"""Every staff page fits a 390 px phone (issue 20): none is wider than the screen.

The faults were found page by page (billing 666 px, report 631 px); the class is "a
page wider than the phone", so every page a staff member or an auditor opens is walked
here, signed in as they would be.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.accounts import account_id
from tests.browser.conftest import Site

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _pages(site: Site) -> list[tuple[str, str]]:
    case = site.demo.cases["in_support_year3"]
    office = site.demo.office_id
    month = f"{site.demo.today:%Y-%m}"
    as_of = f"{site.demo.today.isoformat()}T00:00%2B09:00"
    return [
        ("staff", "/web/"),
        ("staff", "/web/cases/new"),
        ("staff", f"/web/cases/{case}"),
        ("staff", f"/web/cases/{case}?type=case_meeting_held#record-h"),
        ("staff", f"/web/cases/{case}/report?month={month}"),
        ("staff", f"/web/offices/{office}/due"),
        ("staff", f"/web/offices/{office}/billing"),
        ("staff", f"/web/offices/{office}/retention"),
        ("staff", f"/web/offices/{office}/claim?month={month}"),  # issue 22: the claim
        ("staff", f"/web/offices/{office}/setup"),
        ("staff", f"/web/cases/{case}/record-sheet?month={month}"),
        ("staff", f"/web/offices/{office}/claim/compare?from={month}&to={month}&schedule=R6"),
        ("auditor", f"/web/offices/{office}/claim?month={month}&as_of={as_of}"),
        ("auditor", f"/web/offices/{office}/setup?as_of={as_of}"),
        ("admin", f"/web/offices/{office}/setup"),  # the forms an administrator records with
        ("auditor", "/web/"),
        ("auditor", f"/web/cases/{case}?as_of={as_of}"),
        ("auditor", f"/web/cases/{case}/dispute?as_of={as_of}&on={site.demo.today}"),
        ("auditor", f"/web/cases/{case}/audit"),  # issue 21: an auditor's pages
        ("auditor", f"/web/cases/{case}/access-log"),
        ("auditor", f"/web/offices/{office}/due?as_of={as_of}&on={site.demo.today}"),
        ("auditor", f"/web/offices/{office}/billing?month={month}&as_of={as_of}"),
        ("auditor", f"/web/offices/{office}/retention?as_of={as_of}"),
        ("staff", "/web/account"),  # issue 21: each account holder's own pages
        ("staff", "/web/account/password"),
        ("staff", "/web/account/totp"),
        ("auditor", "/web/account"),
        ("admin", "/web/admin/accounts"),  # issue 21: the administrator's pages
        ("admin", "/web/admin/tokens"),
        # an account's history: its reads come from the access table (decision 0052)
        ("admin", f"/web/admin/accounts/{account_id(site.demo.accounts['staff'][0])}"),
    ]


@pytest.mark.parametrize("role", ["staff", "auditor", "admin"])
def test_no_staff_or_auditor_page_is_wider_than_a_390_px_phone(
    site: Site, browser: Any, role: str
) -> None:
    context = browser.new_context(locale="ja-JP", **PHONE)
    page = context.new_page()
    page.goto(f"{site.url}/web/login")
    login, password = site.demo.accounts[role]  # signed in as a person (issue 21)
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="事業所のケース").wait_for()
    too_wide = {}
    for who, path in _pages(site):
        if who != role:
            continue
        response = page.goto(f"{site.url}{path}")
        assert response is not None and response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    context.close()
    assert too_wide == {}
