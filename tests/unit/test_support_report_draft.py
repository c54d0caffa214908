"""The monthly support report (MON-4): drafted from the month's facts, recipients by consent."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from api.http.report_pdf import japanese_font, render_pdf
from projections.reading import read_records
from projections.support_report import (
    SupportReport,
    content_sha256,
    draft_report,
    month_first_day,
    normalize_text,
)
from projections.support_report_recipients import Recipient, recipients, refused
from tests.factories import CaseBuilder, d

MONTH = "2024-11"


@pytest.fixture
def builder() -> CaseBuilder:
    """Hired 2024-04-01 (eligible from 2024-10-01), contract and decision from 2024-10-01."""
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01")
    b.contract("2024-10-01")
    b.decision("2024-10-01", "2025-09-30")
    b.plan("2024-10-01", ["報告・連絡・相談ができる"])
    return b


def _draft(b: CaseBuilder, month: str = MONTH, on: str = "2024-12-05") -> SupportReport:
    return draft_report(read_records(b.records, d(on)), b.case.id, month)


def test_draft_sorts_the_months_contacts_into_face_to_face_employer_and_other(
    builder: CaseBuilder,
) -> None:
    f2f = builder.contact("2024-11-05", place="職場", summary="業務に慣れてきた")
    builder.contact("2024-10-30", summary="先月の支援")  # another month: left out
    phone = builder.contact("2024-11-12", mode="phone", summary="体調確認")
    visit = builder.contact(
        "2024-11-20", counterpart="employer", party="株式会社サンプル", summary="上司と面談"
    )
    report = _draft(builder)
    assert [x.version for x in report.face_to_face] == [f2f]
    assert report.face_to_face[0].place == "職場" and report.face_to_face[0].mode_ja == "対面"
    assert [(x.version, x.with_ja) for x in report.employer_contacts] == [
        (visit, "株式会社サンプル")
    ]
    assert [(x.version, x.mode_ja) for x in report.other_contacts] == [(phone, "電話")]
    assert report.person == "試験 花子" and report.employer == "株式会社サンプル"
    assert report.situation.splitlines() == [
        "11月5日(本人・対面): 業務に慣れてきた",
        "11月12日(本人・電話): 体調確認",
        "11月20日(事業主・対面): 上司と面談",
    ]


def test_goals_come_from_the_latest_plan_on_or_before_the_months_end(
    builder: CaseBuilder,
) -> None:
    builder.plan("2024-11-30", ["週5日の勤務を続ける"])
    builder.plan("2024-12-01", ["翌月の目標"])  # after the month: not this month's plan
    report = _draft(builder)
    assert report.goals == ("週5日の勤務を続ける",)
    assert report.plan_revised_on == date(2024, 11, 30)
    assert "「週5日の勤務を続ける」" in report.next_steps
    # The next review (PLAN-2) is due 2025-02-28: not by next month's end, so not named.
    assert "見直し期限" not in report.next_steps


def test_next_steps_name_a_plan_review_falling_due_by_the_end_of_next_month(
    builder: CaseBuilder,
) -> None:
    # Revised 2024-10-01 → due by 2024-12-31 (PLAN-2, CAL-2), the end of the next month.
    assert "支援計画の見直し期限は2024-12-31です。" in _draft(builder).next_steps
    assert "見直し期限" not in _draft(builder, month="2024-10").next_steps
    overdue = _draft(builder, on="2025-02-05").next_steps  # read after the due day
    assert "見直し期限(2024-12-31)を過ぎています" in overdue


def test_verdict_names_mon2_when_the_month_had_only_a_phone_contact(
    builder: CaseBuilder,
) -> None:
    builder.contact("2024-11-12", mode="phone")
    verdict = _draft(builder).verdict
    assert not verdict.met and verdict.face_to_face == 0
    assert [rule for rule, _ in verdict.reasons] == ["MON-2"]


def test_verdict_is_met_with_face_to_face_and_never_carries_mon4(builder: CaseBuilder) -> None:
    builder.contact("2024-11-05")
    before = _draft(builder)
    assert before.verdict.met and before.verdict.reasons == ()
    builder.report(MONTH, "2024-12-05", ["本人"])
    after = _draft(builder)
    # Recording the report must not change the content it was recorded with.
    assert content_sha256(after) == content_sha256(before)


def test_hash_changes_with_the_edited_text_but_not_with_line_endings(
    builder: CaseBuilder,
) -> None:
    report = _draft(builder)
    edited = report.with_text("落ち着いて勤務しています。\r\n休憩も取れています。  ", None)
    assert edited.situation == "落ち着いて勤務しています。\n休憩も取れています。"
    assert content_sha256(edited) != content_sha256(report)
    same = report.with_text("落ち着いて勤務しています。\n休憩も取れています。", None)
    assert content_sha256(same) == content_sha256(edited)
    assert edited.next_steps == report.next_steps
    assert normalize_text(" a \r b\n") == "a\n b"


def test_a_corrected_contact_changes_the_draft_and_its_hash(builder: CaseBuilder) -> None:
    version = builder.contact("2024-11-05", summary="誤記")
    first = _draft(builder)
    builder.correct(version, contact_on="2024-11-05", counterpart="person",
                    mode="face_to_face", summary="正しい記録")  # fmt: skip
    second = _draft(builder)
    assert second.face_to_face[0].summary == "正しい記録"
    assert content_sha256(second) != content_sha256(first)


def test_month_must_be_yyyy_mm() -> None:
    assert month_first_day("2024-02") == date(2024, 2, 1)
    for bad in ("2024-13", "2024-2", "24-02", "2024/02"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            month_first_day(bad)


# -- recipients (CON-1..3) ------------------------------------------------------------


def _recipients(
    b: CaseBuilder, shared_on: str, asked: tuple[str, ...] = ()
) -> dict[str, Recipient]:
    history = read_records(b.records, d(shared_on)).history
    found = recipients(history, d("2024-11-30"), d(shared_on), asked)
    return {r.name: r for r in found}


def test_the_person_is_always_allowed_and_a_written_consent_allows_its_party(
    builder: CaseBuilder,
) -> None:
    builder.consent("C1", "2024-10-01", ["株式会社サンプル"], ["勤務状況"])
    found = _recipients(builder, "2024-12-05")
    assert found["本人"].allowed and found["本人"].rule == "MON-4"
    assert found["株式会社サンプル"].allowed
    assert "C1" in found["株式会社サンプル"].reason_ja


def test_a_withdrawn_consent_refuses_its_party_under_con2(builder: CaseBuilder) -> None:
    builder.consent("C2", "2024-10-01", ["ハローワーク"], ["勤務状況"])
    builder.event("consent_withdrawn", consent_id="C2", withdrawn_on="2024-11-20")
    assert _recipients(builder, "2024-11-19")["ハローワーク"].allowed  # before withdrawal
    refused_one = _recipients(builder, "2024-12-05")["ハローワーク"]
    assert not refused_one.allowed and refused_one.rule == "CON-2"
    assert "2024-11-20に撤回" in refused_one.reason_ja


def test_an_expired_or_oral_or_later_consent_does_not_allow_sharing(
    builder: CaseBuilder,
) -> None:
    builder.event(
        "consent_given", consent_id="C3", given_on="2024-10-01", written=True,
        parties=["医療機関A"], information=["体調"], valid_until="2024-11-30",
    )  # fmt: skip
    builder.consent("C4", "2024-10-01", ["家族会"], ["体調"], written=False)
    builder.consent("C5", "2024-12-05", ["相談支援B"], ["体調"])
    found = _recipients(builder, "2024-12-04")
    assert (found["医療機関A"].allowed, found["医療機関A"].rule) == (False, "CON-1")
    assert "有効期限" in found["医療機関A"].reason_ja
    assert (found["家族会"].allowed, found["家族会"].rule) == (False, "CON-1")
    assert "書面" in found["家族会"].reason_ja
    assert (found["相談支援B"].allowed, found["相談支援B"].rule) == (False, "CON-3")


def test_parties_named_in_no_consent_are_offered_refused_with_con1(
    builder: CaseBuilder,
) -> None:
    builder.event("case_meeting_held", held_on="2024-11-25", parties=["相談支援センターあおば"],
                  information_shared=["勤務状況"])  # fmt: skip
    found = _recipients(builder, "2024-12-05", asked=("山田 太郎",))
    for name in ("株式会社サンプル", "相談支援センターあおば", "山田 太郎"):
        assert not found[name].allowed and found[name].rule == "CON-1", name
        assert "書面の同意の記録がありません" in found[name].reason_ja
    order = list(found)
    assert order[0] == "本人"
    chosen = ["本人", "山田 太郎"]
    assert [r.name for r in refused(tuple(found.values()), chosen)] == ["山田 太郎"]


def test_the_persons_own_name_is_not_offered_as_another_party(builder: CaseBuilder) -> None:
    found = _recipients(builder, "2024-12-05", asked=("試験 花子", "利用者本人"))
    assert "試験 花子" not in found and "利用者本人" not in found


def test_the_pdf_font_falls_back_to_the_font_shipped_on_pypi(
    tmp_path: Path, builder: CaseBuilder
) -> None:
    fallback = japanese_font(debian=tmp_path / "absent.ttf")
    assert fallback.name == "ipaexg.ttf" and fallback.is_file()
    # A machine without Debian's fonts still renders Japanese that reads back.
    builder.contact("2024-11-05", summary="職場での様子は安定")
    report = _draft(builder)
    pdf = render_pdf(report, content_sha256(report), font=fallback)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "支援レポート" in text and "職場での様子は安定" in text and "試験 花子" in text
    present = tmp_path / "ipag.ttf"
    present.write_bytes(b"x")
    assert japanese_font(debian=present) == present
