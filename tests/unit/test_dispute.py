"""The dispute report: what the system showed at an instant beside what is true now."""

from __future__ import annotations

from datetime import datetime

from projections.dispute import dispute
from tests.factories import CaseBuilder, d


def _hire_corrected_after_decision() -> tuple[CaseBuilder, datetime, int]:
    """Hired 2024-04-01 (v2), decision issued (v3), then the hire date corrected (v4)."""
    b = CaseBuilder(now="2024-03-01T09:00:00+09:00")
    hired = b.at("2024-04-02T10:00:00+09:00").hired("2024-04-01")
    b.at("2024-09-20T10:00:00+09:00").decision("2024-10-01", "2025-09-30", "2024-09-20")
    issued = b.last_instant
    b.at("2024-11-05T10:00:00+09:00").correct(
        hired, hired_on="2024-04-15", employer={"name": "株式会社サンプル"}
    )
    return b, issued, 4


def test_hire_date_corrected_after_decision_shows_each_differing_date_with_the_correction() -> None:
    # Given a hire date corrected after the decision was issued
    b, issued, correction = _hire_corrected_after_decision()
    # When the report compares what was shown at the decision with what is true now
    report = dispute(b.records, d("2024-10-10"), issued).as_json()
    # Then base_date, eligible_from and last_eligible_day differ, explained by the correction
    diffs = {x["field"]: x for x in report["differences"]}
    assert (diffs["base_date"]["then"], diffs["base_date"]["now"]) == ("2024-04-01", "2024-04-15")
    assert (diffs["eligible_from"]["then"], diffs["eligible_from"]["now"]) == (
        "2024-10-01",
        "2024-10-15",
    )
    assert diffs["last_eligible_day"]["now"] == "2027-10-14"
    for name in ("base_date", "eligible_from", "last_eligible_day"):
        assert [e["version"] for e in diffs[name]["explained_by"]] == [correction]
        assert diffs[name]["explained_by"][0]["type"] == "event_corrected"
        assert "第4版" in diffs[name]["text_ja"]


def test_each_derived_date_carries_rule_source_and_events_on_both_sides() -> None:
    b, issued, correction = _hire_corrected_after_decision()
    report = dispute(b.records, d("2024-10-10"), issued).as_json()
    base = next(row for row in report["dates"] if row["field"] == "base_date")
    # Then the rule (ELIG-2) and its source are named; now's events include the correction
    assert base["then"]["rule"] == base["now"]["rule"] == "ELIG-2"
    assert base["now"]["source"]
    assert base["then"]["events"] == [2]
    assert correction in base["now"]["events"]
    assert base["differs"] is True
    assert base["label_ja"] == "起算日"


def test_nothing_recorded_since_means_no_differences() -> None:
    # Given a report as of the last recorded instant
    b, _, _ = _hire_corrected_after_decision()
    report = dispute(b.records, d("2024-10-10"), b.last_instant)
    # Then both sides agree
    assert report.differences == ()
    assert report.recorded_since == ()
    assert "違いはありません" in report.summary_ja


def test_retraction_of_a_contact_changes_the_months_face_to_face_count() -> None:
    # Given a face-to-face contact in October, later retracted
    b = CaseBuilder(now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-02T10:00:00+09:00").hired("2024-04-01")
    b.at("2024-10-15T10:00:00+09:00").decision("2024-10-01", "2025-09-30")
    b.contract("2024-10-01")
    contact = b.contact("2024-10-10")
    shown = b.last_instant
    b.at("2024-11-20T10:00:00+09:00").retract(contact)
    # When the October report compares the instant before the retraction with now
    report = dispute(b.records, d("2024-10-31"), shown)
    diffs = {x.field: x for x in report.differences}
    # Then the face-to-face count differs and the retraction explains it
    assert (diffs["face_to_face"].then, diffs["face_to_face"].now) == (1, 0)
    assert [r.type for r in diffs["face_to_face"].explained_by] == ["event_retracted"]
