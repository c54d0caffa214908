"""The rules of spec/rules.md sections MON, PLAN, CON, EVID and END, one named function each.

Each docstring names the rule id and its source, so "why is this month unbillable?" or
"why is this sharing a violation?" leads here. Dates are counted only through
:mod:`domain.calendar` (rule CAL). Everything here is pure: payloads and dates in,
booleans, dates and findings out; ``projections/compliance.py`` attaches event versions
and the sentences read aloud in a dispute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.calendar import add_months, day_after, period_end
from domain.payloads import ContactRecorded, SupportReportShared

# -- MON: monthly duties and billing -------------------------------------------------

#: MON-1 ⚠ [S002]: the only contact mode that satisfies the monthly duty. Phone, mail
#: and online contacts are recorded but never satisfy it (no source allows otherwise).
FACE_TO_FACE = "face_to_face"

#: How each contact mode is named to people.
MODE_LABEL_JA: dict[str, str] = {
    "face_to_face": "対面",
    "online": "オンライン",
    "phone": "電話",
    "mail": "メール",
}


def satisfies_face_to_face(contact: ContactRecorded) -> bool:
    """MON-1 ⚠ [S002]: a face-to-face (対面) support with the person themself.

    「利用者との対面による支援を月1回以上行う」: the counterpart must be the person and
    the mode face-to-face; a face-to-face visit to the employer or family does not count.
    """
    return contact.counterpart == "person" and contact.mode == FACE_TO_FACE


def is_remote_contact_with_person(contact: ContactRecorded) -> bool:
    """MON-1 ⚠: a contact with the person that is recorded but cannot satisfy MON-1."""
    return contact.counterpart == "person" and contact.mode != FACE_TO_FACE


def is_employer_contact(contact: ContactRecorded) -> bool:
    """MON-3 [S002]: any contact with the employer (counted for the month, any mode)."""
    return contact.counterpart == "employer"


def is_employer_visit(contact: ContactRecorded) -> bool:
    """MON-3 [S002]: a visit (訪問) to the employer: face-to-face with the employer.

    Visiting the employer monthly is an effort duty (努力義務): a month without a visit
    gets a warning, never a reason to be unbillable (compliance only warns, MON-3).
    """
    return contact.counterpart == "employer" and contact.mode == FACE_TO_FACE


def report_for_month(report: SupportReportShared, month: str) -> bool:
    """MON-4 ⚠ [令和3年度報酬改定, verify]: is this the support report for ``month`` (YYYY-MM)?

    The report of a month is usually shared early the following month, so the report's
    own ``month`` field decides, not the day it was shared.
    """
    return report.month == month


def report_reaches_person(report: SupportReportShared, person_names: Iterable[str]) -> bool:
    """MON-4 ⚠: was the report shared with the person (written "本人" or their name)?"""
    names = set(person_names)
    return any(is_the_person(party, names) for party in report.shared_with)


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


# -- PLAN: the support plan ----------------------------------------------------------

#: PLAN-2 [S002]: the plan is reviewed at least once every 3 months.
PLAN_REVIEW_MONTHS = 3


def plan_required_from(support_start: date) -> date:
    """PLAN-1 [基準, S004]: the plan exists from the start of support (due that day)."""
    return support_start


def plan_review_due_by(last_revised_on: date) -> date:
    """PLAN-2 [S002]: the end of the 3-month period (CAL-2) starting on the last revision.

    Revised 2024-10-01 → due by 2024-12-31.
    """
    return period_end(last_revised_on, PLAN_REVIEW_MONTHS)


def is_overdue(due_by: date, on: date) -> bool:
    """PLAN-1/PLAN-2: a due day is overdue from the day after it (CAL-3), not on it."""
    return on > due_by


# -- CON: consent and sharing --------------------------------------------------------


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


# -- EVID, END: evidence and ending --------------------------------------------------

#: EVID-1 [QA H30]: the person's employment certificate (在職証明書) proves retention in
#: principle; where it cannot be had (e.g. undisclosed employment), a payslip or a copy
#: of the insurance card. Together with the provider's own records.
PRIMARY_EVIDENCE = "employment_certificate"
FALLBACK_EVIDENCE: tuple[str, ...] = ("payslip", "insurance_card")
ACCEPTED_EVIDENCE: tuple[str, ...] = (PRIMARY_EVIDENCE, *FALLBACK_EVIDENCE)


def is_accepted_evidence(kind: str) -> bool:
    """EVID-1 [QA H30]: is ``kind`` a document accepted as proof of retention?"""
    return kind in ACCEPTED_EVIDENCE


#: END-1 [S002]: where support is handed over when more help is needed after it ends.
HANDOVER_BODIES_JA: tuple[str, ...] = ("障害者就業・生活支援センター", "市町村の就労支援機関")

#: END-2 ⚠ [令和6年度報酬改定]: sharing with the employer and agencies (with consent)
#: should start at least this many months before the support period ends.
END_SHARING_LEAD_MONTHS = 3


def end_sharing_starts_by(support_end: date) -> date:
    """END-2 ⚠: the first day of the last three months of support, the day by which
    sharing with the employer and agencies should have started (the 3-month period
    that ends on ``support_end``, counted back by CAL)."""
    return add_months(day_after(support_end), -END_SHARING_LEAD_MONTHS)
