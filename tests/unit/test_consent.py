"""Consent and sharing (CON-1..CON-3): every sharing no consent allowed is listed for auditors."""

from __future__ import annotations

from typing import Any

from projections.compliance import compliance
from tests.factories import CaseBuilder, d

EMPLOYER = "株式会社サンプル"
WORK = "就労状況"
HEALTH = "健康状態"


def case_with_consent(written: bool = True, **consent: Any) -> tuple[CaseBuilder, int]:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=EMPLOYER)
    fields: dict[str, Any] = {
        "consent_id": "C-1",
        "given_on": "2024-10-01",
        "written": written,
        "parties": [EMPLOYER],
        "information": [WORK],
        **consent,
    }
    return b, b.event("consent_given", **fields)


def share_with_employer(b: CaseBuilder, on: str, information: list[str] | None = None) -> int:
    return b.contact(
        on, mode="phone", counterpart="employer", party=EMPLOYER,
        information_shared=information or [WORK],
    )  # fmt: skip


def violations(b: CaseBuilder, on: str = "2025-03-01") -> list[dict[str, Any]]:
    return compliance(b.records, d(on)).as_json()["consent_violations"]


def test_sharing_covered_by_a_written_consent_is_no_violation() -> None:
    b, _ = case_with_consent()
    share_with_employer(b, "2024-11-10")
    b.report("2024-11", "2024-12-02", shared_with=["本人", EMPLOYER])

    assert violations(b) == []


def test_case_meeting_with_a_party_the_consent_does_not_name_is_a_con_2_violation() -> None:
    b, consent = case_with_consent()
    meeting = b.event(
        "case_meeting_held", held_on="2024-11-10", parties=["本人", EMPLOYER, "ハローワーク"],
        information_shared=[WORK],
    )  # fmt: skip

    found = violations(b)

    assert [(v["version"], v["party"], v["rule"]) for v in found] == [
        (meeting, "ハローワーク", "CON-2")
    ]
    assert found[0]["events"] == [consent, meeting]


def test_sharing_after_withdrawal_is_a_con_2_violation_naming_the_withdrawal() -> None:
    b, consent = case_with_consent()
    withdrawal = b.event("consent_withdrawn", consent_id="C-1", withdrawn_on="2024-11-01")
    sharing = share_with_employer(b, "2024-11-10")

    found = violations(b)

    assert [(v["version"], v["rule"]) for v in found] == [(sharing, "CON-2")]
    assert found[0]["events"] == [consent, withdrawal, sharing]
    assert "撤回" in found[0]["text_ja"]


def test_sharing_on_the_day_of_withdrawal_is_already_a_violation() -> None:
    b, _ = case_with_consent()
    b.event("consent_withdrawn", consent_id="C-1", withdrawn_on="2024-11-10")
    sharing = share_with_employer(b, "2024-11-10")

    assert [(v["version"], v["rule"]) for v in violations(b)] == [(sharing, "CON-2")]


def test_unwritten_consent_does_not_allow_sharing_under_con_1() -> None:
    b, consent = case_with_consent(written=False)
    sharing = share_with_employer(b, "2024-11-10")

    found = violations(b)

    assert [(v["version"], v["rule"]) for v in found] == [(sharing, "CON-1")]
    assert found[0]["events"] == [consent, sharing]


def test_consent_given_after_the_sharing_does_not_cure_it_under_con_3() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=EMPLOYER)
    sharing = share_with_employer(b, "2024-10-05")
    consent = b.consent("C-1", "2024-10-10", parties=[EMPLOYER], information=[WORK])

    found = violations(b)

    assert [(v["version"], v["rule"]) for v in found] == [(sharing, "CON-3")]
    assert found[0]["events"] == [sharing, consent]


def test_sharing_an_information_category_the_consent_does_not_name_is_a_con_2_violation() -> None:
    b, consent = case_with_consent()
    sharing = share_with_employer(b, "2024-11-10", information=[WORK, HEALTH])

    found = violations(b)

    assert [(v["version"], v["rule"]) for v in found] == [(sharing, "CON-2")]
    assert HEALTH in found[0]["text_ja"]
    assert found[0]["events"] == [consent, sharing]


def test_sharing_with_no_consent_at_all_is_a_con_1_violation() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=EMPLOYER)
    report = b.report("2024-11", "2024-12-02", shared_with=["本人", EMPLOYER])

    found = violations(b)

    assert [(v["version"], v["party"], v["rule"]) for v in found] == [(report, EMPLOYER, "CON-1")]
    assert found[0]["events"] == [report]


def test_sharing_after_the_consent_expired_is_a_con_1_violation() -> None:
    b, _ = case_with_consent(valid_until="2024-12-31")
    allowed = share_with_employer(b, "2024-12-31")
    late = share_with_employer(b, "2025-01-06")

    found = violations(b)

    assert [(v["version"], v["rule"]) for v in found] == [(late, "CON-1")]
    assert allowed != late


def test_retracting_the_sharing_removes_the_violation() -> None:
    b, _ = case_with_consent()
    sharing = share_with_employer(b, "2024-11-10", information=[HEALTH])
    assert [v["version"] for v in violations(b)] == [sharing]

    b.retract(sharing)

    assert violations(b) == []


CENTER = "なかの障害者就業・生活支援センター"


def hand_over(b: CaseBuilder, on: str = "2025-03-31", to: str = CENTER) -> int:
    return b.event("support_ended", ended_on=on, reason="person_request", handed_over_to=to)


def test_hand_over_covered_by_a_written_consent_naming_the_body_is_no_violation() -> None:
    b, _ = case_with_consent(consent_id="C-2", given_on="2025-03-01", parties=[CENTER])
    hand_over(b)

    assert violations(b, "2025-04-30") == []


def test_hand_over_without_any_consent_naming_the_body_is_a_con_2_violation() -> None:
    b, consent = case_with_consent()  # names the employer only
    ended = hand_over(b)

    found = violations(b, "2025-04-30")

    assert [(v["version"], v["party"], v["rule"]) for v in found] == [(ended, CENTER, "CON-2")]
    assert found[0]["events"] == [consent, ended]
    assert "支援終了(引継ぎ" in found[0]["text_ja"] and CENTER in found[0]["text_ja"]


def test_hand_over_with_no_consent_at_all_is_a_con_1_violation() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=EMPLOYER)
    ended = hand_over(b)

    found = violations(b, "2025-04-30")

    assert [(v["version"], v["party"], v["rule"]) for v in found] == [(ended, CENTER, "CON-1")]
    assert found[0]["events"] == [ended]
    assert found[0]["text_ja"] == (
        f"2025-03-31の支援終了(引継ぎ・第{ended}版)で「{CENTER}」に本人に関する情報を"
        "引き継ぎましたが、書面による同意の記録がありません"
    )


def test_hand_over_after_the_consent_was_withdrawn_is_a_con_2_violation() -> None:
    b, consent = case_with_consent(consent_id="C-2", given_on="2025-03-01", parties=[CENTER])
    withdrawal = b.event("consent_withdrawn", consent_id="C-2", withdrawn_on="2025-03-20")
    ended = hand_over(b)

    found = violations(b, "2025-04-30")

    assert [(v["version"], v["rule"]) for v in found] == [(ended, "CON-2")]
    assert found[0]["events"] == [consent, withdrawal, ended]
    assert "撤回" in found[0]["text_ja"]


def test_consent_given_after_the_hand_over_does_not_cure_it_under_con_3() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=EMPLOYER)
    ended = hand_over(b)
    consent = b.consent("C-2", "2025-04-10", parties=[CENTER], information=[WORK])

    found = violations(b, "2025-04-30")

    assert [(v["version"], v["rule"]) for v in found] == [(ended, "CON-3")]
    assert found[0]["events"] == [ended, consent]


def test_hand_over_after_the_consent_expired_is_a_con_1_violation() -> None:
    b, _ = case_with_consent(
        consent_id="C-2", given_on="2024-10-01", parties=[CENTER], valid_until="2025-03-30"
    )
    ended = hand_over(b)

    assert [(v["version"], v["rule"]) for v in violations(b, "2025-04-30")] == [(ended, "CON-1")]


def test_hand_over_needs_only_a_consent_naming_the_body_whatever_kinds_it_names() -> None:
    # A hand-over records no information kinds: a consent naming the body for any kind allows it.
    b, _ = case_with_consent(
        consent_id="C-2", given_on="2025-03-01", parties=[CENTER], information=[HEALTH]
    )
    hand_over(b)

    assert violations(b, "2025-04-30") == []


def test_support_ended_without_a_hand_over_shares_nothing() -> None:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=EMPLOYER)
    b.event("support_ended", ended_on="2025-03-31", reason="person_request")

    assert violations(b, "2025-04-30") == []


def test_a_party_naming_the_person_is_recorded_as_honnin_so_no_rule_needs_the_name() -> None:
    b, _ = case_with_consent()
    meeting = b.event(
        "case_meeting_held", held_on="2024-11-10", parties=["試験花子", EMPLOYER, "本人"],
        information_shared=[WORK],
    )  # fmt: skip
    contact = b.contact("2024-11-12", mode="phone", counterpart="person", party="シケン　ハナコ")
    shared = b.report("2024-11", "2024-12-02", shared_with=["試験 花子", EMPLOYER])
    fixed = b.event(
        "event_corrected", target_version=meeting, reason="出席者の訂正",
        replacement={"held_on": "2024-11-10", "parties": ["試験 花子", "ハローワーク"],
                     "information_shared": [WORK]},
    )  # fmt: skip

    stored = {r.version: r.payload for r in b.records}
    assert stored[meeting]["parties"] == ["本人", EMPLOYER]
    assert stored[contact]["party"] == "本人"
    assert stored[shared]["shared_with"] == ["本人", EMPLOYER]
    assert stored[fixed]["replacement"]["parties"] == ["本人", "ハローワーク"]
    assert [(v["party"], v["rule"]) for v in violations(b)] == [("ハローワーク", "CON-2")]
