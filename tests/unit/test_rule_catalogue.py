"""The catalogue knows every rule id the claim names (issue 22): VER, FEE and REC of
spec/fees.md, so ``GET /rules`` and :func:`domain.rules.catalogue.rule` can explain a line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.rules.catalogue import RULES, rule

ROOT = Path(__file__).resolve().parents[2]
#: The code that names fee rules in answers (lines, sheets, comparisons).
NAMING = ["projections/claim.py", "projections/claim_office.py", "projections/record_sheet.py",
          "api/http/routers/claim.py", "domain/rules/schedule.py"]  # fmt: skip
_ID = re.compile(r"\"((?:FEE|VER|REC)-\d+)\"")


def test_every_fee_rule_id_the_claim_names_is_in_the_catalogue() -> None:
    named = {m for path in NAMING for m in _ID.findall((ROOT / path).read_text("utf-8"))}
    assert {"FEE-1", "FEE-10", "REC-1", "VER-3"} <= named  # the scan found the claim's ids
    assert sorted(named - set(RULES)) == []


@pytest.mark.parametrize("rule_id", [*(f"FEE-{n}" for n in range(1, 11)),
                                     "VER-1", "VER-2", "VER-3", "REC-1", "REC-2"])  # fmt: skip
def test_each_fee_rule_has_a_japanese_title_and_a_source(rule_id: str) -> None:
    found = rule(rule_id)
    assert found.id == rule_id and found.source
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", found.title_ja)


def test_the_interpretive_fee_rules_carry_the_warning() -> None:
    # fees.md: FEE-3's limits are read from a secondary source; FEE-1 is the 告示's table.
    assert rule("FEE-3").interpretive and rule("REC-1").interpretive
    assert not rule("FEE-1").interpretive and not rule("VER-1").interpretive


def test_an_unknown_fee_rule_id_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        rule("FEE-11")
