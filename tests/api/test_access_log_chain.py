"""The access log's hash chain, as an auditor sees it (decision 0052): the page and
``GET /cases/{id}/access-log`` say 検証済み, and name the entry once a row is altered in
the database behind the application's back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.test_web import _sign_in

# The case in an SQLite file, so a test can alter a stored row (fixtures shared with the
# auditor's pages).
from tests.api.test_web_audit import cases, db_file  # noqa: F401


def test_the_access_log_says_verified_then_names_the_altered_entry(
    client: TestClient, tokens: dict[str, str], case_id: str, db_file: Path,  # noqa: F811
    auth: Callable[[str], dict[str, str]],
) -> None:  # fmt: skip
    for _ in range(3):
        assert client.get(f"/cases/{case_id}/entitlement", headers=auth("staff")).status_code == 200
    answer = client.get(f"/cases/{case_id}/access-log", headers=auth("auditor")).json()
    assert answer["chain"] == {"verified": True, "breaks": []}
    _sign_in(client, tokens["auditor"])
    page = client.get(f"/web/cases/{case_id}/access-log").text
    assert 'data-verified="yes"' in page and "検証済み" in page

    with sqlite3.connect(db_file) as conn:  # someone with database access edits a read
        conn.execute("UPDATE teichaku_access SET principal_name = '別人' "
                     "WHERE stream = ? AND seq = 2", (case_id,))  # fmt: skip

    answer = client.get(f"/cases/{case_id}/access-log", headers=auth("auditor")).json()
    assert answer["chain"]["verified"] is False
    assert [b["seq"] for b in answer["chain"]["breaks"]] == [2]
    page = client.get(f"/web/cases/{case_id}/access-log").text
    assert 'data-verified="no"' in page and "第2件" in page and "改ざんの疑い" in page
