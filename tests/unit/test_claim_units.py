"""FEE-1..10: the units of one person's month, each line with its rule, version and events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from domain.office import Office, OfficeFacts, office_facts
from domain.payloads import ERASED
from domain.rules.schedule import NOT_REGISTERED_JA, builtin
from projections.claim import PersonMonth, half_up, person_month
from projections.reading import read_records
from tests.factories import OFFICE, CaseBuilder

TODAY = date(2027, 12, 31)


class OfficeBuilder:
    def __init__(self, designated_on: str = "2019-04-01") -> None:
        self.now = datetime(2027, 12, 1, tzinfo=UTC)
        self.office = Office.register(
            {"office_id": OFFICE, "name": "試験事業所", "designated_on": designated_on},
            recorded_by="管理者", recorded_at=self.now,
        )  # fmt: skip

    def add(self, event_type: str, **payload: Any) -> OfficeBuilder:
        self.now += timedelta(minutes=1)
        self.office.record(event_type, payload, recorded_by="管理者", recorded_at=self.now)
        return self

    def tier(self, year: int, percent: int) -> OfficeBuilder:
        return self.add("tier_notified", fiscal_year=year, tier_percent=percent,
                        notified_on=f"{year}-04-01")  # fmt: skip

    def facts(self) -> OfficeFacts:
        return office_facts(OFFICE, self.office.records)


def supported(**opened: Any) -> CaseBuilder:
    """Hired 2024-04-01, support from 2024-10-01 (contract and decision), seen and reported
    in every month 2024-10..2025-03 except 2025-01 (no face-to-face contact)."""
    b = CaseBuilder(opened_on="2024-03-01", **opened)
    b.hired("2024-04-01")
    b.contract("2024-09-20", "2024-10-01")
    b.decision("2024-10-01", "2025-09-30", decided_on="2024-09-25")
    for month in ("2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"):
        if month != "2025-01":
            b.contact(f"{month}-10")
        b.report(month, f"{month}-25")
    return b


def claim(b: CaseBuilder, month: str, office: OfficeFacts, **kw: Any) -> PersonMonth:
    return person_month(read_records(b.records, TODAY), month, office, builtin(), **kw)


def line(pm: PersonMonth, rule: str) -> Any:
    return next(ln for ln in pm.as_json()["lines"] if ln["rule"] == rule)


def test_fee_1_base_fee_by_the_notified_tier_with_version_file_and_events() -> None:
    b = supported()
    pm = claim(b, "2024-11", OfficeBuilder().tier(2024, 90).facts())
    base = line(pm, "FEE-1")
    assert pm.verdict == "billable" and base["units"] == 3348 and pm.units == 3348
    assert pm.version is not None and pm.version.name == "R6-6"  # in force for 2024-11
    assert base["schedule_version"] == "R6" and base["schedule_file"].endswith("R6.toml")
    contact = next(r.version for r in b.records if r.payload.get("contact_on") == "2024-11-10")
    assert contact in base["events"] and base["office_events"] == [2]


def test_fee_1_an_unbillable_month_earns_no_base_fee_and_says_so() -> None:
    pm = claim(supported(), "2025-01", OfficeBuilder().tier(2024, 90).facts())
    assert pm.verdict == "unbillable" and line(pm, "FEE-1")["units"] == 0
    assert any(r["rule"] == "MON-2" or r["rule"] == "MON-1" for r in pm.reasons)
    assert pm.units == 0


def test_fee_1_without_a_notified_tier_uses_the_computed_rate_with_a_warning() -> None:
    office = OfficeBuilder().facts()
    guessed = claim(supported(), "2024-11", office, computed_rate=Fraction(1, 2))
    assert line(guessed, "FEE-1")["units"] == 1690 and line(guessed, "FEE-1")["warning"]
    unknown = claim(supported(), "2024-11", office)
    assert line(unknown, "FEE-1")["units"] is None and unknown.units is None
    assert unknown.as_json()["complete"] is False


def test_fee_1_month_boundaries_2024_03_banded_and_2024_04_by_tier_only() -> None:
    b = CaseBuilder(opened_on="2021-01-01")
    b.hired("2021-01-01")
    b.contract("2023-07-01", "2023-07-01")
    b.decision("2023-07-01", "2024-06-30")
    for month in ("2024-03", "2024-04"):
        b.contact(f"{month}-05")
        b.report(month, f"{month}-20")
    no_band = OfficeBuilder().tier(2023, 95).tier(2024, 95)
    march = claim(b, "2024-03", no_band.facts())
    assert march.version.name == "R3" and line(march, "FEE-1")["units"] is None  # type: ignore[union-attr]
    assert "利用者数規模" in line(march, "FEE-1")["note_ja"]
    banded = no_band.add("user_band_notified", fiscal_year=2023, band="upto20").facts()
    assert line(claim(b, "2024-03", banded), "FEE-1")["units"] == 3449
    assert line(claim(b, "2024-04", banded), "FEE-1")["units"] == 3512
    big = OfficeBuilder().tier(2023, 95).add("user_band_notified", fiscal_year=2023,
                                              band="21to40").facts()  # fmt: skip
    assert line(claim(b, "2024-03", big), "FEE-1")["note_ja"] == NOT_REGISTERED_JA


def test_fee_2_initial_addition_once_in_the_start_month_unless_run_jointly() -> None:
    office = OfficeBuilder().tier(2024, 90).facts()
    start = claim(supported(), "2024-10", office)
    assert line(start, "FEE-2")["units"] == 900 and line(start, "FEE-2")["warning"]
    assert start.units == 3348 + 900
    assert not [ln for ln in claim(supported(), "2024-11", office).lines if ln.rule == "FEE-2"]
    joint = supported(prior_service={"kind": "employment_transition", "run_jointly": True})
    assert line(claim(joint, "2024-10", office), "FEE-2")["units"] == 0
    by_office = OfficeBuilder().tier(2024, 90).add(
        "joint_services", services=["employment_transition"], from_on="2020-04-01").facts()
    assert line(claim(supported(), "2024-10", by_office), "FEE-2")["units"] == 0


def meeting(b: CaseBuilder, on: str, by: str) -> int:
    return b.event("case_meeting_held", held_on=on, parties=["本人", "ハローワーク"],
                   information_shared=["支援計画"], explained_by=by,
                   outside_bodies=["ハローワーク"])  # fmt: skip


def test_fee_3_meeting_i_or_ii_once_a_month_and_four_times_a_year() -> None:
    office = OfficeBuilder().tier(2024, 90).facts()
    b = supported()
    meeting(b, "2024-11-12", "other_staff")
    meeting(b, "2024-11-20", "service_manager")  # a second in the month earns nothing more
    nov = claim(b, "2024-11", office)
    assert line(nov, "FEE-3")["units"] == 405 and nov.meeting and nov.meeting.code == 2
    for month in ("2024-12", "2025-02", "2025-03"):
        meeting(b, f"{month}-12", "service_manager")
    assert line(claim(b, "2024-12", office), "FEE-3")["units"] == 579
    b2 = supported()
    for month in ("2024-10", "2024-11", "2024-12", "2025-02", "2025-03"):
        meeting(b2, f"{month}-12", "service_manager")
    assert line(claim(b2, "2025-02", office), "FEE-3")["units"] == 579  # the 4th
    fifth = line(claim(b2, "2025-03", office), "FEE-3")
    assert fifth["units"] == 0 and "4回" in fifth["note_ja"]


def test_fee_3_a_meeting_without_outside_bodies_is_not_a_regional_meeting() -> None:
    b = supported()
    b.event("case_meeting_held", held_on="2024-11-12", parties=["本人"],
            information_shared=["支援計画"])  # fmt: skip
    pm = claim(b, "2024-11", OfficeBuilder().tier(2024, 90).facts())
    assert not [ln for ln in pm.lines if ln.rule == "FEE-3"]


def test_fee_4_fee_5_office_additions_as_notified_and_not_in_the_first_year() -> None:
    office = (OfficeBuilder().tier(2024, 90)
              .add("addon_notified", addon="retention_system", from_month="2024-04",
                   notified_on="2024-03-15")
              .add("addon_notified", addon="job_coach", from_month="2024-11", to_month="2024-11",
                   notified_on="2024-10-15")).facts()  # fmt: skip
    nov = claim(supported(), "2024-11", office)
    assert line(nov, "FEE-4")["units"] == 300 and line(nov, "FEE-5")["units"] == 120
    assert nov.units == 3348 + 300 + 120
    dec = claim(supported(), "2024-12", office)
    assert not [ln for ln in dec.lines if ln.rule == "FEE-5"]  # to_month passed
    young = (OfficeBuilder(designated_on="2024-06-01").tier(2024, 90)
             .add("addon_notified", addon="retention_system", from_month="2024-06",
                  notified_on="2024-06-01")).facts()  # fmt: skip
    assert line(claim(supported(), "2024-11", young), "FEE-4")["units"] == 0


def test_fee_6_fee_7_special_area_and_cap_management_from_the_case_facts() -> None:
    office = OfficeBuilder().tier(2024, 90).facts()
    home = supported(claim={"special_area_home": True, "cap_managed_here": True})
    pm = claim(home, "2024-11", office)
    assert line(pm, "FEE-6")["units"] == 240 and line(pm, "FEE-7")["units"] == 150
    assert line(pm, "FEE-6")["warning"]  # ○ values
    b = CaseBuilder(opened_on="2024-03-01")
    b.event("hired", hired_on="2024-04-01", employer={"name": "山の会社", "special_area": True})
    b.contract("2024-09-20", "2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    b.contact("2024-11-10")
    b.report("2024-11", "2024-11-25")
    assert line(claim(b, "2024-11", office), "FEE-6")["units"] == 240
    assert not [ln for ln in claim(supported(), "2024-11", office).lines if ln.rule == "FEE-6"]


def test_fee_8_treatment_percentage_from_2024_06_rounded_half_up() -> None:
    assert half_up(Decimal("154.5")) == 155 and half_up(Decimal("154.49")) == 154
    office = (OfficeBuilder().tier(2024, 90)
              .add("addon_notified", addon="treatment", level="I", from_month="2024-04",
                   notified_on="2024-03-15")).facts()  # fmt: skip
    nov = claim(supported(), "2024-11", office)
    # 3348 × 10.3 % = 344.844 → 345
    assert line(nov, "FEE-8")["units"] == 345 and nov.units == 3348 + 345
    b = CaseBuilder(opened_on="2021-01-01")
    b.hired("2021-01-01")
    b.contract("2023-07-01", "2023-07-01")
    b.decision("2023-07-01", "2024-06-30")
    b.contact("2024-05-05")
    b.report("2024-05", "2024-05-20")
    may = claim(b, "2024-05", office)
    assert line(may, "FEE-8")["units"] == 0 and "対象外" in line(may, "FEE-8")["note_ja"]
    # With or without a value, the line has the schedule's title, so VER-3 matches the two.
    assert line(may, "FEE-8")["title_ja"] == line(nov, "FEE-8")["title_ja"]
    assert line(may, "FEE-8")["title_ja"].endswith("(Ⅰ)")
    two = (OfficeBuilder().tier(2024, 90)
           .add("addon_notified", addon="treatment", level="II", from_month="2024-06",
                notified_on="2024-05-15")).facts()  # fmt: skip
    assert line(claim(supported(), "2024-11", two), "FEE-8")["note_ja"] == NOT_REGISTERED_JA


def test_fee_9_reductions_take_their_percentage_of_the_base_fee() -> None:
    office = (OfficeBuilder().tier(2024, 90)
              .add("reduction_months", kind="abuse_prevention", months=["2024-11"])
              .add("reduction_months", kind="staff_shortfall_first2", months=["2024-11"])
              ).facts()  # fmt: skip
    nov = claim(supported(), "2024-11", office)
    cuts = sorted(ln.units or 0 for ln in nov.lines if ln.rule == "FEE-9")
    assert cuts == [-1004, -33]  # 3348 × 30 % = 1004.4; × 1 % = 33.48
    assert nov.units == 3348 - 33 - 1004
    assert not [ln for ln in claim(supported(), "2024-12", office).lines if ln.rule == "FEE-9"]


def test_fee_10_yen_and_user_burden_only_with_a_unit_price() -> None:
    b = supported(claim={"cap_category": "general_1"})
    plain = OfficeBuilder().tier(2024, 90)
    assert claim(b, "2024-11", plain.facts()).yen is None
    priced = plain.add("unit_price_set", yen_per_unit="10.7", from_month="2024-04").facts()
    pm = claim(b, "2024-11", priced)
    assert pm.yen == 35823  # 3348 × 10.7 = 35823.6 → rounded down
    assert pm.burden is not None and pm.burden["yen"] == 3582
    poor = supported(claim={"cap_category": "public_assistance"})
    assert claim(poor, "2024-11", priced).burden["yen"] == 0  # type: ignore[index]


def test_fee_10_says_the_cap_cannot_be_read_once_the_person_is_erased() -> None:
    # given a person whose cap category was recorded, then erased (the sealed value reads
    # ERASED: domain.sealing), in an office with a unit price
    b = supported(claim={"cap_category": "general_1"})
    priced = OfficeBuilder().tier(2024, 90).add(
        "unit_price_set", yen_per_unit="10.7", from_month="2024-04").facts()  # fmt: skip
    erased = [
        replace(r, payload={**r.payload, "claim": {**r.payload["claim"], "cap_category": ERASED}})
        if r.type == "case_opened" else r
        for r in b.records
    ]  # fmt: skip
    burden = person_month(read_records(erased, TODAY), "2024-11", priced, builtin()).burden
    # then no burden is claimed, the 10 % is still shown, and the note says why
    assert burden is not None and burden["yen"] is None and burden["ten_percent"] == 3582
    assert burden["note_ja"] == "負担上限月額の区分は、本人の情報の消去により読めません"
    assert "cap" not in burden


def test_a_correction_after_the_month_changes_its_units_and_as_of_reproduces_them() -> None:
    b = supported()
    office = OfficeBuilder().tier(2024, 90).facts()
    contact = next(r.version for r in b.records if r.payload.get("contact_on") == "2024-11-10")
    before = b.last_instant
    first = claim(b, "2024-11", office).as_json()
    b.correct(contact, contact_on="2024-11-10", counterpart="person", mode="phone")
    now = claim(b, "2024-11", office).as_json()
    then = person_month(read_records(b.records, TODAY, before), "2024-11", office,
                        builtin()).as_json()  # fmt: skip
    assert first["units"] == 3348 and now["units"] == 0 and now["verdict"] == "unbillable"
    assert then == first


@pytest.mark.parametrize(("month", "version"), [("2024-05", "R6"), ("2024-06", "R6-6")])
def test_ver_1_the_claim_names_the_version_in_force_for_the_service_month(
    month: str, version: str
) -> None:
    b = supported()
    assert claim(b, month, OfficeBuilder().facts()).as_json()["schedule"]["name"] == version
