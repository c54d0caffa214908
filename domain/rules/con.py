"""Rule CON of spec/rules.md: consent and sharing (CON-1..CON-3).

"Why is this sharing a violation?" leads here: who the person themself is (no consent
needed), how parties are stored (名前 → 本人), and why one consent does not allow one
sharing. Pure: payloads and dates in, findings out; ``projections/consent.py`` applies
them to a case's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

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


def is_the_person(party: str, person_names: Iterable[str] = ()) -> bool:
    """CON-1/MON-4: does ``party`` name the person themself (no consent needed for them)?"""
    return party in PERSON_SELF_NAMES or party in set(person_names)


#: The fields of each event type that name who took part or received something.
PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    "consent_given": ("parties",),
    "contact_recorded": ("party",),
    "case_meeting_held": ("parties",),
    "support_report_shared": ("shared_with",),
}

_BLANKS = str.maketrans("", "", " \u3000\t")


def parties_as_self(
    event_type: str, payload: dict[str, Any], person_names: Iterable[str]
) -> dict[str, Any]:
    """``payload`` with each party naming the person (their name or kana) written 本人.

    Stored this way, CON-1 and MON-4 never depend on the person's name, so their results
    stay the same after the name is erased (issue 12), and the name is not kept in clear
    in a party field. Spaces do not matter ("試験 花子" is "試験花子"); a list keeps its
    order and names 本人 once.
    """
    names = {n.translate(_BLANKS) for n in person_names if n.translate(_BLANKS)}
    fields = PARTY_FIELDS.get(event_type, ())
    if not names or not any(f in payload for f in fields):
        return payload

    def as_self(party: str) -> str:
        return "本人" if party.translate(_BLANKS) in names else party

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
    if party not in consent.parties:
        return ConsentDefect(
            "CON-2", "party_not_named", f"同意{cid}は提供先「{party}」を含みません"
        )
    missing = [item for item in information if item not in consent.information]
    if missing:
        text = f"同意{cid}は情報の種類「{'」「'.join(missing)}」を含みません"
        return ConsentDefect("CON-2", "information_not_named", text)
    return None


def closest_consent(
    consents: Sequence[ConsentTerms], party: str, information: Sequence[str], shared_on: date
) -> ConsentTerms | None:
    """CON-2: the consent a dispute is about: naming the party, then most of the information.

    Used to explain a violation by the consent that came nearest to allowing it.
    """
    if not consents:
        return None

    def nearness(c: ConsentTerms) -> tuple[bool, int, bool, date]:
        named = sum(1 for item in information if item in c.information)
        return (party in c.parties, named, c.given_on <= shared_on, c.given_on)

    return max(consents, key=nearness)

