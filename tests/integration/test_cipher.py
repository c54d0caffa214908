"""Encryption at rest: with the library's AES cipher configured, a raw SELECT sees only
ciphertext (no name, no Japanese text), while the application reads the case back."""

from __future__ import annotations

import json

import pytest

from domain.store.application import CaseLog
from tests.integration.conftest import Backend
from tests.integration.sample import PERSON_NAME, record_every_type

pytest.importorskip("Crypto", reason="pycryptodome (eventsourcing[crypto]) is not installed")

from eventsourcing.cipher import AESCipher

CIPHER_TOPIC = "eventsourcing.cipher:AESCipher"


def test_encrypted_store_hides_names_from_raw_select_and_reads_back(backend: Backend) -> None:
    key = AESCipher.create_key(32)
    writer = backend.open(CIPHER_TOPIC=CIPHER_TOPIC, CIPHER_KEY=key)
    case_id = record_every_type(writer)

    rows = backend.select(f"SELECT state FROM {backend.events_table}")
    reader = backend.open(CIPHER_TOPIC=CIPHER_TOPIC, CIPHER_KEY=key)

    assert len(rows) == 17
    for (raw,) in rows:
        state = backend.state_bytes(raw)
        assert PERSON_NAME.encode() not in state
        assert "株式会社".encode() not in state
        assert b"payload" not in state
        with pytest.raises(ValueError):  # not JSON (json.JSONDecodeError is a ValueError)
            json.loads(state)
    records = reader.records(case_id)
    assert records == writer.records(case_id)
    assert records[0].payload["person"]["name"] == PERSON_NAME


def test_encrypted_store_cannot_be_read_with_another_key(backend: Backend) -> None:
    writer = backend.open(CIPHER_TOPIC=CIPHER_TOPIC, CIPHER_KEY=AESCipher.create_key(32))
    case_id = record_every_type(writer)
    intruder: CaseLog = backend.open(CIPHER_TOPIC=CIPHER_TOPIC, CIPHER_KEY=AESCipher.create_key(32))

    with pytest.raises(ValueError):  # AES-GCM tag check fails: "MAC check failed"
        intruder.records(case_id)
