"""The command line's errors: one Japanese line on stderr, exit 2, no traceback, and a
read-only command never creates a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli.main import main


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


def test_verify_of_a_mistyped_sqlite_path_creates_nothing_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a path whose folder does not exist
    missing = tmp_path / "typo" / "x.db"
    # When verify is asked to read it, then it exits 2 naming the file, and creates nothing
    assert main(["verify", "--database", f"sqlite:///{missing}"]) == 2
    assert "データベースのファイルがありません" in _one_line(capsys)
    assert not missing.parent.exists()


@pytest.mark.parametrize("command", [["export", "--case", "6a0d5bd2-7d0e-4a55-bf4f-3f5c0d5a2c1e"],
                                     ["projections", "status"]])  # fmt: skip
def test_other_read_only_commands_refuse_a_missing_store(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    assert main([*command, "--database", f"sqlite:///{missing}"]) == 2
    assert str(missing) in _one_line(capsys)
    assert not missing.exists()


def test_an_unknown_url_scheme_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", "--database", "mysql://somewhere/db"]) == 2
    assert "データベースの URL が読めません: mysql://somewhere/db" in _one_line(capsys)


def test_an_unreachable_postgresql_is_one_line_with_the_password_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Port 1 on the loopback refuses at once (nothing listens there)
    assert main(["verify", "--database", "postgresql://u:secret@127.0.0.1:1/x"]) == 2
    line = _one_line(capsys)
    assert "PostgreSQL に接続できません" in line and "secret" not in line and "***" in line


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"not json", "JSON として読めません"), (b"[1, 2]", "バンドルの形式ではありません")],
)
def test_a_file_that_is_no_bundle_is_named_not_none(
    content: bytes, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes(content)
    assert main(["verify", "--bundle", str(bundle)]) == 2
    line = _one_line(capsys)
    assert why in line and str(bundle) in line and "None" not in line
