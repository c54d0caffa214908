"""The dispute report: what the system showed at an instant beside what is true now."""

from __future__ import annotations

from datetime import datetime

from projections.compliance import compliance
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


# -- Issue 21: a month's verdict uses every fact for that month, whenever dated --------


def _april_report_shared_in_may() -> tuple[CaseBuilder, datetime, int]:
    """Supported face to face in April 2026; April's report shared on 2026-05-05 (v7)."""
    b = CaseBuilder("2025-09-01", now="2025-09-01T09:00:00+09:00")
    b.at("2025-09-02T10:00:00+09:00").hired("2025-09-01")
    b.at("2026-03-02T10:00:00+09:00").decision("2026-03-01", "2027-02-28")
    b.contract("2026-03-01")
    b.plan("2026-03-01")
    b.at("2026-04-10T15:00:00+09:00").contact("2026-04-10")
    shared = b.at("2026-05-05T10:00:00+09:00").report("2026-04", "2026-05-05", ["本人"])
    return b, datetime.fromisoformat("2026-05-01T12:00:00+09:00"), shared


def test_a_report_shared_next_month_counts_for_its_month_in_the_now_column() -> None:
    # Given April's report shared on 05-05, and an instant (05-01) before it was recorded
    b, before, shared = _april_report_shared_in_may()
    # When the report for 04-30 compares that instant with now
    report = dispute(b.records, d("2026-04-30"), before)
    april = next(m for m in report.months if m.month == "2026-04")
    # Then April is billable now (as compliance from April on a later day says) ...
    later = compliance(b.records, d("2026-05-31"), from_month="2026-04", to_month="2026-04")
    assert later.months[0].billable is True
    assert april.verdict_now == "billable"
    assert report.as_json()["now"]["compliance"]["month"]["billable"] is True
    # ... and was still open on 04-30 as known on 05-01: 今月まだ, the report missing
    assert april.verdict_then == "in_progress"
    assert april.text_then == "今月まだ: 支援レポート(残り1日)"
    # And the one sentence names the change and the record that made it, in JST
    sentence = report.change_ja
    assert "「今月まだ: 支援レポート(残り1日)」から「請求可」に" in sentence
    assert f"第{shared}版「支援レポート共有」(2026年5月5日 10:00(日本時間)、担当 一郎)" in sentence
    assert [r.version for r in april.explained_by] == [shared]
    # And each differing field of the month names the sharing too
    diffs = {x.field: x for x in report.differences}
    assert [r.version for r in diffs["billable"].explained_by] == [shared]
    assert [r.version for r in diffs["report_shared"].explained_by] == [shared]


def test_a_closed_month_without_its_report_then_reads_unbillable_and_billable_now() -> None:
    # Given the same case, judged on a day in May (April closed) as known on 05-01
    b, before, shared = _april_report_shared_in_may()
    report = dispute(b.records, d("2026-05-01"), before).as_json()
    april = next(m for m in report["months"] if m["month"] == "2026-04")
    # Then April: 請求不可 (MON-4) as known then, 請求可 now, explained by the sharing
    assert (april["then"]["verdict"], april["now"]["verdict"]) == ("unbillable", "billable")
    assert [r["rule"] for r in april["then"]["reasons"]] == ["MON-4"]
    assert [e["version"] for e in april["explained_by"]] == [shared]
    diff = next(x for x in report["differences"] if x["field"] == "month:2026-04")
    assert (diff["then"], diff["now"]) == ("請求不可", "請求可")


def test_the_month_of_the_chosen_day_is_still_open_in_both_columns() -> None:
    # Given the instant 05-01 and the day 05-03 (nothing recorded for May yet)
    b, before, _ = _april_report_shared_in_may()
    report = dispute(b.records, d("2026-05-03"), before)
    may = next(m for m in report.months if m.month == "2026-05")
    # Then May reads 今月まだ with 29 days left in both columns, not 請求不可
    assert may.verdict_then == may.verdict_now == "in_progress"
    assert may.text_then == may.text_now == "今月まだ: 対面支援・支援レポート(残り29日)"
    assert not may.differs


def test_a_correction_names_its_reason_in_the_sentence() -> None:
    # Given April's only face-to-face contact corrected to a phone call after the instant
    b, _, _ = _april_report_shared_in_may()
    shown = b.last_instant
    contact = next(r.version for r in b.records if r.type == "contact_recorded")
    fix = b.at("2026-05-20T09:30:00+09:00").correct(
        contact, reason="電話だったため", contact_on="2026-04-10", counterpart="person",
        mode="phone",
    )  # fmt: skip
    report = dispute(b.records, d("2026-05-10"), shown)
    april = next(m for m in report.months if m.month == "2026-04")
    assert (april.verdict_then, april.verdict_now) == ("billable", "unbillable")
    assert f"第{fix}版「" in report.change_ja and "理由: 電話だったため" in report.change_ja


def test_the_open_months_words_match_the_case_pages_words() -> None:
    # The projection's words for a month equal api.web.month_words' for the same month
    from api.web.month_words import month_words

    b, before, _ = _april_report_shared_in_may()
    for on in ("2026-04-30", "2026-05-03", "2026-05-10"):
        for month in dispute(b.records, d(on), before).months:
            for side, text in ((month.then, month.text_then), (month.now, month.text_now)):
                assert side is not None
                assert month_words(side, d(on)).text == text, (on, month.month)
