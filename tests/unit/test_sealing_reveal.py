"""Opening a stored payload (domain.sealing.reveal): every sealed value opened and named by
the path an export is checked with, nothing else copied, and a seal that was not made by
this code's own canonical form still checked by its commitment."""

from __future__ import annotations

import base64
import os
import uuid

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.payloads import ERASED
from domain.sealing import (
    PersonKey,
    SealBroken,
    check_openings,
    commitment,
    new_key,
    reveal,
    seal_payload,
)

KEY = PersonKey(uuid.UUID(int=7), new_key())
PLAIN = {
    "reason": "氏名の誤り",
    "target_version": 1,
    "replacement": {"person": {"name": "見本 太郎", "birth": "1990-01-01"},
                    "goals": ["通勤の安定", "体調の記録"], "opened_on": "2024-03-01"},
}  # fmt: skip
PATHS = ["reason", "replacement.person.name", "replacement.goals[]"]


def test_every_sealed_value_opens_under_the_path_an_export_is_checked_with() -> None:
    stored = seal_payload(PLAIN, PATHS, KEY)
    shown = reveal(stored, KEY)
    assert shown.payload == PLAIN
    assert set(shown.openings) == {
        "reason", "replacement.person.name", "replacement.goals[0]", "replacement.goals[1]",
    }  # fmt: skip
    assert check_openings(stored, shown.payload, shown.openings) == []


def test_what_holds_nothing_sealed_is_read_as_it_is_not_copied() -> None:
    stored = seal_payload(PLAIN, ["reason"], KEY)
    shown = reveal(stored, KEY)
    assert shown.payload["replacement"] is stored["replacement"]
    assert reveal(PLAIN, KEY).payload is PLAIN


def test_without_the_key_or_with_an_altered_seal_a_value_reads_erased() -> None:
    stored = seal_payload(PLAIN, PATHS, KEY)
    assert reveal(stored, None).payload["replacement"]["goals"] == [ERASED, ERASED]
    other = PersonKey(KEY.case_id, new_key())
    assert reveal(stored, other).payload["reason"] == ERASED


def _sealed_unsorted(value: object, key: PersonKey) -> dict[str, str]:
    """A seal whose plaintext is not the canonical text (keys in another order)."""
    salt = os.urandom(16).hex()
    plain = orjson.dumps({"value": value, "salt": salt})
    nonce = os.urandom(12)
    box = AESGCM(key.key).encrypt(nonce, plain, key.case_id.bytes)
    return {"sealed": base64.b64encode(nonce + box).decode(), "commit": commitment(value, salt)}


def test_a_seal_of_another_canonical_form_is_still_checked_by_its_commitment() -> None:
    sealed = _sealed_unsorted("見本 花子", KEY)
    assert KEY.open(sealed)[0] == "見本 花子"
    with pytest.raises(SealBroken):
        KEY.open({**sealed, "commit": commitment("別人", "00")})
    own = KEY.seal("見本 花子")
    with pytest.raises(SealBroken):
        KEY.open({**own, "commit": sealed["commit"]})
