"""The ``teichaku`` command line: tokens, the demo office, the database it picks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli.common import open_app
from api.cli.main import main
from api.settings import DEFAULT_DATABASE


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_token_create_prints_one_line_whose_token_authenticates(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["token", "create", "--role", "staff", "--name", "支援員 試験",
                   "--office", "1310100001", "--database", url])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert status == 0 and len(lines) == 1
    app = open_app(url)
    principal = app.state.tokens.authenticate(lines[0])
    assert principal is not None
    assert (principal.role, principal.name, principal.office_id) == (
        "staff",
        "支援員 試験",
        "1310100001",
    )


def test_token_from_the_command_line_opens_the_api(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token", "create", "--role", "auditor", "--name", "監査員 試験", "--database", url])
    token = capsys.readouterr().out.strip()
    client = TestClient(open_app(url))
    assert client.get("/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/cases", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_staff_token_without_office_exits_non_zero_with_a_message(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "create", "--role", "staff", "--name", "支援員 試験", "--database", url])
    captured = capsys.readouterr()
    assert exit_info.value.code == 2
    assert "--office" in captured.err
    assert captured.out == ""


def test_console_module_refuses_a_staff_token_without_office(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--role", "staff", "--name", "x",
         "--database", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "staff" in done.stderr and done.stdout == ""


def test_demo_if_empty_loads_the_office_only_once(url: str, tmp_path: Path) -> None:
    tokens = tmp_path / "demo-tokens.txt"
    args = ["demo", "--if-empty", "--database", url, "--tokens-file", str(tokens)]
    assert main(args) == 0
    first = tokens.read_text(encoding="utf-8")
    count = len(open_app(url).state.cases.case_ids())
    assert main(args) == 0
    assert len(open_app(url).state.cases.case_ids()) == count >= 12
    assert tokens.read_text(encoding="utf-8") == first
    assert "STAFF_TOKEN=" in first and "ADMIN_TOKEN=" in first


def test_default_database_is_a_sqlite_file_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEICHAKU_DATABASE", raising=False)
    app = open_app(None)
    assert app.state.settings.url == DEFAULT_DATABASE == "sqlite:///var/teichaku.db"
    app.state.cases.close()
    assert (tmp_path / "var" / "teichaku.db").is_file()


def test_database_option_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TEICHAKU_DATABASE", f"sqlite:///{tmp_path / 'env.db'}")
    chosen = f"sqlite:///{tmp_path / 'sub' / 'chosen.db'}"
    main(["token", "create", "--role", "admin", "--name", "管理者 試験", "--database", chosen])
    token = capsys.readouterr().out.strip()
    assert open_app(chosen).state.tokens.authenticate(token) is not None
    assert open_app(None).state.tokens.authenticate(token) is None
