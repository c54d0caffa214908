"""Record once (issue 20): a staff form that writes stores what it says at most once.

Every form that writes (an event, a correction or retraction, a new case, the sharing
of a support report) carries a one-time key made when the form is rendered (the hidden
input ``once``). The write runs through the API's own
:func:`api.http.idempotency.run_once` with that key as its ``Idempotency-Key``, scoped
to the principal (prefixed ``web:``), so the key is saved in the same transaction as the
event. Sent again — Back, then 記録する — the form stores nothing new and is answered
with the first record (「この内容はすでに記録されています」). The same key with other
content (the form edited after going Back) stores nothing either: the page says what
the form recorded the first time, with 訂正 and 取消 beside it.

Going Back, a browser fetches the page again (every page is ``no-store``) with a new
key, and fills in again what was typed: ``web.js`` puts back the key that history entry
was first shown with (``history.state``), so the form sends the key it was sent with.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from api.http.auth import Principal
from api.http.idempotency import (
    Companion,
    IdempotencyKeyReused,
    first_answer,
    request_digest,
    run_once,
)
from domain.history import Recorded
from domain.store.application import CaseLog

#: The form input that carries the key.
FIELD = "once"
#: What a form may send that is not its content: the session's token, the key itself,
#: and the new-case form's confirmation of a duplicate 受給者証番号 (api.web.new_case).
NOT_CONTENT = frozenset({"csrf", FIELD, "confirmed_number"})
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    """A fresh one-time key (144 random bits)."""
    return secrets.token_urlsafe(18)


def key_of(form: Mapping[str, Any]) -> str:
    """The key a form shown again carries: the one it was sent with (nothing was stored
    under it yet), or a new one."""
    sent = str(form.get(FIELD, ""))
    return sent if _WELL_FORMED.fullmatch(sent) else new_key()


@dataclass(frozen=True, slots=True)
class Written:
    """Where a form's write landed. ``outcome``: ``recorded`` (stored now), ``already``
    (this content was stored before under the key), ``resent`` (the key stored other
    content before; nothing stored now)."""

    case_id: UUID
    version: int
    outcome: str

    def location(self) -> str:
        """The case page, whose notice says in words what was (or had been) recorded."""
        return f"/web/cases/{self.case_id}?{self.outcome}={self.version}#recorded"


def sent_before(cases: CaseLog, principal: Principal, form: Mapping[str, Any]) -> bool:
    """Has this form's key already written? (Then a check made before writing, such as
    the new-case form's duplicate 受給者証番号, would only meet the form's own record.)"""
    key = _scope(principal, form)
    return key is not None and first_answer(cases, key) is not None


def write_once(
    cases: CaseLog, principal: Principal, form: Mapping[str, Any], target: str,
    write: Callable[[Companion | None], Recorded],
) -> Written:  # fmt: skip
    """Run ``write`` unless the form's key already wrote; a form without a well-formed key
    (a script's, or a page rendered before keys existed) writes as it always did."""
    key = _scope(principal, form)
    content = {k: v for k, v in form.items() if k not in NOT_CONTENT}
    digest = request_digest(f"web {target}", content)  # form text: always encodable
    try:
        answer, replayed = run_once(cases, key, digest, _answer, write)
    except IdempotencyKeyReused:
        assert key is not None  # only a key can have been used before
        first = first_answer(cases, key)
        if first is None:  # pragma: no cover (a key is never stored without its answer)
            raise
        return Written(UUID(first["case_id"]), int(first["version"]), "resent")
    outcome = "already" if replayed else "recorded"
    return Written(UUID(answer["case_id"]), int(answer["version"]), outcome)


def _scope(principal: Principal, form: Mapping[str, Any]) -> tuple[Principal, str] | None:
    sent = str(form.get(FIELD, ""))
    return (principal, f"web:{sent}") if _WELL_FORMED.fullmatch(sent) else None


def _answer(recorded: Recorded) -> dict[str, Any]:
    # Only ids: the idempotency record is not sealed with the person's key (docs/erasure.md).
    return {"case_id": str(recorded.case_id), "version": recorded.version}
