"""Issue 20: staff pages and the copy handed out speak the staff's words.

No content hash, no version numbers and no rule ids in the report page a staff member
reads, nor in the PDF handed to the person and the employer; the auditor's view and the
office's copy (事業所控え) keep the hash; the record form asks for no hash; no doubled ⚠.
"""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.api.test_support_report_http import MONTH, Post, _csrf, _sign_in
from tests.api.test_support_report_http import supported as supported  # the fixture
from tests.factories import OFFICE

HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
RULE_ID = re.compile(r"\b(?:ELIG|PER|MON|CON|PLAN|JOB|CAL|RATE|FEE|EVID)-\d+\b")
SMALL_RULE = re.compile(r'<small class="rule-id">[^<]*</small>')


def _words(html: str) -> str:
    """What a reader sees: rule ids in small type (a "why") and the markup taken out (the
    form's hidden once/csrf keys are hex too, never shown)."""
    return re.sub(r"<[^>]+>", "", SMALL_RULE.sub("", html))


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_staff_report_page_shows_no_hash_and_rule_ids_only_in_small_type(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}/report?month={MONTH}").text
    assert not HEX64.search(_words(page)) and "SHA-256" not in page
    assert not RULE_ID.search(_words(page))  # a "why" keeps its id, in small type
    assert '<small class="rule-id">CON-1</small>' in page
    assert "事業所控え(ハッシュ付き)PDF" in page


def test_staff_pdf_and_print_for_the_person_carry_no_hash_or_rule_ids(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    form = {"csrf": _csrf(client.get(f"/web/cases/{supported}/report?month={MONTH}").text),
            "month": MONTH}  # fmt: skip
    text = _pdf_text(client.post(f"/web/cases/{supported}/report.pdf", data=form).content)
    flat = text.replace("\n", "")
    assert "2025年5月分" in flat and "試験 花子" in flat
    assert not HEX64.search(flat) and not RULE_ID.search(flat) and "SHA" not in flat
    printed = client.post(f"/web/cases/{supported}/report/print", data=form).text
    assert not HEX64.search(_words(printed)) and not RULE_ID.search(_words(printed))


def test_the_office_copy_and_the_auditor_keep_the_hash(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    form = {"csrf": _csrf(client.get(f"/web/cases/{supported}/report?month={MONTH}").text),
            "month": MONTH, "copy": "office"}  # fmt: skip
    flat = _pdf_text(client.post(f"/web/cases/{supported}/report.pdf", data=form).content)
    flat = flat.replace("\n", "")
    assert HEX64.search(flat) and "事業所控え" in flat and "MON-1" in flat
    printed = client.post(f"/web/cases/{supported}/report/print", data=form).text
    assert HEX64.search(_words(printed)) and "事業所控え" in printed
    _sign_in(client, tokens["auditor"])
    audited = client.get(f"/web/cases/{supported}/report?month={MONTH}").text
    assert HEX64.search(_words(audited))


def test_the_record_form_asks_for_no_hash(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}?type=support_report_shared").text
    assert "ハッシュ" not in page
    assert 'name="report_sha256" type="text"' not in page


def test_the_case_page_offers_a_jump_to_the_record_form(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}").text
    jump = page.index('class="jump-record" href="#record-h"')
    assert jump < page.index('id="period"') and 'id="record-h"' in page


def test_no_doubled_warning_mark_on_the_office_pages(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    for page in ("retention", "billing", "due"):
        response = client.get(f"/web/offices/{OFFICE}/{page}")
        assert response.status_code == 200, page
        text = re.sub(r"<[^>]+>", "", response.text)
        assert not re.search(r"⚠\s*⚠", text), page


def test_the_retention_page_shows_version_numbers_to_auditors_only(
    client: TestClient, tokens: dict[str, str], supported: str
) -> None:
    _sign_in(client, tokens["staff"])
    assert "版番号" not in client.get(f"/web/offices/{OFFICE}/retention").text
    _sign_in(client, tokens["auditor"])
    assert "版番号" in client.get(f"/web/offices/{OFFICE}/retention").text


def test_a_recorded_sharing_shows_no_hash_on_the_staff_case_page(
    client: TestClient, tokens: dict[str, str], supported: str, post_event: Post
) -> None:
    post_event(supported, "support_report_shared", month=MONTH, shared_on="2025-06-01",
               shared_with=["本人"], report_sha256="a" * 64)  # fmt: skip
    _sign_in(client, tokens["staff"])
    page = client.get(f"/web/cases/{supported}").text
    assert "本人" in page and not HEX64.search(_words(page)) and "ハッシュ" not in page
