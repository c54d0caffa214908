"""Key-encryption keys: the keys that wrap every person key, kept outside the database.

Erasure destroys a person's key (:mod:`domain.store.keyring`); but a database cannot
promise that a deleted row's bytes are gone (free pages, the write-ahead log, backups,
replicas keep them). So the person keys are stored only *wrapped* (AES-256-GCM) by a
key-encryption key (KEK) that lives in a **key file** outside the database, and each
erasure **rotates** it: every remaining person key is re-wrapped under a new KEK and the
old KEK is overwritten in the file. Whatever old copies of wrapped keys survive
anywhere, the key that opens them is gone (docs/erasure.md, decision 0032).

The key file has a fixed size and layout, so the new content overwrites the old bytes in
place (``pwrite`` + ``fsync``); it holds the current KEK and, only while a rotation is
under way, the previous one::

    teichaku-key-file/1
    current <16 hex id> <64 hex key>
    previous <16 hex id> <64 hex key>      (or "previous none", padded)

A rotation is crash-safe: the file gets the new KEK (keeping the previous) before the
database re-wraps, and drops the previous only after the database committed; a process
that opens the store with a previous KEK still in the file finishes the rotation.
:class:`MemoryKeks` serves stores that live in memory only (tests).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HEADER = "teichaku-key-file/1\n"
_ENTRY = len("current ") + 16 + 1 + 64 + 1  # one line: name, id, key, newline
_NONCE = 12


@dataclass(frozen=True, slots=True)
class Kek:
    """One key-encryption key: a short id (stored beside each wrapped key) and 32 bytes."""

    id: str
    key: bytes = field(repr=False)

    @classmethod
    def new(cls) -> Kek:
        return cls(secrets.token_hex(8), AESGCM.generate_key(bit_length=256))


def wrap(kek: Kek, case_id: UUID, person_key: bytes) -> bytes:
    """``person_key`` sealed under ``kek``, bound to the case and the KEK's id."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(kek.key).encrypt(nonce, person_key, _bound(kek, case_id))


def unwrap(kek: Kek, case_id: UUID, wrapped: bytes) -> bytes:
    """The person key; :class:`KeyFileError` when ``wrapped`` was not made by ``kek``."""
    try:
        return AESGCM(kek.key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _bound(kek, case_id))
    except (InvalidTag, ValueError):
        wrong = "個人情報の鍵を鍵ファイルの鍵で開けません(鍵ファイルの取り違え)"
        raise KeyFileError(wrong) from None


def _bound(kek: Kek, case_id: UUID) -> bytes:
    return case_id.bytes + kek.id.encode("ascii")


class KekSource:
    """Where the KEKs are: the current one, the previous one during a rotation."""

    def current(self) -> Kek:
        raise NotImplementedError

    def find(self, kek_id: str) -> Kek | None:
        """The KEK with this id (the source is read again when it is not known here)."""
        raise NotImplementedError

    def previous(self) -> Kek | None:
        """The KEK a rotation has not finished with yet (``None`` when none is under way)."""
        raise NotImplementedError

    @contextmanager
    def rotating(self) -> Iterator[Kek]:
        """Start a rotation: yields the new current KEK, the old one kept as previous.

        The caller re-wraps every person key under it and commits, then calls
        :meth:`finish_rotation`; only one process rotates at a time.
        """
        raise NotImplementedError
        yield  # pragma: no cover

    def finish_rotation(self) -> None:
        """Destroy the previous KEK (every person key is wrapped under the current one)."""
        raise NotImplementedError


class MemoryKeks(KekSource):
    """KEKs in this process only, for stores that live in memory."""

    def __init__(self) -> None:
        self._current = Kek.new()
        self._previous: Kek | None = None
        self._lock = threading.Lock()

    def current(self) -> Kek:
        return self._current

    def find(self, kek_id: str) -> Kek | None:
        return next((k for k in (self._current, self._previous) if k and k.id == kek_id), None)

    def previous(self) -> Kek | None:
        return self._previous

    @contextmanager
    def rotating(self) -> Iterator[Kek]:
        with self._lock:
            self._previous, self._current = self._current, Kek.new()
            yield self._current

    def finish_rotation(self) -> None:
        self._previous = None


class KeyFile(KekSource):
    """KEKs in a file of their own (mode 0600), overwritten in place when rotated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._current: Kek | None = None
        self._previous: Kek | None = None
        self._rotating = False  # this process holds the file's lock: read nothing more

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        """Write a new key file with a fresh KEK; an existing file is left as it is."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process made it first: use that one
        try:
            os.write(fd, _render(Kek.new(), None))
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(self.path.parent)

    def current(self) -> Kek:
        with self._lock:
            if self._current is None:
                self._load()
            assert self._current is not None
            return self._current

    def find(self, kek_id: str) -> Kek | None:
        with self._lock:
            for _ in range(2):  # what this process knows, then the file as it is now
                for kek in (self._current, self._previous):
                    if kek is not None and kek.id == kek_id:
                        return kek
                self._load()
        return None

    def previous(self) -> Kek | None:
        with self._lock:
            self._load()
            return self._previous

    @contextmanager
    def rotating(self) -> Iterator[Kek]:
        with self._locked(fcntl.LOCK_EX) as fd:
            current, previous = _parse(os.pread(fd, _SIZE, 0), self.path)
            if previous is None:  # else an unfinished rotation: re-wrap under its KEK
                previous, current = current, Kek.new()
                _overwrite(fd, _render(current, previous))
            with self._lock:
                self._current, self._previous = current, previous
                self._rotating = True
            try:
                yield current
            finally:
                self._rotating = False

    def finish_rotation(self) -> None:
        with self._locked(fcntl.LOCK_EX) as fd:
            current, _ = _parse(os.pread(fd, _SIZE, 0), self.path)
            _overwrite(fd, _render(current, None))  # the previous KEK's bytes overwritten
            with self._lock:
                self._current, self._previous = current, None

    def _load(self) -> None:
        if self._rotating:  # its lock is held by this process: what it holds is current
            return
        with self._locked(fcntl.LOCK_SH) as fd:
            self._current, self._previous = _parse(os.pread(fd, _SIZE, 0), self.path)

    @contextmanager
    def _locked(self, how: int) -> Iterator[int]:
        try:
            fd = os.open(self.path, os.O_RDWR if how == fcntl.LOCK_EX else os.O_RDONLY)
        except FileNotFoundError:
            raise KeyFileError(
                f"鍵ファイルがありません: {self.path}(バックアップから戻してください。"
                "なければ暗号化された個人情報は読めません)"
            ) from None
        try:
            fcntl.flock(fd, how)
            yield fd
        finally:
            os.close(fd)  # releases the lock


_SIZE = len(HEADER) + 2 * (_ENTRY + 1)


def _render(current: Kek, previous: Kek | None) -> bytes:
    lines = [HEADER, f"current {current.id} {current.key.hex()}\n"]
    if previous is None:
        lines.append("previous none".ljust(_ENTRY) + "\n")
    else:
        lines.append(f"previous {previous.id} {previous.key.hex()}\n")
    text = "".join(lines).encode("ascii")
    return text.ljust(_SIZE, b" ")


def _parse(raw: bytes, path: Path) -> tuple[Kek, Kek | None]:
    lines = raw.decode("ascii", errors="replace").split("\n")
    try:
        assert lines[0] + "\n" == HEADER
        _, cid, ckey = lines[1].split()
        current = Kek(cid, bytes.fromhex(ckey))
        parts = lines[2].split()
        previous = None if parts[1] == "none" else Kek(parts[1], bytes.fromhex(parts[2]))
    except (AssertionError, IndexError, ValueError):
        raise KeyFileError(f"鍵ファイルを読めません: {path}") from None
    return current, previous


def _overwrite(fd: int, content: bytes) -> None:
    """The same bytes of the same file, rewritten and flushed to the disk."""
    os.pwrite(fd, content, 0)
    os.fsync(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable, or not this store's: sealed data cannot open."""
