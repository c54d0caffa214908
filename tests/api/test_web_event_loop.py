"""The web's forms do their work off the event loop.

A form's handler is ``async`` (it awaits the posted form); what it does next reads and
writes the store, and a sign-in checks a password with argon2 (~120 ms). Run on the
event loop, that held every other request of the server process until it was done.
Each handler below is held in the middle of that work until another request (``/health``)
has been answered: on the event loop it could not be, and the hold times out.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

CASE = str(uuid4())
#: (module, the function the handler hands its work to, the form's address)
FORMS = [
    ("api.web.pages", "_login", "/web/login"),
    ("api.web.pages", "_dashboard", "/web/"),
    ("api.web.pages", "_guarded", f"/web/cases/{CASE}/events"),
    ("api.web.account", "_own", "/web/account/password"),
    ("api.web.account", "_own", "/web/account/totp"),
    ("api.web.account", "_own", "/web/account/totp/remove"),
    ("api.web.account", "_own", "/web/account/tokens"),
    ("api.web.account", "_own", "/web/account/sign-out-everywhere"),
    ("api.web.admin", "_admin", "/web/admin/accounts"),
    ("api.web.admin", "_admin", "/web/admin/settings/totp"),
    ("api.web.admin", "_admin", f"/web/admin/accounts/{CASE}/disable"),
    ("api.web.admin", "_admin", f"/web/admin/tokens/{CASE}/revoke"),
    ("api.web.new_case", "_guarded", "/web/cases/new"),
    ("api.web.office_setup", "_guarded", "/web/offices/1310100001/setup"),
    ("api.web.report", "_guarded", f"/web/cases/{CASE}/report"),
    ("api.web.report", "_guarded", f"/web/cases/{CASE}/report/print"),
    ("api.web.report", "_guarded", f"/web/cases/{CASE}/report.pdf"),
]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """One event loop for every request, as a server has (a TestClient outside ``with``
    gives each request a loop of its own, and nothing could hold another)."""
    with TestClient(app) as shared:
        yield shared


@pytest.mark.parametrize(("module", "name", "path"), FORMS)
def test_a_form_s_work_leaves_the_event_loop_free_for_other_requests(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, module: str, name: str, path: str
) -> None:
    started, answered = threading.Event(), threading.Event()
    held: list[bool] = []
    real = getattr(importlib.import_module(module), name)

    def holding(*args: Any, **kwargs: Any) -> Any:
        started.set()
        held.append(answered.wait(3))  # until /health was answered meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(importlib.import_module(module), name, holding)
    posted: list[int] = []
    form = threading.Thread(
        target=lambda: posted.append(client.post(path, data={"q": "x"}).status_code)
    )
    form.start()
    try:
        assert started.wait(10), "the form's handler was not reached"
        assert client.get("/health").status_code == 200
        answered.set()
    finally:
        answered.set()
        form.join(30)
    assert held == [True]  # the form was still being worked on when /health answered
    assert posted and posted[0] < 500
