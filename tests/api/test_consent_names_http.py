"""An employer visit to 「…人事課 田中様」 under a consent naming 「…人事課 田中」 is no consent
problem on the staff pages (issue 20, decision 0033); a different party still is."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from domain.rules.con import INFORMATION_CATEGORIES_JA
from tests.api.test_web import _csrf, _sign_in

SHOP = "株式会社みほん商事(架空)"
TANAKA = f"{SHOP} 人事課 田中"


def _visit(client: TestClient, case_id: str, party: str, on: str) -> None:
    page = client.get(f"/web/cases/{case_id}", params={"type": "contact_recorded"}).text
    form = {"csrf": _csrf(page), "type": "contact_recorded", "contact_on": on,
            "counterpart": "employer", "mode": "face_to_face", "party": party,
            "information_shared.pick.1": "就労状況", "summary": "職場訪問"}  # fmt: skip
    sent = client.post(f"/web/cases/{case_id}/events", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text


def _dashboard_row(client: TestClient, case_id: str) -> str:
    page = client.get("/web/").text
    row = page[page.index(f"/web/cases/{case_id}") :]
    return row[: row.index("</tr>")]


def test_an_employer_visit_to_tanaka_sama_is_no_consent_problem_on_the_pages(
    client: TestClient,
    tokens: dict[str, str],
    open_case: Callable[..., str],
    post_event: Callable[..., httpx.Response],
) -> None:
    # Given a case hired at the shop, in support, with a written consent naming 田中 there
    case_id = open_case("2024-03-01")
    for kind, body in (
        ("hired", {"hired_on": "2024-04-01", "employer": {"name": SHOP}}),
        ("contract_signed", {"signed_on": "2024-09-20", "support_from": "2024-10-01"}),
        ("decision_granted", {"decided_on": "2024-09-25", "valid_from": "2024-10-01",
                              "valid_to": "2025-09-30"}),
        ("consent_given", {"consent_id": "C-1", "given_on": "2025-05-01", "written": True,
                           "parties": [TANAKA], "information": ["就労状況"]}),
    ):  # fmt: skip
        assert post_event(case_id, kind, **body).status_code == 201
    _sign_in(client, tokens["staff"])
    # The contact form offers the consent's party, and the fixed kinds of information
    form = client.get(f"/web/cases/{case_id}", params={"type": "contact_recorded"}).text
    assert f'<option value="{TANAKA}"></option>' in form
    for kind in INFORMATION_CATEGORIES_JA:
        assert f'type="checkbox" value="{kind}"' in form

    # When an employer visit is recorded with 「…田中様」 typed in
    _visit(client, case_id, f"{TANAKA}様", "2025-05-20")

    # Then neither the case page nor the dashboard shows a consent problem
    assert "同意の問題" not in client.get(f"/web/cases/{case_id}").text
    assert "件の問題" not in _dashboard_row(client, case_id)

    # And a visit to someone the consent does not name still is one, on both pages
    _visit(client, case_id, f"{SHOP} 営業部 佐藤様", "2025-05-21")
    case_page = client.get(f"/web/cases/{case_id}").text
    assert "同意の問題" in case_page
    assert f"最も近い同意C-1の提供先は「{TANAKA}」で" not in case_page  # one consent only
    assert f"同意C-1の提供先は「{TANAKA}」で、「{SHOP} 営業部 佐藤様」を含みません" in case_page
    assert "1 件の問題" in _dashboard_row(client, case_id)
