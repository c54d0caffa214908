"""Erasure holds against a copy of the disk: the probe's attack, run on SQLite and PostgreSQL.

The probe (issue 23) took the database's files after ``teichaku person erase``, VACUUM
and CHECKPOINT, tried every 32-byte window as the AES-GCM key on the case's sealed name,
and recovered the name on PostgreSQL: the deleted key's bytes were still in the table's
data file and in the write-ahead log. Here the same files (the key table's data files
and the write-ahead log written during the test on PostgreSQL; the database, its log and
shared memory file on SQLite) and the key file are taken after the erasure, and:

- the person key is in none of them, raw or in hex, and no 32-byte window of the key
  table's data or of the key file opens the sealed name;
- the KEK that wrapped it is gone too (the key file was overwritten in place), so the
  wrapped copies the database keeps (they are found: the test shows it) open nothing;
- every other person's data still opens, in this process and in a cold one.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.payloads import ERASED
from domain.store.application import CaseLog
from domain.store.kek import Kek, KeyFile, unwrap
from domain.store.persistence import key_file_of
from tests.integration.conftest import PG_DSN, Backend
from tests.integration.sample import OPENED, PERSON_NAME, STAFF, record_every_type


def _sealed_name(backend: Backend, case_id: UUID) -> dict[str, str]:
    rows = backend.select(
        f"SELECT originator_id, state FROM {backend.events_table} WHERE originator_version = 1"
    )
    state = next(s for i, s in rows if UUID(str(i)) == case_id)
    return dict(json.loads(backend.state_bytes(state))["payload"]["person"]["name"])


def _opens(key: bytes, sealed: dict[str, str], case_id: UUID) -> bool:
    raw = base64.b64decode(sealed["sealed"])
    try:
        AESGCM(key).decrypt(raw[:12], raw[12:], case_id.bytes)
    except (InvalidTag, ValueError):
        return False
    return True


def _wrapped(backend: Backend, case_id: UUID) -> bytes:
    table = "teichaku_person_keys"
    if backend.name == "postgresql":
        table = f'"{backend.env()["POSTGRES_SCHEMA"]}".{table}'
    rows = backend.select(f"SELECT person_key FROM {table} WHERE case_id = %s", (str(case_id),))
    return bytes(rows[0][0])


def _files(backend: Backend, since: float) -> list[Path]:
    """What an attacker with a copy of the disk has: the store's files and the key file."""
    key_file = Path(key_file_of(backend.env()) or "")
    if backend.name == "sqlite":
        db = Path(backend.url.removeprefix("sqlite:///"))
        return [p for p in db.parent.iterdir() if p.name.startswith(db.name)] + [key_file]
    import psycopg

    schema = backend.env()["POSTGRES_SCHEMA"]
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        data = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
        where = "SELECT pg_relation_filepath(%s)"
        relations = [
            str(conn.execute(where, (f"{schema}.{name}",)).fetchone()[0])  # type: ignore[index]
            for name in ("teichaku_person_keys", "teichaku_key_wrapping")
        ]
    try:
        found = [p for rel in relations for p in data.glob(rel + "*")]
        wal = [p for p in (data / "pg_wal").iterdir() if p.is_file() and p.stat().st_mtime >= since]
    except PermissionError:
        pytest.skip("PostgreSQL のデータディレクトリを読めません (cannot read the data directory)")
    assert found and wal, "the scan must have files to look at"
    return [*found, *wal, key_file]


def _windows_opening(path: Path, sealed: dict[str, str], case_id: UUID) -> list[int]:
    """The probe's method: every 32-byte window of the file as the key."""
    content = path.read_bytes()
    return [i for i in range(len(content) - 31) if _opens(content[i : i + 32], sealed, case_id)]


def test_after_erasure_no_copy_of_the_disk_opens_the_person(backend: Backend) -> None:
    start = time.time() - 1
    store = backend.open()
    case_id = record_every_type(store)
    other_id = store.open_case({**OPENED, "recipient_number": "2000000001"}, recorded_by=STAFF).id
    sealed = _sealed_name(backend, case_id)
    person_key = store.keys.key(case_id)
    assert person_key is not None and _opens(person_key.key, sealed, case_id)
    kek = store.keys.keks.current()
    wrapped = _wrapped(backend, case_id)
    assert unwrap(kek, case_id, wrapped) == person_key.key  # what the database holds
    before = b"".join(p.read_bytes() for p in _files(backend, start))
    assert kek.key.hex().encode() in before  # the scan sees the key file's KEK...
    assert wrapped in before  # ...and the wrapped person key in the database's files
    assert person_key.key not in before  # the person key is never stored as it is

    store.erase_person(case_id, reason="本人からの削除請求", recorded_by="管理者")

    files = _files(backend, start)
    disk = b"".join(p.read_bytes() for p in files)
    for secret in (person_key.key, kek.key):
        assert secret not in disk
        assert secret.hex().encode() not in disk
    small = [p for p in files if p.stat().st_size <= 64 * 1024 and "pg_wal" not in p.parts]
    for path in small:  # the probe's brute force where it is cheap (key data and key file)
        assert _windows_opening(path, sealed, case_id) == [], path
    assert KeyFile(Path(key_file_of(backend.env()) or "")).find(kek.id) is None
    for app in (store, backend.open()):  # the other person: re-wrapped, still readable
        assert app.records(other_id)[0].payload["person"]["name"] == PERSON_NAME
        assert app.records(case_id)[0].payload["person"]["name"] == ERASED


def test_a_rotation_interrupted_after_the_database_committed_is_finished_on_the_next_open(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.open()
    erased = record_every_type(store)
    kept = store.open_case({**OPENED, "recipient_number": "2000000002"}, recorded_by=STAFF).id
    old = store.keys.keks.current()

    def crash(*_: Any) -> None:
        raise OSError("the machine stopped before the key file was rewritten")

    monkeypatch.setattr(type(store.keys.keks), "finish_rotation", crash)
    with pytest.raises(OSError):
        store.erase_person(erased, reason="本人からの削除請求", recorded_by="管理者")
    monkeypatch.undo()
    keys = KeyFile(Path(key_file_of(backend.env()) or ""))
    assert keys.previous() == old  # the old KEK is still in the file...

    reopened: CaseLog = backend.open()  # ...until the next process opens the store

    assert keys.previous() is None and keys.find(old.id) is None
    assert reopened.records(kept)[0].payload["person"]["name"] == PERSON_NAME
    assert reopened.records(erased)[0].payload["person"]["name"] == ERASED


def test_a_store_whose_key_file_is_missing_refuses_to_open_instead_of_losing_keys(
    backend: Backend,
) -> None:
    store = backend.open()
    record_every_type(store)
    store.close()
    key_file = Path(key_file_of(backend.env()) or "")
    moved = key_file.rename(key_file.with_suffix(".moved"))
    try:
        with pytest.raises(Exception, match="鍵ファイルがありません"):
            backend.open()
        assert not key_file.exists()  # no new, empty key file was made in its place
    finally:
        moved.rename(key_file)  # as it was (the schema's teardown removes it)


def test_a_kek_is_bound_to_its_case(backend: Backend) -> None:
    store = backend.open()
    first = record_every_type(store)
    second = store.open_case({**OPENED, "recipient_number": "2000000003"}, recorded_by=STAFF).id
    kek: Kek = store.keys.keks.current()
    with pytest.raises(Exception, match="開けません"):  # a wrapped key moved to another case
        unwrap(kek, second, _wrapped(backend, first))


def test_keys_stored_before_the_key_file_are_wrapped_when_the_store_is_opened(
    tmp_path: Path,
) -> None:
    import shutil
    import sqlite3

    from domain.store.persistence import persistence_env

    db = tmp_path / "pre_move.db"  # written before key files existed: keys stored as they were
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "pre_move.db", db)
    with sqlite3.connect(db) as conn:
        [(case_id, raw)] = conn.execute("SELECT case_id, person_key FROM teichaku_person_keys")
    assert len(raw) == 32 and raw in db.read_bytes()

    store = CaseLog(env=persistence_env(f"sqlite:///{db}"))

    with sqlite3.connect(db) as conn:
        [(wrapped, kek_id)] = conn.execute("SELECT person_key, kek_id FROM teichaku_person_keys")
    assert kek_id == store.keys.keks.current().id
    assert unwrap(store.keys.keks.current(), UUID(case_id), bytes(wrapped)) == raw
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert raw not in on_disk  # overwritten in the file, not left in a free page or the log
    assert store.records(UUID(case_id))[0].payload["person"]["name"] == "試験 花子"
    store.close()
