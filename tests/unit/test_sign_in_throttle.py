"""Failed sign-ins slow down per (account, source) and per source, never per account
alone (issue 21): a stranger guessing cannot lock a colleague out. Injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from api.web.session import (
    FREE_TRIES,
    LOCK_AFTER,
    LOCK_FOR,
    SOURCE_FREE_TRIES,
    SignInThrottle,
    doubling_wait,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def pass_(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _fail(throttle: SignInThrottle, clock: Clock, account: object, source: str, n: int) -> None:
    """``n`` failures, each after waiting out the previous answer's delay."""
    for _ in range(n):
        wait = throttle.wait(account, source)  # type: ignore[arg-type]
        if wait is not None:
            clock.pass_(wait.seconds)
        throttle.failed(account, source)  # type: ignore[arg-type]


def test_the_first_tries_are_answered_at_once_then_the_waits_double() -> None:
    clock = Clock()
    throttle, account = SignInThrottle(clock), uuid4()
    seen = []
    for _ in range(FREE_TRIES + 3):
        wait = throttle.wait(account, "198.51.100.7")
        seen.append(0 if wait is None else wait.seconds)
        if wait is not None:
            clock.pass_(wait.seconds)
        throttle.failed(account, "198.51.100.7")

    assert seen[:FREE_TRIES] == [0] * FREE_TRIES
    assert seen[FREE_TRIES:] == [2, 4, 8]
    assert [doubling_wait(n, FREE_TRIES) for n in range(FREE_TRIES, FREE_TRIES + 3)] == [2, 4, 8]


def test_a_stranger_locking_themselves_out_leaves_the_colleague_free_at_their_source() -> None:
    clock = Clock()
    throttle, colleague = SignInThrottle(clock), uuid4()
    _fail(throttle, clock, colleague, "203.0.113.9", LOCK_AFTER)

    stranger = throttle.wait(colleague, "203.0.113.9")
    assert stranger is not None and stranger.locked
    assert throttle.wait(colleague, "192.0.2.10") is None  # the colleague at their desk


def test_the_pair_lock_ends_after_its_time_and_an_administrators_lift_ends_it_at_once() -> None:
    clock = Clock()
    throttle, account = SignInThrottle(clock), uuid4()
    _fail(throttle, clock, account, "203.0.113.9", LOCK_AFTER)
    lifted_at = clock.now + timedelta(seconds=1)
    clock.pass_(2)

    assert throttle.wait(account, "203.0.113.9", lifted_at) is None
    locked = throttle.wait(account, "203.0.113.9")
    assert locked is not None and locked.locked
    clock.pass_(LOCK_FOR.total_seconds())
    assert throttle.wait(account, "203.0.113.9") is None


def test_a_source_failing_on_many_accounts_is_slowed_for_every_account() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(SOURCE_FREE_TRIES):
        throttle.failed(uuid4(), "203.0.113.9")  # one try per account: no pair is slowed

    slowed = throttle.wait(uuid4(), "203.0.113.9")
    assert slowed is not None and not slowed.locked and slowed.seconds >= 2
    assert throttle.wait(uuid4(), "192.0.2.10") is None


def test_a_success_forgets_the_pairs_failures() -> None:
    clock = Clock()
    throttle, account = SignInThrottle(clock), uuid4()
    _fail(throttle, clock, account, "198.51.100.7", FREE_TRIES + 1)
    throttle.succeeded(account, "198.51.100.7")

    assert throttle.wait(account, "198.51.100.7") is None
