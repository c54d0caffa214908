"""Rules EVID and END of spec/rules.md: evidence of retention and the end of support.

Dates are counted only through :mod:`domain.rules.cal` (rule CAL). Pure.
"""

from __future__ import annotations

from datetime import date

from domain.rules.cal import add_months, day_after

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
