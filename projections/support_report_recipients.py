"""Who may receive the month's support report on the sharing day (CON-1..CON-3, MON-4).

The person themself (「本人」) always may: MON-4 asks that the report reach them, and no
consent is needed to tell a person about themself. Any other party may only when a
written consent given on or before the sharing day, neither withdrawn nor expired on
it, names the party (:func:`domain.rules.con.consent_defect`; a report records no
information categories, so only the party is checked, as in
:mod:`projections.consent`). Every party named in a consent is offered; so are the
parties the case knows without a consent (the employer, the month's contacts and
meetings), refused, each with the rule and the reason a staff member can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.history import Fact, History
from domain.payloads import CaseMeetingHeld, CaseOpened, ConsentGiven, ConsentWithdrawn, Hired
from domain.payloads import ContactRecorded as Contact
from domain.rules import con

PERSON = "本人"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A party the report may (``allowed``) or may not go to, and why."""

    name: str
    allowed: bool
    rule: str  # CON-1/CON-2/CON-3; "MON-4" for the person
    reason_ja: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "allowed": self.allowed, "rule": self.rule,
                "reason_ja": self.reason_ja}  # fmt: skip


def recipients(
    history: History, month_last_day: date, shared_on: date, asked: Iterable[str] = ()
) -> tuple[Recipient, ...]:
    """The person, then every party allowed on ``shared_on``, then every refused one.

    ``asked`` are further names staff typed in; each is judged like the others.
    """
    terms = consent_terms(history.facts)
    person_names = _person_names(history)
    names: list[str] = []
    for t in terms:
        names += t.parties
    names += _known_parties(history.facts, month_last_day)
    names += [n.strip() for n in asked if n.strip()]
    judged = [_judge(terms, name, shared_on) for name in _unique(names, person_names)]
    person = Recipient(
        PERSON, True, "MON-4", "本人には同意なしで共有できます(レポートは本人に渡します)"
    )
    return (person, *[r for r in judged if r.allowed], *[r for r in judged if not r.allowed])


def refused(found: tuple[Recipient, ...], chosen: Iterable[str]) -> list[Recipient]:
    """Those of ``chosen`` that may not receive the report (CON-1..3), with the reason.

    A name is looked up as :func:`domain.rules.con.party_key` reads it, so 「ハローワーク様」
    typed in is refused when 「ハローワーク」 is.
    """
    by_key = {con.party_key(r.name): r for r in found}
    picked = [by_key.get(con.party_key(n)) for n in chosen]
    return list({r.name: r for r in picked if r is not None and not r.allowed}.values())


def _judge(terms: list[con.ConsentTerms], party: str, day: date) -> Recipient:
    for t in terms:
        if con.consent_defect(t, party, (), day) is None:
            return Recipient(party, True, "CON-1", f"書面の同意{t.consent_id}で共有できます")
    nearest = con.closest_consent(terms, party, (), day)
    defect = con.consent_defect(nearest, party, (), day) if nearest else None
    if nearest is None or defect is None or not con.names_party(nearest, party):
        text = f"「{party}」を共有先とする書面の同意の記録がありません"
        return Recipient(party, False, "CON-1", text)
    return Recipient(party, False, defect.rule, defect.text_ja)


def consent_terms(facts: Iterable[Fact]) -> list[con.ConsentTerms]:
    """Each consent's terms with its withdrawal day (the first withdrawal counts)."""
    facts = list(facts)
    withdrawn: dict[str, date] = {}
    for fact in facts:
        if isinstance(fact.payload, ConsentWithdrawn):
            withdrawn.setdefault(fact.payload.consent_id, fact.payload.withdrawn_on)
    return [
        con.ConsentTerms(p.consent_id, p.given_on, p.written, tuple(p.parties),
                            tuple(p.information), p.valid_until, withdrawn.get(p.consent_id))
        for p in (f.payload for f in facts) if isinstance(p, ConsentGiven)
    ]  # fmt: skip


def _known_parties(facts: Iterable[Fact], last: date) -> list[str]:
    """Parties the case knows by name up to the month's end: employers, contacts, meetings."""
    out: list[str] = []
    for fact in facts:
        p = fact.payload
        if fact.effective_on > last:
            continue
        if isinstance(p, Hired):
            out.append(p.employer.name)
        elif isinstance(p, Contact) and p.party:
            out.append(p.party)
        elif isinstance(p, CaseMeetingHeld):
            out += p.parties
    return out


def _person_names(history: History) -> frozenset[str]:
    opened = history.opened()
    if opened is not None and isinstance(opened.payload, CaseOpened):
        return frozenset({opened.payload.person.name})
    return frozenset()


def _unique(names: list[str], person_names: frozenset[str]) -> list[str]:
    """Each party once, as first written (a consent's spelling before one typed in)."""
    seen: dict[str, str] = {}
    for name in names:
        if not con.is_the_person(name, person_names):
            seen.setdefault(con.party_key(name), name)
    return list(seen.values())
