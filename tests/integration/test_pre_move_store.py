"""A store written before issue 19's move is read by today's code, whole and unchanged.

Stored events name their class by topic (``module:Class.Event``); the move changed the
modules of the token, idempotency and web-session aggregates, so their old topics are
registered on the moved classes (docs/decisions/0001). ``tests/fixtures/pre_move.db`` was
written by the code before the move (``tests/fixtures/make_pre_move_store.py``): one
case opened and hired through the API (the hire with an Idempotency-Key), a staff token
and a revoked auditor token, a failed and a successful web sign-in, a read and a list.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli.main import main
from api.settings import Settings
from api.web.session import WebSession, _session_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MADE = json.loads((FIXTURES / "pre_move.json").read_text())
HIRE = {"type": "hired", "employer": {"name": "株式会社みほん(架空)"}, "hired_on": "2024-04-01"}


@pytest.fixture
def store(tmp_path: Path) -> str:
    path = tmp_path / "pre_move.db"
    shutil.copy(FIXTURES / "pre_move.db", path)  # the fixture itself is never written
    return f"sqlite:///{path}"


@pytest.fixture
def app(store: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=store, follow_views=False))
    yield app
    app.state.cases.close()


def test_every_old_topic_is_stored_in_the_fixture(store: str) -> None:
    import sqlite3

    with sqlite3.connect(store.removeprefix("sqlite:///")) as db:
        topics = {row[0] for row in db.execute("SELECT topic FROM stored_events")}
    assert {
        "api.auth:AccessToken.Issued", "api.auth:AccessToken.Revoked",
        "api.idempotency:IdempotencyRecord.Stored", "api.web_session:WebSession.Started",
        "api.web_session:SignInFailures.Started", "api.web_session:SignInFailures.Failed",
    } <= topics  # fmt: skip


def test_a_token_issued_before_the_move_still_signs_in(app: FastAPI) -> None:
    headers = {"Authorization": f"Bearer {MADE['staff_token']}"}
    with TestClient(app) as client:
        answer = client.get(f"/cases/{MADE['case_id']}/entitlement", headers=headers)
    assert answer.status_code == 200
    assert answer.json()["status"] != "not_employed"  # the hire, stored before the move


def test_token_list_shows_old_tokens_and_their_revocation(app: FastAPI) -> None:
    listed = {t.name: t for t in app.state.tokens.list()}
    assert set(listed) == {"支援員 移行前", "監査員 取消済"}
    assert str(listed["監査員 取消済"].id) == MADE["revoked_id"]
    assert listed["監査員 取消済"].revoked_at is not None
    assert listed["支援員 移行前"].revoked_at is None


def test_an_idempotency_key_used_before_the_move_replays_and_stores_nothing(
    app: FastAPI,
) -> None:
    headers = {"Authorization": f"Bearer {MADE['staff_token']}", "Idempotency-Key": "pre-move-hire"}
    with TestClient(app) as client:  # (the app closes its store when the client ends)
        again = client.post(f"/cases/{MADE['case_id']}/events", json=HIRE, headers=headers)
        stored = app.state.cases.stored_records(UUID(MADE["case_id"]))
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == MADE["hire"]
    assert len(stored) == 2


def test_a_web_session_and_sign_in_failures_from_before_the_move_load_and_go_on(
    app: FastAPI,
) -> None:
    session = app.state.cases.repository.get(_session_id(MADE["session"]))
    assert isinstance(session, WebSession)  # the old topic resolves to the moved class
    app.state.web_sign_in.sign_out(MADE["session"])  # appends to the old aggregate
    assert app.state.cases.repository.get(session.id).ended
    with TestClient(app) as client:  # the same wrong token: its failure counter goes on
        answer = client.post("/web/login", data={"token": "wrong-token-value"})
    assert answer.status_code == 401


def test_the_old_store_verifies(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--database", store]) == 0
    assert f"{MADE['case_id']} OK" in capsys.readouterr().out
