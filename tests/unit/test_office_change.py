"""Moving a case to another office (domain.transfer), and how the timeline shows it.

Given a case built through the real aggregate (no database); a move is a correction of the
opening that names another office (docs/decisions/0031-office-transfer.md).
"""

from __future__ import annotations

from typing import Any

from domain.transfer import OfficeChange, office_change, office_changes
from projections.timeline import timeline
from tests.factories import OFFICE, OTHER_OFFICE, CaseBuilder, case_opened_payload, d

MOVE_REASON = "転居により大阪の事業所が支援を引き継ぐため"


def _correction(office: str, **overrides: Any) -> dict[str, Any]:
    return {
        "target_version": 1,
        "reason": MOVE_REASON,
        "replacement": case_opened_payload("2024-03-01", office_id=office),
        **overrides,
    }


def test_a_correction_of_the_opening_naming_another_office_is_a_move_from_the_current_one() -> None:
    b = CaseBuilder(opened_on="2024-03-01")

    moves = office_change(b.case.history(), "event_corrected", _correction(OTHER_OFFICE))

    assert moves == OfficeChange(OFFICE, OTHER_OFFICE, MOVE_REASON)


def test_corrections_that_keep_the_office_or_touch_another_record_are_no_move() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    hire = b.hired("2024-04-01")
    history = b.case.history()

    renamed = _correction(OFFICE, replacement=case_opened_payload(person={"name": "試験 春子"}))
    rehired = _correction(
        OTHER_OFFICE, target_version=hire,
        replacement={"hired_on": "2024-04-02", "employer": {"name": "株式会社サンプル"}},
    )  # fmt: skip

    assert office_change(history, "event_corrected", renamed) is None
    assert office_change(history, "event_corrected", rehired) is None
    assert office_change(history, "hired", {"office_id": OTHER_OFFICE}) is None


def test_a_move_the_aggregate_would_refuse_is_left_to_its_validation() -> None:
    # Given a version sent as text (which the aggregate reads as 1) and an office of 5 digits
    b = CaseBuilder(opened_on="2024-03-01")
    text_version = _correction(OTHER_OFFICE, target_version="1")

    as_text = office_change(b.case.history(), "event_corrected", text_version)
    bad_office = office_change(b.case.history(), "event_corrected", _correction("27101"))

    # Then the first is a move, as it would be recorded; the second is no move (422 follows)
    assert as_text is not None and as_text.to_office == OTHER_OFFICE
    assert bad_office is None
    moved = b.event("event_corrected", **text_version)
    assert office_changes(b.records)[moved].to_office == OTHER_OFFICE


def test_recorded_moves_compare_each_correction_with_the_office_just_before_it() -> None:
    # Given a move to the other office, a name correction there, and a move back
    b = CaseBuilder(opened_on="2024-03-01")
    there = b.correct(1, MOVE_REASON, **case_opened_payload(office_id=OTHER_OFFICE))
    renamed = case_opened_payload(office_id=OTHER_OFFICE, person={"name": "試験 春子"})
    b.correct(1, "氏名の誤り", **renamed)
    back = b.correct(1, "転居の取りやめ", **case_opened_payload(office_id=OFFICE))

    moves = office_changes(b.records)

    assert sorted(moves) == [there, back]
    assert (moves[there].from_office, moves[there].to_office) == (OFFICE, OTHER_OFFICE)
    assert (moves[back].from_office, moves[back].to_office, moves[back].reason) == (
        OTHER_OFFICE, OFFICE, "転居の取りやめ",
    )  # fmt: skip


def test_the_timeline_shows_a_move_with_both_offices_its_reason_who_and_when() -> None:
    # Given a case moved by an administrator on 2025-06-02 at 10:05 Japan time
    b = CaseBuilder(opened_on="2024-03-01", by="管理者 試験")
    b.at("2025-06-02T10:05:00+09:00")
    moved = b.correct(1, MOVE_REASON, **case_opened_payload(office_id=OTHER_OFFICE))

    # When the timeline is read, then the correction reads as a move, not a plain correction
    entries = timeline(b.records, d("2025-06-02")).as_json()["entries"]
    (entry,) = [e for e in entries if e.get("version") == moved]

    assert entry["label_ja"] == (
        f"事業所の移管: {OFFICE} → {OTHER_OFFICE}(理由: {MOVE_REASON})"
        "— 管理者 試験、2025-06-02 10:05 記録"
    )
    assert entry["transfer"] == {"from_office": OFFICE, "to_office": OTHER_OFFICE}
    assert (entry["kind"], entry["date"], entry["recorded_by"]) == (
        "event_corrected", "2025-06-02", "管理者 試験",
    )  # fmt: skip


def test_a_correction_of_the_opening_that_keeps_the_office_still_reads_as_a_correction() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    fixed = b.correct(1, "氏名の誤り", **case_opened_payload(person={"name": "試験 春子"}))

    entries = timeline(b.records, d("2025-06-02")).as_json()["entries"]
    (entry,) = [e for e in entries if e.get("version") == fixed]

    assert entry["label_ja"] == "訂正: 第1版(ケース開始)— 氏名の誤り"
    assert "transfer" not in entry
