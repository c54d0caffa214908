"""VER-1, VER-2, VER-3 and FEE-1: the fee schedule as versioned data (spec/fees.md)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rules.fee import base_fee_units
from domain.rules.rate import retention_rate
from domain.rules.schedule import (
    ScheduleError,
    build,
    builtin,
    builtin_files,
    compare_entries,
    with_office_files,
)

R6_TIERS = [(95, 3512), (90, 3348), (80, 2768), (70, 2234), (50, 1690), (30, 1433), (0, 1074)]


@pytest.mark.parametrize(("lower", "units"), R6_TIERS)
def test_fee_1_r6_tier_bounds_are_inclusive_at_exactly_the_bound(lower: int, units: int) -> None:
    version = builtin().for_month("2024-04")
    assert version is not None
    assert base_fee_units(Fraction(lower, 100), version) == units
    if lower:  # one hair below the bound is the tier under it
        below = version.base_fee(Fraction(lower, 100) - Fraction(1, 10**9))
        assert below is not None and int(below.value) != units


def test_fee_1_r3_table_needs_the_user_band_and_has_none_for_bands_not_found() -> None:
    r3 = builtin().for_month("2023-05")
    assert r3 is not None and r3.name == "R3" and r3.banded()
    assert r3.base_fee(Fraction(95, 100), "upto20").value == 3449  # type: ignore[union-attr]
    assert r3.base_fee(Fraction(95, 100), "21to40") is None  # fees.md "—"
    assert r3.base_fee(Fraction(95, 100), "any") is None


def test_fee_1_r1_10_top_tier_is_90_and_splits_below_30() -> None:
    r1 = builtin().for_month("2020-01")
    assert r1 is not None and r1.name == "R1-10"
    assert r1.base_fee(Fraction(99, 100), "upto20").value == 3215  # type: ignore[union-attr]
    assert r1.base_fee(Fraction(10, 100), "upto20").value == 1206  # type: ignore[union-attr]
    assert r1.base_fee(Fraction(9, 100), "upto20").value == 1045  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("before", "after", "names"),
    [("2021-03", "2021-04", ("R1-10", "R3")), ("2024-03", "2024-04", ("R3", "R6")),
     ("2024-05", "2024-06", ("R6", "R6-6")), ("2026-05", "2026-06", ("R6-6", "R8-6"))],
)  # fmt: skip
def test_ver_1_the_service_month_chooses_the_version(
    before: str, after: str, names: tuple[str, str]
) -> None:
    s = builtin()
    assert (s.for_month(before).name, s.for_month(after).name) == names  # type: ignore[union-attr]


def test_ver_1_months_before_the_first_version_have_none() -> None:
    assert builtin().for_month("2018-03") is None


def test_ver_2_only_groups_fees_md_says_continued_are_inherited() -> None:
    s = builtin()
    r6_6, r8_6 = s.named("R6-6"), s.named("R8-6")
    assert r6_6 is not None and r8_6 is not None
    kept = r8_6.get("base_fee.any.95")
    assert kept is not None and kept.version == "R6" and kept.file.endswith("2024-04-01_R6.toml")
    assert r6_6.get("treatment.I") is not None
    assert r8_6.get("treatment.I") is None  # R8.6 rates: — (not continued, not guessed)
    assert s.named("R3").get("addon.initial") is None  # type: ignore[union-attr]


def test_ver_2_every_value_names_its_certainty_and_source() -> None:
    for version in builtin().versions:
        for entry in version.values.values():
            assert entry.certainty in ("✔", "○") and entry.source
    r6 = builtin().named("R6")
    assert r6 is not None
    assert r6.get("base_fee.any.95").certainty == "✔"  # type: ignore[union-attr]
    assert r6.get("addon.special_area").as_json()["warning"] is True  # type: ignore[union-attr]


AMEND = """
[version]
amends = "R6"
[values."addon.special_area"]
value = 250
certainty = "✔"
source = "事業所が告示で確認"
"""


def test_ver_2_an_office_amends_one_value_and_the_answer_names_its_file() -> None:
    s = with_office_files([("office/checked.toml", AMEND)])
    r6 = s.named("R6")
    assert r6 is not None
    entry = r6.get("addon.special_area")
    assert entry is not None and entry.value == 250 and entry.file == "office/checked.toml"
    assert r6.get("addon.job_coach").file.endswith("2024-04-01_R6.toml")  # type: ignore[union-attr]
    # continued into R6-6 as amended
    assert s.named("R6-6").get("addon.special_area").value == 250  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[version]\nname="X"\neffective_from=2027-04-01\n[values."addon.nope"]\nvalue=1\n'
         'certainty="✔"\nsource="s"', "未知の項目"),
        ('[version]\nname="X"\neffective_from=2027-04-01\n[values."addon.job_coach"]\nvalue=1\n'
         'certainty="?"\nsource="s"', "certainty"),
        ('[version]\nname="X"\n', "effective_from"),
        ("[version\n", "TOML"),
        ('[version]\namends="R99"\n', "R99"),
    ],
)  # fmt: skip
def test_ver_2_a_bad_file_is_refused_naming_the_file_and_the_reason(text: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says) as exc:
        with_office_files([("office/bad.toml", text)])
    assert "bad.toml" in str(exc.value) or "R99" in str(exc.value)


def test_ver_3_compare_lists_what_differs_with_both_sources() -> None:
    s = builtin()
    changes = compare_entries(s.named("R3"), s.named("R6"))  # type: ignore[arg-type]
    keys = {c["key"] for c in changes}
    assert "base_fee.any.95" in keys and "base_fee.upto20.95" in keys
    same = compare_entries(s.named("R6"), s.named("R8-6"))  # type: ignore[arg-type]
    assert same == []


def test_rate_uses_the_schedule_not_a_table_of_its_own() -> None:
    r3 = builtin().named("R3")
    # R3 has no table without a band: RATE says so instead of printing R6's units.
    assert retention_rate(19, 20, r3).units_per_month is None
    assert retention_rate(19, 20).base_fee.version == "R6"  # type: ignore[union-attr]


NEW = """
[version]
name = "R9"
title_ja = "令和9年度(案)"
effective_from = {day}
[values."base_fee.any.95"]
value = 4000
certainty = "○"
source = "draft"
[values."base_fee.any.0"]
value = 1000
certainty = "○"
source = "draft"
"""


@settings(max_examples=40, deadline=None)
@given(
    effective=st.dates(min_value=date(2018, 5, 1), max_value=date(2030, 12, 1)).map(
        lambda d: d.replace(day=1)
    ),
    month=st.dates(min_value=date(2018, 4, 1), max_value=date(2031, 12, 1)),
    rate=st.fractions(min_value=0, max_value=1),
)
def test_ver_property_adding_a_file_changes_answers_only_from_its_effective_date(
    effective: date, month: date, rate: Fraction
) -> None:
    dates = {v.effective_from for v in builtin().versions}
    if effective in dates:
        effective = effective.replace(day=2)  # same 施行日 twice is refused; keep the property
    before = builtin()
    after = build([*builtin_files(), ("draft.toml", NEW.format(day=effective.isoformat()))])
    key = month.strftime("%Y-%m")
    old, new = before.for_month(key), after.for_month(key)
    old_units = old.base_fee(rate, "any") if old else None
    new_units = new.base_fee(rate, "any") if new else None
    superseded = old is not None and old.effective_from > effective  # a later version rules
    if month.replace(day=1) < effective:
        assert (old and old.name) == (new and new.name)
        assert old_units == new_units
    elif superseded:  # still the later version (which may continue values from the new file)
        assert (old and old.name) == (new and new.name)
    else:
        assert new is not None and new.name == "R9"
        assert new_units is not None and new_units.file == "draft.toml"


def test_ver_2_the_office_folder_is_read_at_start_up_and_a_bad_file_stops_it(
    tmp_path: Path,
) -> None:
    from api.settings import Settings

    (tmp_path / "checked.toml").write_text(AMEND, encoding="utf-8")
    schedule = Settings(database_url="sqlite:///:memory:",
                        fee_schedule_dir=str(tmp_path)).fee_schedule()  # fmt: skip
    entry = schedule.named("R6").get("addon.special_area")  # type: ignore[union-attr]
    assert entry is not None and entry.file == str(tmp_path / "checked.toml")
    (tmp_path / "broken.toml").write_text("[version]\nname = 'X'\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"broken\.toml"):
        Settings(database_url="sqlite:///:memory:", fee_schedule_dir=str(tmp_path)).fee_schedule()
    with pytest.raises(ScheduleError, match="フォルダがありません"):
        Settings(fee_schedule_dir=str(tmp_path / "missing")).fee_schedule()


def test_serve_takes_a_fee_schedule_folder() -> None:
    import argparse

    from api.cli import serve

    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--fee-schedule", "/srv/fees"])
    assert args.fee_schedule == "/srv/fees"
