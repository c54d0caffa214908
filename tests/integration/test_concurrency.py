"""Optimistic concurrency: when two writers change the same case at once, one wins and
the other is told (``VersionConflict``); nothing is lost and nothing is stored twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from domain.history import Recorded, utc_now
from domain.store.application import CaseLog, VersionConflict
from tests.integration.conftest import Backend
from tests.integration.sample import OPENED, STAFF


def _contact(summary: str, on: str = "2024-05-10") -> dict[str, Any]:
    return {"contact_on": on, "counterpart": "person", "mode": "face_to_face", "summary": summary}


def _summaries(records: list[Recorded]) -> list[str]:
    return [str(r.payload["summary"]) for r in records if r.type == "contact_recorded"]


def _clock_that_first_runs(action: Callable[[], None]) -> Callable[[], datetime]:
    """A clock that runs ``action`` the first time it is read.

    ``CaseLog.record`` reads the clock after loading the case and before saving it, so the
    action lands exactly between this writer's read and its write: a deterministic race.
    """
    pending = [action]

    def clock() -> datetime:
        while pending:
            pending.pop()()
        return utc_now()

    return clock


def test_second_writer_without_if_match_records_after_the_first_and_loses_nothing(
    backend: Backend, store: CaseLog
) -> None:
    """A writer that named no version asked for no condition: a concurrent append that
    took its version first is no conflict for it; it is recorded on the newer case."""
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    winner = backend.open()

    def winner_writes() -> None:
        winner.record(case_id, "contact_recorded", _contact("先に保存した記録"), recorded_by="甲")

    loser = backend.open(clock=_clock_that_first_runs(winner_writes))
    later = _contact("後から保存した記録")
    second = loser.record(case_id, "contact_recorded", later, recorded_by="乙")

    assert second.version == 3
    assert _summaries(backend.open().records(case_id)) == ["先に保存した記録", "後から保存した記録"]


def test_second_writer_of_the_same_expected_version_gets_a_conflict_and_loses_nothing(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    winner = backend.open()

    def winner_writes() -> None:
        winner.record(case_id, "contact_recorded", _contact("先に保存した記録"), recorded_by="甲")

    loser = backend.open(clock=_clock_that_first_runs(winner_writes))
    with pytest.raises(VersionConflict):
        loser.record(case_id, "contact_recorded", _contact("後から保存した記録"), recorded_by="乙",
                     expected_version=1)  # fmt: skip

    assert _summaries(backend.open().records(case_id)) == ["先に保存した記録"]


def test_a_retry_runs_the_callers_check_on_the_reloaded_case(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    winner = backend.open()
    checked: list[int] = []

    def winner_writes() -> None:
        winner.record(case_id, "contact_recorded", _contact("先に保存した記録"), recorded_by="甲")

    loser = backend.open(clock=_clock_that_first_runs(winner_writes))
    case = loser.get_case(case_id)
    loser.record(case_id, "contact_recorded", _contact("後から保存した記録"), recorded_by="乙",
                 case=case, check=lambda c: checked.append(c.version))  # fmt: skip

    assert checked == [2]  # not run on the caller's own case (it checked it), run on the reload
    assert _summaries(backend.open().records(case_id)) == ["先に保存した記録", "後から保存した記録"]


def test_writer_with_a_stale_expected_version_is_refused(backend: Backend, store: CaseLog) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    other = backend.open()
    seen = store.get_case(case_id).version
    assert other.get_case(case_id).version == seen

    store.record(
        case_id, "contact_recorded", _contact("甲の記録"), recorded_by="甲", expected_version=seen
    )
    with pytest.raises(VersionConflict):
        other.record(
            case_id,
            "contact_recorded",
            _contact("乙の記録"),
            recorded_by="乙",
            expected_version=seen,
        )

    assert _summaries(backend.open().records(case_id)) == ["甲の記録"]


def test_concurrent_threads_store_every_successful_write_exactly_once(
    backend: Backend, store: CaseLog
) -> None:
    case_id = store.open_case(OPENED, recorded_by=STAFF).id
    succeeded: list[Recorded] = []
    conflicts: list[int] = []
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def writer(n: int) -> None:
        start.wait()
        for i in range(8):
            summary = f"書き手{n}の{i}件目"
            try:
                rec = store.record(
                    case_id, "contact_recorded", _contact(summary), recorded_by=f"職員{n}"
                )
            except VersionConflict:
                with lock:
                    conflicts.append(n)
            except BaseException as exc:  # surfaced by the assertion below
                with lock:
                    unexpected.append(exc)
            else:
                with lock:
                    succeeded.append(rec)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    print(f"\n[{backend.name}] {len(succeeded)} stored, {len(conflicts)} conflicts")
    assert unexpected == []
    stored = backend.open().records(case_id)
    assert [r.version for r in stored] == list(range(1, len(succeeded) + 2))
    assert sorted(_summaries(stored)) == sorted(str(r.payload["summary"]) for r in succeeded)
    assert {r.version: r.hash for r in succeeded} == {r.version: r.hash for r in stored[1:]}
    assert len(succeeded) + len(conflicts) == 6 * 8
