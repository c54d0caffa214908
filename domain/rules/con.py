"""Rule CON of spec/rules.md: consent and sharing (CON-1..CON-3).

"Why is this sharing a violation?" leads here: how two names of a party are compared
(:func:`party_key`), who the person themself is (no consent needed), how parties are
stored (名前 → 本人), and why one consent does not allow one sharing. Pure: payloads and
dates in, findings out; ``projections/consent.py`` applies them to a case's history.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

#: CON-1: the kinds of information staff choose from on the consent, contact and meeting
#: forms (other text is still allowed). Taken from the examples of S003 (能開施設から提供
#: する情報の例) and what the demo and the staff record: a list to pick from, not a law.
INFORMATION_CATEGORIES_JA: tuple[str, ...] = (
    "就労状況", "健康状態", "通院・服薬の状況", "障害特性", "職場での配慮事項",
    "生活状況", "家族の状況", "支援計画", "支援レポート",
)  # fmt: skip

#: CON-1 ⚠: honorifics a party may be written with; they do not change who is meant.
HONORIFICS: tuple[str, ...] = ("御中", "さま", "さん", "様", "殿", "氏")
#: CON-1 ⚠: 法人格 written short (NFKC has already turned ㈱ into (株), ㈲ into (有)). Only
#: the abbreviation is expanded, in place: 前株 and 後株 stay different names.
_LEGAL_FORMS: tuple[tuple[str, str], ...] = (("(株)", "株式会社"), ("(有)", "有限会社"))


def information_key(item: str) -> str:
    """CON-2: a kind of information as compared: width (NFKC), spaces and case do not count."""
    return "".join(unicodedata.normalize("NFKC", item).split()).casefold()


def party_key(name: str) -> str:
    """CON-1 ⚠: a party's name as compared everywhere parties are matched.

    CON-1 is about *who*, not how the name was typed: full- and half-width forms (NFKC,
    which also makes ㈱ read (株)), spaces and letter case do not count, (株)/(有) read
    株式会社/有限会社, and honorifics at the end (様, 殿, 御中, さん, さま, 氏) are dropped.
    「株式会社みほん商事(架空) 人事課 田中様」 and 「株式会社みほん商事(架空)人事課田中」
    are one party.
    """
    key = information_key(name)
    for short, full in _LEGAL_FORMS:
        key = key.replace(short, full)
    stripped = True
    while stripped:
        stripped = False
        for honorific in HONORIFICS:
            if key.endswith(honorific) and len(key) > len(honorific):
                key, stripped = key[: -len(honorific)], True
    return key


#: How many compared forms of names and kinds *as recorded* in consents and sharings are
#: kept in memory (:func:`_recorded_key`, :func:`_recorded_information_key`, and
#: :func:`consent_names`' answers). A case's fold compares the same few dozen recorded
#: names thousands of times (issue 24: a fifth of a view row's time). A recorded party
#: field names the person as 「本人」 (:func:`parties_as_self`), and the person's own name
#: is compared without being kept (:func:`is_the_person`); :func:`party_key` itself keeps
#: nothing, since forms and writes pass it what was typed.
KEYS_KEPT = 4096


@lru_cache(maxsize=KEYS_KEPT)
def _recorded_key(name: str) -> str:
    """:func:`party_key` of a party or kind of information as recorded, kept in memory."""
    return party_key(name)


@lru_cache(maxsize=KEYS_KEPT)
def _recorded_information_key(item: str) -> str:
    """:func:`information_key` of a kind of information as recorded, kept in memory."""
    return information_key(item)


def same_party(a: str, b: str) -> bool:
    """CON-1 ⚠: do ``a`` and ``b`` name the same party (:func:`party_key`)?"""
    return party_key(a) == party_key(b)


@lru_cache(maxsize=KEYS_KEPT)
def consent_names(consented: str, party: str) -> bool:
    """CON-1/CON-2 ⚠: does a consent naming ``consented`` name ``party``?

    Yes when both name the same party (:func:`same_party`), or when ``party`` is
    ``consented`` followed, after a space, by a part of it: 「株式会社みほん商事(架空) 人事課
    田中様」 is someone *at* the company a consent names, and giving information to a
    company's staff is giving it to the company. The reverse does not hold: a consent
    naming only 「人事課 田中」 at a company does not allow telling the company at large.
    """
    if same_party(consented, party):
        return True
    words = unicodedata.normalize("NFKC", party).split()
    wanted = party_key(consented)
    return any(party_key("".join(words[:n])) == wanted for n in range(1, len(words)))


#: CON-1: how a contact's counterpart is named as the receiving party when the record
#: names no party (consents name parties in Japanese, never by these codes).
COUNTERPART_LABEL_JA: dict[str, str] = {
    "person": "本人",
    "employer": "事業主",
    "family": "家族",
    "agency": "関係機関",
    "medical": "医療機関",
}

#: How records name the person themself when listing who received something.
PERSON_SELF_NAMES: frozenset[str] = frozenset({"本人", "利用者本人"})
_SELF_KEYS = frozenset(party_key(n) for n in PERSON_SELF_NAMES)


def is_the_person(party: str, person_names: Iterable[str] = ()) -> bool:
    """CON-1/MON-4: does ``party`` name the person themself (no consent needed for them)?

    Compared as :func:`party_key` compares parties: 「試験 花子さん」 is 「試験花子」.
    ``party`` is as recorded; the person's own names are compared without being kept.
    """
    key = _recorded_key(party)
    return key in _SELF_KEYS or any(key == party_key(n) for n in person_names if n)


#: The fields of each event type that name who took part or received something.
PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    "consent_given": ("parties",),
    "contact_recorded": ("party",),
    "case_meeting_held": ("parties",),
    "support_report_shared": ("shared_with",),
}


def parties_as_self(
    event_type: str, payload: dict[str, Any], person_names: Iterable[str]
) -> dict[str, Any]:
    """``payload`` with each party naming the person (their name or kana) written 本人.

    Stored this way, CON-1 and MON-4 never depend on the person's name, so their results
    stay the same after the name is erased (issue 12), and the name is not kept in clear
    in a party field. Names are compared by :func:`party_key` ("試験 花子さん" is
    "試験花子"); a list keeps its order and names 本人 once.
    """
    names = {party_key(n) for n in person_names if party_key(n)}
    fields = PARTY_FIELDS.get(event_type, ())
    if not names or not any(f in payload for f in fields):
        return payload

    def as_self(party: str) -> str:
        return "本人" if party_key(party) in names else party

    out = dict(payload)
    for name in fields:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = as_self(value)
        elif isinstance(value, list):
            named = [as_self(v) for v in value]
            first = named.index("本人") if "本人" in named else len(named)
            out[name] = [v for i, v in enumerate(named) if v != "本人" or i == first]
    return out


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What a consent says, as read at an instant (``withdrawn_on`` None if never)."""

    consent_id: str
    given_on: date
    written: bool
    parties: tuple[str, ...]
    information: tuple[str, ...]
    valid_until: date | None = None
    withdrawn_on: date | None = None


@dataclass(frozen=True, slots=True)
class ConsentDefect:
    """Why one consent does not allow one sharing: the rule, a code, a sentence."""

    rule: str
    code: str
    text_ja: str


def consent_defect(
    consent: ConsentTerms, party: str, information: Sequence[str], shared_on: date
) -> ConsentDefect | None:
    """CON-1..CON-3 [S000, S003]: why ``consent`` does not allow this sharing, or None.

    A consent allows a sharing when it is written (CON-1), was given on or before the
    sharing day (CON-3: a later consent does not cure it), was not withdrawn on or
    before that day (CON-2), had not passed its ``valid_until`` (CON-1), and names the
    party (CON-2) and every information category shared (CON-2).
    """
    cid = consent.consent_id
    if consent.given_on > shared_on:
        given = consent.given_on.isoformat()
        text = f"同意{cid}は共有の後({given})に取得されており、事後の同意では足りません"
        return ConsentDefect("CON-3", "given_after", text)
    if not consent.written:
        return ConsentDefect("CON-1", "not_written", f"同意{cid}は書面による同意ではありません")
    if consent.withdrawn_on is not None and consent.withdrawn_on <= shared_on:
        text = f"同意{cid}は{consent.withdrawn_on.isoformat()}に撤回されています"
        return ConsentDefect("CON-2", "withdrawn", text)
    if consent.valid_until is not None and shared_on > consent.valid_until:
        text = f"同意{cid}の有効期限{consent.valid_until.isoformat()}を過ぎています"
        return ConsentDefect("CON-1", "expired", text)
    if not names_party(consent, party):
        text = f"同意{cid}の提供先は{_quoted(consent.parties)}で、「{party}」を含みません"
        return ConsentDefect("CON-2", "party_not_named", text)
    missing = [item for item in information if not names_information(consent, item)]
    if missing:
        named = _quoted(consent.information) or "(記載なし)"
        text = f"同意{cid}の情報の種類は{named}で、{_quoted(missing)}を含みません"
        return ConsentDefect("CON-2", "information_not_named", text)
    return None


def names_party(consent: ConsentTerms, party: str) -> bool:
    """CON-2: does ``consent`` name ``party`` (:func:`consent_names`, width, spaces,
    honorifics and 株式会社/(株) aside)?"""
    return any(consent_names(named, party) for named in consent.parties)


def names_information(consent: ConsentTerms, item: str) -> bool:
    """CON-2: does ``consent`` name the kind of information ``item`` (:func:`information_key`)?"""
    key = _recorded_information_key(item)
    return any(_recorded_information_key(named) == key for named in consent.information)


def _quoted(items: Iterable[str]) -> str:
    return "".join(f"「{item}」" for item in items)


def closest_consent(
    consents: Sequence[ConsentTerms], party: str, information: Sequence[str], shared_on: date
) -> ConsentTerms | None:
    """CON-2: the consent a dispute is about: naming the party, then most of the information.

    Used to explain a violation by the consent that came nearest to allowing it.
    """
    if not consents:
        return None

    def nearness(c: ConsentTerms) -> tuple[bool, int, bool, date]:
        named = sum(1 for item in information if names_information(c, item))
        return (names_party(c, party), named, c.given_on <= shared_on, c.given_on)

    return max(consents, key=nearness)
