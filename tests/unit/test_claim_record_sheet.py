"""REC-1, REC-2: the 実績記録票 drawn from the events, reproducible with as_of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.office import OfficeFacts
from domain.rules.schedule import builtin
from projections.claim import person_month
from projections.reading import read_records
from projections.record_sheet import record_sheet
from tests.factories import CaseBuilder
from tests.unit.test_claim_units import TODAY, OfficeBuilder, meeting, supported


def sheet(
    b: CaseBuilder, month: str, office: OfficeFacts, as_of: datetime | None = None
) -> dict[str, Any]:
    reading = read_records(b.records, TODAY, as_of)
    pm = person_month(reading, month, office, builtin())
    return record_sheet(reading, month, pm, "case-1").as_json()


def test_rec_1_a_day_counts_for_face_to_face_support_with_the_person_only() -> None:
    b = supported()
    b.contact("2024-11-18", mode="phone")
    b.contact("2024-11-19", counterpart="employer")
    s = sheet(b, "2024-11", OfficeBuilder().tier(2024, 90).facts())
    counted = {ln["day"]: ln["counted"] for ln in s["lines"]}
    assert counted == {"2024-11-10": 1, "2024-11-18": 0, "2024-11-19": 0}
    assert s["header"]["total_days"] == 1
    assert s["header"]["service_month"] == "202411"
    assert s["header"]["report_shared_on"] == "20241125"
    notes = {ln["day"]: ln["note"] for ln in s["lines"]}
    assert notes["2024-11-18"] == "本人・電話" and notes["2024-11-19"] == "事業主・対面"


def test_rec_the_initial_block_shows_in_the_start_month_and_the_meeting_code_on_its_day() -> None:
    b = supported(claim={"special_area_home": True})
    meeting(b, "2024-10-20", "other_staff")
    s = sheet(b, "2024-10", OfficeBuilder().tier(2024, 90).facts())
    h = s["header"]
    assert (h["start_day"], h["day30"], h["initial_days"]) == ("20241001", "20241030", 1)
    assert h["meeting_times"] == 1 and h["special_area_times"] == 1
    by_day = {ln["day"]: ln for ln in s["lines"]}
    assert by_day["2024-10-20"]["meeting"] == 2 and by_day["2024-10-10"]["special_area"] == 1
    later = sheet(b, "2024-12", OfficeBuilder().tier(2024, 90).facts())["header"]
    assert later["start_day"] is None and later["meeting_times"] == 0


def test_rec_2_a_later_correction_changes_the_sheet_and_as_of_reproduces_it() -> None:
    b = supported()
    office = OfficeBuilder().tier(2024, 90).facts()
    contact = next(r.version for r in b.records if r.payload.get("contact_on") == "2024-11-10")
    printed_at = b.last_instant
    printed = sheet(b, "2024-11", office)
    b.correct(contact, contact_on="2024-11-12", counterpart="person", mode="face_to_face")
    now = sheet(b, "2024-11", office)
    assert [ln["day"] for ln in now["lines"]] == ["2024-11-12"]
    assert now["lines"][0]["events"] == [contact, b.records[-1].version]
    again = sheet(b, "2024-11", office, printed_at)
    assert {k: v for k, v in again.items() if k != "as_of"} == {
        k: v for k, v in printed.items() if k != "as_of"}
