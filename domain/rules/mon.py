"""Rule MON of spec/rules.md: monthly duties and billing (MON-1..MON-4).

"Why is this month unbillable?" leads here: which contacts satisfy the monthly
face-to-face duty (MON-1/MON-2), which count as employer contact (MON-3), and which
report is the month's support report (MON-4). Pure: payloads in, booleans out;
``projections/compliance.py`` attaches event versions and sentences.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.payloads import ContactRecorded, SupportReportShared
from domain.rules.con import is_the_person

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
