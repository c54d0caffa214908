"""Rules EVID and END of spec/rules.md: evidence of retention and the end of support.

Dates are counted only through :mod:`domain.rules.cal` (rule CAL). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.rules.cal import add_months, day_after, next_period_start, period_end

#: EVID-1 [QA H30]: the person's employment certificate (在職証明書) proves retention in
#: principle; where it cannot be had (e.g. undisclosed employment), a payslip or a copy
#: of the insurance card. Together with the provider's own records.
PRIMARY_EVIDENCE = "employment_certificate"
FALLBACK_EVIDENCE: tuple[str, ...] = ("payslip", "insurance_card")
ACCEPTED_EVIDENCE: tuple[str, ...] = (PRIMARY_EVIDENCE, *FALLBACK_EVIDENCE)


def is_accepted_evidence(kind: str) -> bool:
    """EVID-1 [QA H30]: is ``kind`` a document accepted as proof of retention?"""
    return kind in ACCEPTED_EVIDENCE


#: EVID-1 ⚠ (an interpretation): a document covering any day from this many months before
#: a support year starts, up to its last day, proves retention for that year (a
#: certificate asked for while the contract is being signed is not too early).
EVIDENCE_LEAD_MONTHS = 3
#: EVID-1 ⚠ (a product choice, not a rule): a year's proof is listed as due from this
#: many days before the year's last day, the day by which it is due.
EVIDENCE_WARNING_DAYS = 60


@dataclass(frozen=True, slots=True)
class SupportYear:
    """The ``number``-th year of support (PER-1), ``first_day`` to ``last_day``."""

    number: int
    first_day: date
    last_day: date

    def proved_by(self, covers_on: date, kind: str) -> bool:
        """EVID-1 ⚠: does a document of ``kind`` covering ``covers_on`` count for this year?"""
        window = add_months(self.first_day, -EVIDENCE_LEAD_MONTHS)
        return is_accepted_evidence(kind) and window <= covers_on <= self.last_day


@dataclass(frozen=True, slots=True)
class EvidenceDue:
    """EVID-1: a support year whose proof is not in hand: due by ``year.last_day``."""

    year: SupportYear
    overdue: bool


def support_years(support_from: date, support_end: date | None, through: date) -> list[SupportYear]:
    """PER-1: the 12-month years of support from ``support_from`` (CAL-2) that start on or
    before ``through``; the last one ends on ``support_end`` (PER-2) when that comes first."""
    years: list[SupportYear] = []
    first = support_from
    while first <= through and (support_end is None or first <= support_end):
        n = len(years) + 1
        last = period_end(support_from, 12 * n)
        years.append(SupportYear(n, first, min(last, support_end) if support_end else last))
        first = next_period_start(support_from, 12 * n)
    return years


def evidence_due(
    support_from: date, support_end: date | None, proofs: Iterable[tuple[date, str]], on: date
) -> list[EvidenceDue]:
    """EVID-1 [QA H30] ⚠: the support years whose proof of retention is due on ``on``.

    A year's proof is due by the year's last day; it is listed from
    :data:`EVIDENCE_WARNING_DAYS` days before that day, and as overdue after it, until a
    document accepted by EVID-1 covering a day of the year, or of the
    :data:`EVIDENCE_LEAD_MONTHS` months before it, is in hand. ``proofs`` are
    (covers_on, kind) of the documents received.
    """
    proofs = list(proofs)
    out: list[EvidenceDue] = []
    for year in support_years(support_from, support_end, on):
        if any(year.proved_by(covers_on, kind) for covers_on, kind in proofs):
            continue
        if on > year.last_day:
            out.append(EvidenceDue(year, overdue=True))
        elif (year.last_day - on).days <= EVIDENCE_WARNING_DAYS:
            out.append(EvidenceDue(year, overdue=False))
    return out


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
