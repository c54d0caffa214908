"""One vocabulary for a month (issue 20): the words and the five pages that say them.

The unit tests read :func:`api.web.month_words.month_words` alone; the HTTP test opens the
list, the case page, the report page, the due list and the billing check for one case and
one month and finds the identical words on each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.web.month_words import billing_words, month_words
from tests.api.test_offices import _supported_case
from tests.api.test_web import _sign_in
from tests.factories import OFFICE

Auth = Callable[[str], dict[str, str]]
TODAY = dt.date(2025, 6, 5)  # 26 days left in June, the day itself counted
MON2 = {"rule": "MON-2", "text_ja": "2025-05は本人との対面支援の記録がないため…"}
MON4 = {"rule": "MON-4", "text_ja": "2025-05分の支援レポートを…共有した記録がないため…"}


def _month(month: str, f2f: int, shared: bool, billable: bool, *reasons: Any) -> dict[str, Any]:
    return {"month": month, "face_to_face": f2f, "report_shared": shared,
            "billable": billable, "reasons": list(reasons)}  # fmt: skip


def test_a_billable_month_reads_seikyuka_without_reasons() -> None:
    words = month_words(_month("2025-05", 1, True, True), TODAY)
    assert (words.state, words.text, words.reasons, words.sentence) == (
        "billable",
        "請求可",
        (),
        "",
    )


def test_the_month_in_progress_without_anything_says_both_and_the_days_left() -> None:
    words = month_words(_month("2025-06", 0, False, False, MON2, MON4), TODAY)
    assert words.state == "in_progress"
    assert words.text == "今月まだ: 対面支援・支援レポート(残り26日)"
    assert words.sentence == "対面支援と支援レポートがまだです"


def test_after_the_face_to_face_the_month_in_progress_names_only_the_report() -> None:
    words = month_words(_month("2025-06", 1, False, False, MON4), TODAY)
    assert words.text == "今月まだ: 支援レポート(残り26日)"
    assert words.sentence == "支援レポートがまだです"


def test_an_ended_unbillable_month_reads_seikyufuka_with_every_reason_and_rule() -> None:
    words = month_words(_month("2025-05", 0, False, False, MON2, MON4), TODAY)
    assert (words.state, words.text, words.days_left) == ("unbillable", "請求不可", None)
    assert words.reasons == (("MON-2", MON2["text_ja"]), ("MON-4", MON4["text_ja"]))


def test_a_billing_line_reads_as_its_verdict() -> None:
    line = {**_month("2025-06", 1, False, False, MON4), "verdict": "in_progress"}
    del line["billable"]
    assert billing_words(line, TODAY).text == "今月まだ: 支援レポート(残り26日)"


# -- the five pages --------------------------------------------------------------------

_WORDS = re.compile(r'data-month-words="(\w+)"[^>]*>([^<]+)<')


def _after(page: str, marker: str) -> str:
    assert marker in page, marker
    return page[page.index(marker) :]


def _five_pages(client: TestClient, case_id: str, month: str) -> dict[str, tuple[str, str]]:
    """The first month words on each page, for ``case_id`` and ``month``."""
    pages = {
        "list": _after(client.get("/web/").text, f'href="/web/cases/{case_id}#months-h"'),
        "case": _after(client.get(f"/web/cases/{case_id}").text, f'data-month="{month}"'),
        "report": client.get(f"/web/cases/{case_id}/report", params={"month": month}).text,
        "due": _after(client.get(f"/web/offices/{OFFICE}/due").text, f"{month}: <span"),
        "billing": client.get(f"/web/offices/{OFFICE}/billing", params={"month": month}).text,
    }
    found = {name: _WORDS.search(page) for name, page in pages.items()}
    return {name: m.groups() if m else ("", "") for name, m in found.items()}  # type: ignore[misc]


def test_one_case_and_month_read_the_same_on_the_five_pages(
    client: TestClient, tokens: dict[str, str], auth: Auth, open_case: Callable[..., str],
    post_event: Callable[..., httpx.Response],
) -> None:  # fmt: skip
    # Given a case in support since 2024-10, read on 2025-06-02 (29 days left in June)
    case_id = _supported_case(client, auth, open_case)
    _sign_in(client, tokens["staff"])
    # When June has neither a face-to-face nor a shared report, all five say both
    both = ("in_progress", "今月まだ: 対面支援・支援レポート(残り29日)")
    assert set(_five_pages(client, case_id, "2025-06").values()) == {both}
    # When the face-to-face is recorded, all five name only the report ...
    assert post_event(case_id, "contact_recorded", contact_on="2025-06-02",
                      counterpart="person", mode="face_to_face").status_code == 201  # fmt: skip
    report = ("in_progress", "今月まだ: 支援レポート(残り29日)")
    assert set(_five_pages(client, case_id, "2025-06").values()) == {report}
    # ... and the case page says so in a sentence
    assert "支援レポートがまだです" in client.get(f"/web/cases/{case_id}").text
    # When the report is shared with the person, all five say 請求可
    assert post_event(case_id, "support_report_shared", month="2025-06", shared_on="2025-06-02",
                      shared_with=["本人"]).status_code == 201  # fmt: skip
    assert set(_five_pages(client, case_id, "2025-06").values()) == {("billable", "請求可")}


def test_an_ended_unbillable_month_reads_the_same_with_its_reasons_and_rule_ids(
    client: TestClient, tokens: dict[str, str], auth: Auth, open_case: Callable[..., str],
) -> None:  # fmt: skip
    # Given May 2025 ended with no contact and no report (read on 2025-06-02)
    case_id = _supported_case(client, auth, open_case)
    _sign_in(client, tokens["staff"])
    pages = _five_pages(client, case_id, "2025-05")
    # Then the pages that show an ended month say 請求不可; the list shows only this
    # month, in progress (decision 0028), and never a red 請求不可
    assert pages.pop("list")[0] == "in_progress"
    assert set(pages.values()) == {("unbillable", "請求不可")}
    # And each gives every reason with its rule id where a staff member asks "why"
    for url in (f"/web/cases/{case_id}/report?month=2025-05", f"/web/offices/{OFFICE}/due"):
        page = client.get(url).text
        assert '<small class="rule-id">MON-2</small>' in page, url
        assert '<small class="rule-id">MON-4</small>' in page, url
    case_page = _after(client.get(f"/web/cases/{case_id}").text, 'id="why-2025-05"')
    assert "MON-2" in case_page[:600] and "MON-4" in case_page[:1200]
