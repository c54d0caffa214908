"""Consent and sharing (CON-1..CON-3): which sharings of the person's information were not allowed.

A sharing is a contact that gave information out (to its ``party``, or to the
counterpart when no party is named: "the employer" is then also the employer the person
worked for that day, so a consent naming that employer allows it), a case meeting (each
party but the person), a shared support report (each recipient but the person), or the
hand-over when support ends (END-1: to ``handed_over_to``, on ``ended_on``). The
rules themselves are :func:`domain.rules.con.consent_defect` and
:func:`domain.rules.con.closest_consent`; this module gathers the facts and attaches
versions and sentences for auditors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.history import Fact
from domain.payloads import (
    TYPE_LABEL_JA,
    CaseMeetingHeld,
    ConsentGiven,
    ConsentWithdrawn,
    ContactRecorded,
    Hired,
    SupportEnded,
    SupportReportShared,
)
from domain.rules import con
from projections.explain import Explanation, explained


@dataclass(frozen=True, slots=True)
class ConsentViolation:
    """CON-1..CON-3: one sharing (event ``version``) with one party that no consent allowed."""

    version: int
    party: str
    explanation: Explanation

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "party": self.party, **self.explanation.as_json()}


@dataclass(frozen=True, slots=True)
class Sharing:
    """One party that received the person's information in one event."""

    fact: Fact
    party: str
    information: tuple[str, ...]
    #: Other names of the same party (a contact with "the employer" may be allowed by a
    #: consent that names the employer the person worked for that day, or "事業主").
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.party, *self.aliases)

    def told_ja(self) -> str:
        """The first half of the auditor's sentence: when, in which event, what went to whom."""
        day, version = self.fact.effective_on.isoformat(), self.fact.version
        if self.fact.type == "support_ended":
            return (
                f"{day}の支援終了(引継ぎ・第{version}版)で「{self.party}」に"
                "本人に関する情報を引き継ぎましたが、"
            )
        what = "、".join(self.information) or "支援レポート"
        label = TYPE_LABEL_JA[self.fact.type]
        return f"{day}の{label}(第{version}版)で「{self.party}」に{what}を提供しましたが、"


def sharings(facts: Sequence[Fact], person_names: frozenset[str]) -> tuple[Sharing, ...]:
    """Contacts that gave information out, case meetings, shared reports and hand-overs.

    A report's information categories are not recorded, so only its recipients are
    checked against consents; the person themself ("本人" or their name) needs none.
    A hand-over (END-1) is a sharing with the body named in ``handed_over_to`` on the
    day support ended (CON-1 names "a hand-over"). It records no categories either, and
    what a hand-over passes on (the course of support as a whole) fits no one category,
    so, like a report, a written consent in force naming that body allows it.

    Found once per reading by :func:`projections.compliance.case_sharings`, which both
    :func:`consent_violations` and :func:`sharing_days` are given.
    """
    out: list[Sharing] = []
    hires = [f for f in facts if f.type == "hired"]
    for fact in facts:
        p = fact.payload
        parties: list[str] = []
        shared: tuple[str, ...] = ()
        aliases: tuple[str, ...] = ()
        if isinstance(p, ContactRecorded) and p.information_shared:
            party = p.party or con.COUNTERPART_LABEL_JA[p.counterpart]
            parties, shared = [party], tuple(p.information_shared)
            employer = _employer_on(hires, fact.effective_on)
            if p.party is None and p.counterpart == "employer" and employer is not None:
                aliases = (employer,)
        elif isinstance(p, CaseMeetingHeld) and p.information_shared:
            parties, shared = list(p.parties), tuple(p.information_shared)
        elif isinstance(p, SupportReportShared):
            parties = list(p.shared_with)
        elif isinstance(p, SupportEnded) and p.handed_over_to:
            parties = [p.handed_over_to]
        for party in parties:
            if not con.is_the_person(party, person_names):
                out.append(Sharing(fact, party, shared, aliases))
    return tuple(out)


def _employer_on(hires: Sequence[Fact], day: date) -> str | None:
    """The employer of the latest hire on or before ``day`` (CON-2: whom "事業主" meant)."""
    before = [f.payload for f in hires if f.effective_on <= day]
    last = before[-1] if before else None
    return last.employer.name if isinstance(last, Hired) else None


def _consents(facts: Sequence[Fact]) -> dict[str, tuple[con.ConsentTerms, tuple[int, ...]]]:
    """Each consent as its terms (with its withdrawal, if any) and the versions behind it."""
    withdrawn: dict[str, Fact] = {}
    for fact in (f for f in facts if f.type == "consent_withdrawn"):
        assert isinstance(fact.payload, ConsentWithdrawn)
        withdrawn.setdefault(fact.payload.consent_id, fact)
    consents: dict[str, tuple[con.ConsentTerms, tuple[int, ...]]] = {}
    for fact in (f for f in facts if f.type == "consent_given"):
        p = fact.payload
        assert isinstance(p, ConsentGiven)
        w = withdrawn.get(p.consent_id)
        w_on = w.payload.withdrawn_on if w and isinstance(w.payload, ConsentWithdrawn) else None
        terms = con.ConsentTerms(
            p.consent_id, p.given_on, p.written, tuple(p.parties), tuple(p.information),
            p.valid_until, w_on,
        )  # fmt: skip
        consents[p.consent_id] = (terms, fact.sources + (w.sources if w else ()))
    return consents


def sharing_days(shared: Sequence[Sharing]) -> list[tuple[date, int, str]]:
    """Every sharing of the person's information with another party (:func:`sharings`), as
    (day, version, party), in day order: what END-2 asks to have started before support
    ends."""
    return sorted({(s.fact.effective_on, s.fact.version, s.party) for s in shared})


def consent_violations(
    facts: Sequence[Fact], shared: Sequence[Sharing]
) -> tuple[ConsentViolation, ...]:
    """CON-1..CON-3: every (sharing event, party) that no consent allowed on the sharing day.

    ``facts`` are the case's facts as read at an instant (corrections applied) and
    ``shared`` their :func:`sharings`; the violation is explained by the consent that
    came nearest to allowing what no consent allowed
    (:func:`domain.rules.con.closest_consent`), with what it does name. Each kind of
    information needs a consent naming it and the party; two consents to the same party
    for different kinds together allow sharing both. Names are compared as
    :func:`domain.rules.con.party_key` compares them (width, spaces, honorifics aside).
    """
    consents = _consents(facts)
    terms = [t for t, _ in consents.values()]
    out: list[ConsentViolation] = []
    for s in shared:
        day = s.fact.effective_on
        refused = _not_allowed(terms, s)
        if refused is None:
            continue
        text = s.told_ja()
        nearest = con.closest_consent(terms, s.party, refused, day)
        defect = con.consent_defect(nearest, s.party, refused, day) if nearest else None
        if nearest is None or defect is None:
            why = explained("CON-1", text + "書面による同意の記録がありません", s.fact.sources)
        else:
            # "最も近い": with several consents, say which one the sentence is about.
            text += "最も近い" if len(terms) > 1 else ""
            why = explained(
                defect.rule, text + defect.text_ja, s.fact.sources, consents[nearest.consent_id][1]
            )
        out.append(ConsentViolation(s.fact.version, s.party, why))
    return tuple(out)


def _not_allowed(terms: Sequence[con.ConsentTerms], s: Sharing) -> tuple[str, ...] | None:
    """The kinds of information no consent allowed (all of them), or None when allowed.

    A sharing without recorded kinds (a report, a hand-over) is allowed when a consent
    names the party.
    """
    day = s.fact.effective_on

    def allowed(items: tuple[str, ...]) -> bool:
        return any(
            con.consent_defect(t, name, items, day) is None for t in terms for name in s.names
        )

    if not s.information:
        return None if allowed(()) else ()
    refused = tuple(item for item in s.information if not allowed((item,)))
    return refused or None
