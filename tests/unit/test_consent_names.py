"""CON-1..CON-2 are about *who* and *what*, not how it was typed (issue 20, decision 0033):
width, spaces, honorifics and (株) do not make a party another; a different party still
violates, explained by the closest consent."""

from __future__ import annotations

from typing import Any

import pytest

from domain.rules import con
from projections.compliance import compliance
from projections.reading import read_records
from projections.support_report_recipients import recipients, refused
from tests.factories import CaseBuilder, d

SHOP = "株式会社みほん商事(架空)"
TANAKA = f"{SHOP} 人事課 田中"
WORK = "就労状況"
HEALTH = "健康状態"


def consented(*parties: str, information: tuple[str, ...] = (WORK,)) -> CaseBuilder:
    b = CaseBuilder(opened_on="2024-03-01")
    b.hired("2024-04-01", employer=SHOP)
    b.consent("C-1", "2024-10-01", list(parties), list(information))
    return b


def visit(b: CaseBuilder, party: str, information: tuple[str, ...] = (WORK,)) -> int:
    return b.contact("2024-11-15", counterpart="employer", party=party,
                     information_shared=list(information))  # fmt: skip


def violations(b: CaseBuilder) -> list[dict[str, Any]]:
    return compliance(b.records, d("2025-03-01")).as_json()["consent_violations"]


def test_sharing_with_tanaka_sama_is_allowed_by_a_consent_naming_tanaka() -> None:
    b = consented("田中")
    visit(b, "田中様")

    assert violations(b) == []


def test_an_employer_visit_to_tanaka_sama_is_allowed_by_a_consent_naming_tanaka() -> None:
    b = consented(TANAKA)
    visit(b, f"{TANAKA}様")

    assert violations(b) == []


@pytest.mark.parametrize(
    "typed",
    [
        "株式会社みほん商事(架空)　人事課　田中",  # full-width brackets and spaces
        "株式会社みほん商事(架空)人事課田中",  # no spaces
        "㈱みほん商事(架空) 人事課 田中 様",  # ㈱, a space before the honorific
        "(株)みほん商事(架空) 人事課 田中殿",  # (株), 殿
        "株式会社みほん商事(架空) 人事課 田中さん",
    ],
)
def test_width_spaces_honorifics_and_kabu_variants_name_the_consented_party(typed: str) -> None:
    b = consented(TANAKA)
    visit(b, typed)

    assert violations(b) == []


def test_half_width_katakana_and_full_width_letters_name_the_same_party() -> None:
    b = consented("ハローワークABC", "相談支援センター")
    visit(b, "ﾊﾛｰﾜｰｸＡＢＣ 御中")
    visit(b, "相談支援センター 御中")

    assert violations(b) == []


def test_someone_at_the_consented_company_is_that_company_but_not_the_reverse() -> None:
    # Given one consent naming the company, another naming one person at another company
    b = consented(SHOP, "架空物流株式会社 総務課 鈴木")
    visit(b, f"{SHOP} 人事課 田中様")  # someone at the company: the company (⚠)
    company = visit(b, "架空物流株式会社")  # the company at large: not only 鈴木
    glued = visit(b, f"{SHOP}人事課田中様")  # no space: not read as someone at the company

    assert [v["version"] for v in violations(b)] == [company, glued]


def test_a_kind_of_information_typed_with_spaces_or_full_width_is_the_consented_kind() -> None:
    b = consented(SHOP, information=("就労状況", "ADL"))
    visit(b, SHOP, information=("就労 状況", "ＡＤＬ"))

    assert violations(b) == []


def test_a_different_party_still_violates_explained_by_the_closest_consent() -> None:
    # Given consents naming the company for 就労状況 and a clinic for 健康状態
    b = consented(SHOP)
    b.consent("C-2", "2024-10-02", ["みほんクリニック(架空)"], [HEALTH])
    # When 就労状況 goes to another person of the same name at a different body
    other = visit(b, "ハローワーク見本 田中様")

    (found,) = violations(b)

    # Then it is a CON-2 violation, explained by C-1 (it names 就労状況), saying whom it names
    assert (found["version"], found["party"], found["rule"]) == (
        other, "ハローワーク見本 田中様", "CON-2"
    )  # fmt: skip
    assert found["text_ja"] == (
        f"2024-11-15の支援記録(第{other}版)で「ハローワーク見本 田中様」に就労状況を"
        f"提供しましたが、最も近い同意C-1の提供先は「{SHOP}」で、"
        "「ハローワーク見本 田中様」を含みません"
    )


def test_an_unnamed_kind_is_explained_by_the_kinds_the_consent_names() -> None:
    b = consented(TANAKA)
    sharing = visit(b, f"{TANAKA}様", information=(WORK, HEALTH))

    (found,) = violations(b)

    assert found["text_ja"] == (
        f"2024-11-15の支援記録(第{sharing}版)で「{TANAKA}様」に就労状況、健康状態を"
        "提供しましたが、同意C-1の情報の種類は「就労状況」で、「健康状態」を含みません"
    )


def test_a_party_naming_the_person_with_an_honorific_is_recorded_as_honnin() -> None:
    b = consented(SHOP)  # the person is 試験 花子 (シケン ハナコ)
    contact = b.contact("2024-11-12", mode="phone", counterpart="person", party="試験花子さん")
    shared = b.report("2024-11", "2024-12-02", shared_with=["ｼｹﾝ ﾊﾅｺ 様", SHOP])

    stored = {r.version: r.payload for r in b.records}
    assert stored[contact]["party"] == "本人"
    assert stored[shared]["shared_with"] == ["本人", SHOP]


def test_a_report_recipient_typed_with_an_honorific_is_judged_as_the_consented_party() -> None:
    # Given a consent naming the company, and a meeting with a body no consent names
    b = consented(SHOP)
    b.event("case_meeting_held", held_on="2024-11-20", parties=["ハローワーク見本"],
            information_shared=[])  # fmt: skip
    history = read_records(b.records, d("2024-12-05")).history

    found = recipients(history, d("2024-11-30"), d("2024-12-05"), asked=[f"{SHOP} 御中"])

    # Then the typed name is the consented party, offered once; an honorific does not
    # slip the refused body through
    assert [r.name for r in found] == ["本人", SHOP, "ハローワーク見本"]
    assert refused(found, [f"{SHOP} 御中"]) == []
    assert [r.name for r in refused(found, ["ハローワーク見本 御中"])] == ["ハローワーク見本"]


def test_party_key_keeps_different_names_apart() -> None:
    assert con.party_key("田中") != con.party_key("田中太郎")
    assert con.party_key("株式会社みほん") != con.party_key("みほん株式会社")  # 前株 ≠ 後株
    assert con.party_key("様") == "様"  # an honorific alone is left as written
    assert con.party_key("㈱みほん 御中") == con.party_key("株式会社みほん")


def test_compared_names_are_kept_in_memory_but_never_the_persons_own() -> None:
    """Issue 24: the compared form of a recorded party is kept, so a fold compares each
    name once; the person's own name, given to compare against, is never kept."""
    con._recorded_key.cache_clear()
    con.consent_names.cache_clear()
    assert con.is_the_person("試験 花子さん", frozenset({"試験花子"}))
    assert not con.is_the_person(TANAKA, frozenset({"試験花子"}))
    stored = con.parties_as_self("contact_recorded", {"party": "試験花子様"}, ["試験 花子"])
    assert stored == {"party": "本人"}
    assert con._recorded_key.cache_info().currsize == 2  # the two recorded parties only
    assert con.consent_names(SHOP, TANAKA) and con.consent_names(SHOP, TANAKA)
    assert con.consent_names.cache_info().hits == 1
