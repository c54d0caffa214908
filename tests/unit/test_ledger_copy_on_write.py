"""Appends flat in case size (issue 24): a copy of a case shares its ledger until one of
the two changes, and a write's copy never copies it.

The library hands every request a copy of the cached case (``Case.__deepcopy__`` →
``Ledger.fork``). These tests check, by identity rather than by time, that the copy
shares the cached ledger's structures, that each side stays as it was when the other
changes, and that a write through ``CaseLog`` leaves the cached case's structures in place
(changed, not copied) — so an append costs no copy of the case's thousands of records.
"""

from __future__ import annotations

import copy
import gc
from typing import Any

import pytest

from domain.history import read_history
from domain.ledger import Ledger
from domain.store.application import CaseLog
from tests.factories import CaseBuilder, case_opened_payload

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}


def _ledger() -> tuple[Ledger, CaseBuilder]:
    b = CaseBuilder("2024-03-01")
    b.hired("2024-04-01")
    b.contact("2024-04-10")
    b.contact("2024-05-10")
    ledger = Ledger(b.case.id)
    for rec in b.records:
        ledger.add(rec)
    return ledger, b


def _facts(ledger: Ledger) -> list[Any]:
    return [(f.version, f.effective_on) for f in ledger.history().facts]


def test_a_fork_shares_the_structures_and_the_one_history_until_a_change() -> None:
    ledger, b = _ledger()
    fork = ledger.fork(len(ledger.recorded))
    assert fork.facts is ledger.facts and fork.recorded is ledger.recorded
    assert fork.history() is ledger.history()  # answers kept once per version
    assert fork.history().facts == read_history(b.records).facts


def test_the_origin_changing_leaves_a_living_fork_as_it_was() -> None:
    ledger, b = _ledger()
    fork = ledger.fork(len(ledger.recorded))
    before = _facts(fork)
    b.contact("2024-04-01")  # dated before the others: placed among them
    ledger.add(b.records[-1])
    assert ledger.facts is not fork.facts  # the origin copied first
    assert _facts(fork) == before and len(fork.recorded) == len(b.records) - 1
    assert ledger.history().facts == read_history(b.records).facts


def test_a_write_s_copy_keeps_sharing_until_it_is_read_and_the_origin_is_untouched() -> None:
    ledger, b = _ledger()
    fork = ledger.fork(len(ledger.recorded))
    before = _facts(ledger)
    b.contact("2024-06-10")
    fork.later(b.records[-1])
    assert fork.facts is ledger.facts  # nothing copied by the write
    fork.catch_up([])  # read again: the record is applied, on a copy of its own
    assert fork.facts is not ledger.facts
    assert fork.history().facts == read_history(b.records).facts
    assert _facts(ledger) == before


def test_an_origin_whose_forks_are_gone_changes_in_place() -> None:
    ledger, b = _ledger()
    facts = ledger.facts
    fork = ledger.fork(len(ledger.recorded))
    del fork
    gc.collect()
    b.contact("2024-06-10")
    ledger.add(b.records[-1])
    assert ledger.facts is facts  # no live fork: changed in place, not copied


def test_appends_through_the_application_change_the_cached_case_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copies: list[int] = []
    own = Ledger._own

    def counted(self: Ledger) -> None:
        if self._origin is not None or len(self._forks):
            copies.append(len(self.recorded))  # this change copies the structures
        own(self)

    monkeypatch.setattr(Ledger, "_own", counted)
    cases = CaseLog(env=MEMORY)
    case_id = cases.open_case(case_opened_payload("2024-03-01"), recorded_by="担当").id
    data = {"contact_on": "2024-04-10", "counterpart": "person", "mode": "phone"}
    cases.record(case_id, "contact_recorded", data, recorded_by="担当")
    cases.get_case(case_id)  # the cached case caught up
    cached: Any = cases.repository.cache.get(case_id)
    structures = cached._ledger().facts
    for day in range(11, 21):
        cases.record(case_id, "contact_recorded", {**data, "contact_on": f"2024-04-{day}"},
                     recorded_by="担当")  # fmt: skip
    read = cases.get_case(case_id)
    assert cases.repository.cache.get(case_id) is cached
    assert cached._ledger().facts is structures  # ten appends, no copy of the ledger …
    assert copies == []  # … on either side
    assert read._ledger().facts is structures  # a reader's copy shares it too
    assert read.history().facts == read_history(read.records).facts
    assert copy.deepcopy(read).version == read.version == 12
    cases.close()
