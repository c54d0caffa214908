"""The layout's import contracts (pyproject.toml, ``make lint``) hold, and each one breaks.

``lint-imports`` runs on a copy of the three packages; one import written into the copy
must make exactly the contract it violates fail, so a contract that could never fail
(a typo in a module name, a rule that checks nothing) is caught here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_copy(tmp_path: Path, module: str = "", line: str = "") -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on a copy of domain/, projections/ and api/ with ``line`` added."""
    for package in ("domain", "projections", "api"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if module:
        path = tmp_path / (module.replace(".", "/") + ".py")
        path.write_text(path.read_text() + f"\n{line}  # added by the test\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # the copy before the installed tree
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_copy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a circle between two rulebook sections (elig already imports cal)
        ("domain.rules.cal", "from domain.rules import elig", "No import cycles"),
        # a circle inside the HTTP door (errors already imports idempotency)
        ("api.http.idempotency", "import api.http.errors", "No import cycles"),
        ("domain.rules.per", "import projections.explain", "domain imports nothing outward"),
        ("projections.timeline", "import api.http.schemas", "projections never import api"),
        ("domain.history", "import domain.store.keyring", "The store's wiring is reached only"),
        ("projections.entitlement", "import domain.store.application", "wiring is reached only"),
        ("domain.rules.mon", "import psycopg", "Only the store's wiring talks to a database"),
        ("api.http.deps", "import api.web.labels", "The HTTP door never imports"),
        ("api.web.labels", "import api.cli.common", "The web pages never import the command"),
        ("api.cli.tokens", "import eventsourcing.utils", "only through the application service"),
        ("api.cli.trust", "import domain.store.keyring", "only through the application service"),
    ],
)
def test_an_import_against_the_layout_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    result = lint_copy(tmp_path, module, line)
    assert result.returncode != 0
    report = " ".join(result.stdout.split())  # names wrap at the terminal width
    assert "BROKEN" in report
    broken_names = [part for part in report.split("KEPT") if "BROKEN" in part]
    assert any(broken in part for part in broken_names), result.stdout
