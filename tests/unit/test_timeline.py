"""Timeline: events as known at an instant, corrections linked, retractions shown, milestones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.timeline import timeline
from tests.factories import CaseBuilder, d


def entries_of(b: CaseBuilder, on: str = "2025-01-31", as_of: datetime | None = None) -> list[Any]:
    return list(timeline(b.records, d(on), as_of).as_json()["entries"])


def the(entries: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [e for e in entries if e["kind"] == kind]
    assert len(found) == 1, [e["kind"] for e in entries]
    return found[0]


def hired_case() -> tuple[CaseBuilder, int]:
    b = CaseBuilder(opened_on="2024-03-01", now="2024-03-01T09:00:00+09:00")
    b.at("2024-04-01T10:00:00+09:00")
    return b, b.hired("2024-04-01", job_title="事務補助")


def test_hire_entry_reads_as_a_short_japanese_line_with_its_version() -> None:
    b, hire = hired_case()
    entry = the(entries_of(b), "hired")
    assert entry["label_ja"] == "就職: 株式会社サンプル (事務補助)"
    assert (entry["version"], entry["date"]) == (hire, "2024-04-01")
    assert entry["recorded_by"] == "担当 一郎"
    assert entry["correction"] is None and entry["retracted"] is None


def test_corrected_hire_shows_corrected_content_and_links_the_correction_after_it() -> None:
    # given a hire recorded as 2024-04-01 and corrected later to 2024-04-15
    b, hire = hired_case()
    b.at("2024-05-10T10:00:00+09:00")
    fix = b.correct(hire, hired_on="2024-04-15", employer={"name": "株式会社サンプル"})
    # then now the hire reads as corrected, links its correction and keeps the original
    entries = entries_of(b)
    entry = the(entries, "hired")
    assert entry["date"] == "2024-04-15"
    assert entry["payload"]["hired_on"] == "2024-04-15"
    assert entry["corrected_by"] == [fix]
    assert entry["correction"]["version"] == fix
    assert entry["correction"]["reason"] == "入力誤りの訂正"
    assert entry["correction"]["original"]["hired_on"] == "2024-04-01"
    assert the(entries, "milestone:eligible_from")["date"] == "2024-10-15"
    # and the correction itself appears on the day it was recorded, naming its target
    amendment = the(entries, "event_corrected")
    assert (amendment["date"], amendment["target_version"]) == ("2024-05-10", hire)


def test_before_the_correction_was_recorded_the_hire_reads_as_first_recorded() -> None:
    b, hire = hired_case()
    before = b.last_instant
    b.at("2024-05-10T10:00:00+09:00")
    b.correct(hire, hired_on="2024-04-15", employer={"name": "株式会社サンプル"})
    entries = entries_of(b, as_of=before)
    entry = the(entries, "hired")
    assert entry["date"] == "2024-04-01" and entry["corrected_by"] == []
    assert entry["correction"] is None
    assert not [e for e in entries if e["kind"] == "event_corrected"]
    assert the(entries, "milestone:eligible_from")["date"] == "2024-10-01"


def test_retracted_hire_stays_visible_marked_as_withdrawn_with_its_reason() -> None:
    # given a hire recorded by mistake and retracted
    b, hire = hired_case()
    b.at("2024-04-20T10:00:00+09:00")
    retraction = b.retract(hire, reason="別の利用者の記録と取り違え")
    entries = entries_of(b)
    # then the hire is shown as withdrawn, and no milestone is derived from it
    entry = the(entries, "hired")
    assert entry["retracted"] == {"version": retraction, "reason": "別の利用者の記録と取り違え"}
    assert entry["label_ja"].startswith("【取消済】")
    assert the(entries, "event_retracted")["target_version"] == hire
    assert not [e for e in entries if e["kind"].startswith("milestone:")]


def test_retracted_hire_before_the_retraction_is_an_ordinary_entry() -> None:
    b, hire = hired_case()
    before = b.last_instant
    b.at("2024-04-20T10:00:00+09:00")
    b.retract(hire)
    entry = the(entries_of(b, as_of=before), "hired")
    assert entry["retracted"] is None
    assert not entry["label_ja"].startswith("【取消済】")


def test_milestones_carry_their_rule_and_source_events() -> None:
    # given a hire on 2024-04-01 and a decision for the first year, and a plan
    b, hire = hired_case()
    b.at("2024-10-01T10:00:00+09:00")
    decision = b.decision("2024-10-01", "2025-09-30")
    plan = b.plan("2024-10-01")
    entries = entries_of(b)
    expected = {
        "milestone:eligible_from": ("2024-10-01", "ELIG-3", hire),
        "milestone:last_eligible_day": ("2027-09-30", "ELIG-4", hire),
        "milestone:decision_ends": ("2025-09-30", "PER-1", decision),
        "milestone:plan_review_due": ("2024-12-31", "PLAN-2", plan),
    }
    for kind, (day, rule, source) in expected.items():
        entry = the(entries, kind)
        assert (entry["date"], entry["rule"]) == (day, rule), kind
        assert source in entry["events"], kind
        assert entry["text_ja"] and entry["label_ja"]


def test_job_change_deadline_after_leaving_and_contacts_after_leaving_stay() -> None:
    b, _ = hired_case()
    b.at("2025-01-16T10:00:00+09:00")
    left = b.resigned("2025-01-15")
    contact = b.contact("2025-01-16", counterpart="agency", mode="phone")
    entries = entries_of(b)
    deadline = the(entries, "milestone:job_change_deadline")
    assert (deadline["date"], deadline["rule"], deadline["events"]) == (
        "2025-02-15",
        "JOB-3",
        [left],
    )
    entry = the(entries, "contact_recorded")
    assert entry["version"] == contact and entry["rule"] == "JOB-5"


def test_change_within_the_employer_is_labelled_a_moment_of_risk() -> None:
    b, _ = hired_case()
    b.at("2024-11-02T10:00:00+09:00")
    b.event("job_changed", changed_on="2024-11-01", aspect="supervisor")
    entry = the(entries_of(b), "job_changed")
    assert entry["rule"] == "JOB-6"
    assert "上司" in entry["label_ja"] and "危険" in entry["label_ja"]


def test_entries_are_in_date_order_with_events_before_milestones_then_by_version() -> None:
    # given two events and a milestone on the same day (2024-10-01, eligible from)
    b, _ = hired_case()
    b.at("2024-10-02T10:00:00+09:00")
    plan = b.plan("2024-10-01")
    contact = b.contact("2024-10-01")
    entries = entries_of(b)
    dates = [e["date"] for e in entries]
    assert dates == sorted(dates)
    same_day = [e.get("version", e["kind"]) for e in entries if e["date"] == "2024-10-01"]
    assert same_day == [plan, contact, "milestone:eligible_from"]
