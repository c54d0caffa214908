"""Bearer tokens: shown once, stored only as a SHA-256, and naming who records what."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import httpx

from api.http.auth import TokenStore
from domain.store.application import CaseLog
from tests.api.conftest import OFFICE

Post = Callable[..., httpx.Response]
CONTACT = {"contact_on": "2024-10-10", "counterpart": "person", "mode": "face_to_face"}


def _stored_bytes(cases: CaseLog) -> bytes:
    notifications = cases.recorder.select_notifications(1, 1000)
    return b"".join(n.state for n in notifications)


def test_only_the_tokens_hash_is_stored(cases: CaseLog) -> None:
    token = TokenStore(cases).create("staff", "支援員 試験", OFFICE)

    stored = _stored_bytes(cases)

    assert token.encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored


def test_a_token_authenticates_as_its_principal_and_a_near_miss_does_not(cases: CaseLog) -> None:
    store = TokenStore(cases)
    token = store.create("auditor", "監査員 試験")

    principal = store.authenticate(token)

    assert principal is not None and (principal.role, principal.office_id) == ("auditor", None)
    assert store.authenticate(token[:-1]) is None and store.authenticate("") is None


def test_tokens_are_not_cases(cases: CaseLog) -> None:
    TokenStore(cases).create("admin", "管理者 試験")

    assert cases.case_ids() == []


def test_a_refused_write_under_a_key_leaves_the_key_free_for_the_retry(
    case_id: str, post_event: Post, event_count: Callable[[str], int]
) -> None:
    stale = post_event(case_id, "contact_recorded",
                       headers={"Idempotency-Key": "k", "If-Match": "1"}, **CONTACT)  # fmt: skip
    retried = post_event(case_id, "contact_recorded",
                         headers={"Idempotency-Key": "k", "If-Match": "2"}, **CONTACT)  # fmt: skip

    assert stale.status_code == 409
    assert retried.status_code == 201 and event_count(case_id) == 3
