"""Personal fields sealed with the person's own key, so that destroying it erases them.

Crypto-shredding (issue 12). Each case has a 256-bit key of its own
(:mod:`domain.store.keyring`, outside the append-only store). The personal fields of a
payload (:data:`SEALED_FIELDS`: name, kana, 受給者証番号 and every free text) are stored
and hashed in sealed form::

    {"sealed": "<base64: 12-byte nonce ‖ AES-256-GCM ciphertext ‖ tag>",
     "commit": "<hex SHA-256 of canonical {"salt": s, "value": v}>"}

The ciphertext holds ``{"salt": s, "value": v}`` (``s``: 16 random bytes, hex), and the
case id is its associated data, so a sealed value cannot be moved to another case.
The hash chain (:mod:`domain.chain`) covers the sealed form, so it still verifies when the
key is gone; the ``commit`` lets whoever holds the value and its salt (an export made
before the erasure) prove it is the value that was recorded, and after the erasure it
says nothing (the salt was only inside the ciphertext).

Reading (:func:`reveal`) opens every sealed value it meets, whatever the event type, or
puts :data:`~domain.payloads.ERASED` in its place when the key is gone.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.payloads import ERASED

#: Where the personal fields are, per event type: dotted paths; ``[]`` marks every item
#: of a list. A correction's replacement is sealed by its target's type.
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    "case_opened": ("person.name", "person.name_kana", "recipient_number",
                    "claim.cap_category"),
    "resigned": ("reason",),
    "job_changed": ("description",),
    "consent_given": ("purpose",),
    "contact_recorded": ("summary",),
    "case_meeting_held": ("summary",),
    "plan_revised": ("goals[]",),
    "request_declined": ("reason",),
    "event_corrected": ("reason",),
    "event_retracted": ("reason",),
}

KEY_BYTES = 32
_NONCE = 12


def new_key() -> bytes:
    """A fresh person key (AES-256)."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def is_sealed(value: Any) -> bool:
    """Whether ``value`` is a sealed personal value (see the module docstring)."""
    return isinstance(value, dict) and value.keys() == {"sealed", "commit"}


def commitment(value: Any, salt: str) -> str:
    """The ``commit`` of a value: SHA-256 of canonical ``{"salt": salt, "value": value}``."""
    return hashlib.sha256(_canonical({"salt": salt, "value": value})).hexdigest()


@dataclass(frozen=True, slots=True)
class PersonKey:
    """One case's key: seals and opens that case's personal values only."""

    case_id: UUID
    key: bytes = field(repr=False)
    #: The cipher, made once per key (a case load opens ~150 values with it).
    _aead: AESGCM | None = field(default=None, init=False, repr=False, compare=False)

    def _cipher(self) -> AESGCM:
        aead = self._aead
        if aead is None:
            aead = AESGCM(self.key)
            object.__setattr__(self, "_aead", aead)
        return aead

    def seal(self, value: Any) -> dict[str, str]:
        salt = os.urandom(16).hex()
        nonce = os.urandom(_NONCE)
        plain = _canonical({"salt": salt, "value": value})
        box = self._cipher().encrypt(nonce, plain, self.case_id.bytes)
        return {
            "sealed": base64.b64encode(nonce + box).decode("ascii"),
            "commit": commitment(value, salt),
        }

    def open(self, sealed: Mapping[str, str]) -> tuple[Any, str]:
        """The value and its salt; raises :class:`SealBroken` when it does not open."""
        try:
            raw = base64.b64decode(sealed["sealed"], validate=True)
            plain = self._cipher().decrypt(raw[:_NONCE], raw[_NONCE:], self.case_id.bytes)
        except (InvalidTag, ValueError) as exc:
            raise SealBroken from exc
        opened = orjson.loads(plain)
        value, salt = opened["value"], str(opened["salt"])
        # What :meth:`seal` encrypts is the committed text itself: its hash is the commit.
        # A value sealed any other way is checked the long way.
        committed = sealed["commit"]
        if hashlib.sha256(plain).hexdigest() != committed and commitment(value, salt) != committed:
            raise SealBroken
        return value, salt


class SealBroken(ValueError):
    """A sealed value does not open with the case's key (altered, or another key)."""

    def __init__(self) -> None:
        super().__init__("暗号化された個人情報を復号できません(改ざんまたは鍵の不一致)")


# -- sealing a payload --------------------------------------------------------------------


def sealed_paths(event_type: str, target_type: str | None = None) -> list[str]:
    """The dotted paths sealed in a payload of ``event_type`` (a correction: its target's)."""
    paths = list(SEALED_FIELDS.get(event_type, ()))
    if event_type == "event_corrected" and target_type is not None:
        paths += [f"replacement.{p}" for p in SEALED_FIELDS.get(target_type, ())]
    return paths


def personal_values(payload: Mapping[str, Any], paths: list[str]) -> list[Any]:
    """The values found at ``paths`` (absent or empty fields are not personal values)."""
    found: list[Any] = []

    def keep(value: Any) -> Any:
        found.append(value)
        return value

    copy = dict(payload)  # _walk writes each value back: to a shallow copy's own keys
    for path in paths:
        _walk(copy, path.split("."), keep)
    return found


def seal_payload(payload: Mapping[str, Any], paths: list[str], key: PersonKey) -> dict[str, Any]:
    """A copy of ``payload`` with the value at each of ``paths`` sealed with ``key``."""
    out = orjson.loads(_canonical(payload))  # a deep copy of plain JSON
    for path in paths:
        _walk(out, path.split("."), key.seal)
    return out  # type: ignore[no-any-return]


def _walk(node: Any, parts: list[str], change: Any) -> None:
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    name, each = (head[:-2], True) if head.endswith("[]") else (head, False)
    if name not in node or node[name] is None:
        return
    if rest:
        _walk(node[name], rest, change)
    elif each and isinstance(node[name], list):
        node[name] = [change(item) for item in node[name]]
    elif not each:
        node[name] = change(node[name])


# -- reading -------------------------------------------------------------------------------


def has_sealed(value: Any) -> bool:
    """Whether a stored payload holds any sealed value (only containers are looked into:
    every case load asks this of each of its records)."""
    if isinstance(value, dict) and is_sealed(value):
        return True
    if not isinstance(value, (dict, list)):
        return False
    for v in value.values() if isinstance(value, dict) else value:
        if isinstance(v, (dict, list)) and has_sealed(v):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Revealed:
    """A stored payload as read: sealed values opened (or erased), and their salts.

    ``openings`` maps the dotted path of each opened value to its salt, so an export
    can be checked against the ``commit`` of the stored form without the key.
    """

    payload: dict[str, Any]
    openings: dict[str, str]


def reveal(stored: Mapping[str, Any], key: PersonKey | None) -> Revealed:
    """``stored`` with each sealed value opened with ``key``, or :data:`ERASED` without one.

    A value that does not open (altered ciphertext) reads as erased too: the chain check
    reports the alteration; the reader is never shown a value that was not recorded.
    """
    openings: dict[str, str] = {}
    return Revealed(_opened(stored, key, openings, None), openings)


#: Where a value lies in a payload while it is walked: (parent's place, key or index).
_At = tuple[Any, str | int] | None


def _opened(node: Any, key: PersonKey | None, openings: dict[str, str], at: _At) -> Any:
    """``node`` with its sealed values opened; the very same object where nothing inside it
    was sealed (a case load walks every record: nothing is copied, no path is spelled out,
    until a sealed value is found)."""
    if isinstance(node, dict) and is_sealed(node):
        if key is None:
            return ERASED
        try:
            value, salt = key.open(node)
        except SealBroken:
            return ERASED
        openings[_path(at)] = salt
        return value
    if not isinstance(node, (dict, list)):
        return node
    out: Any = None  # the copy, made at the first place that changes
    for place, v in node.items() if isinstance(node, dict) else enumerate(node):
        if isinstance(v, (dict, list)):
            shown = _opened(v, key, openings, (at, place))
            if shown is not v:
                out = (dict(node) if isinstance(node, dict) else list(node)) if out is None else out
                out[place] = shown
    return node if out is None else out


def _path(at: _At) -> str:
    """The dotted path of a place (``a.b[2].c``), as :attr:`Revealed.openings` names it."""
    steps: list[str | int] = []
    while at is not None:
        at, step = at
        steps.append(step)
    text = ""
    for step in reversed(steps):
        text = f"{text}[{step}]" if isinstance(step, int) else f"{text}.{step}" if text else step
    return text


def erased(stored: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` with every sealed value replaced by :data:`ERASED`."""
    return reveal(stored, None).payload


def check_openings(
    stored: Mapping[str, Any], shown: Mapping[str, Any], openings: Mapping[str, str]
) -> list[str]:
    """Where a shown payload does not match its stored (sealed) form, by dotted path.

    Outside sealed values the two must be equal; a sealed value must be either
    :data:`ERASED` or a value whose commitment, with its salt from ``openings``, is the
    stored ``commit``. Needs no key: this is how an export is checked offline.
    """
    problems: list[str] = []

    def visit(s: Any, v: Any, path: str) -> None:
        if is_sealed(s):
            if v == ERASED and path not in openings:
                return
            salt = openings.get(path)
            if salt is None or commitment(v, salt) != s["commit"]:
                problems.append(path)
            return
        if isinstance(s, dict) and isinstance(v, dict) and s.keys() == v.keys():
            for k in s:
                visit(s[k], v[k], f"{path}.{k}" if path else k)
            return
        if isinstance(s, list) and isinstance(v, list) and len(s) == len(v):
            for i, (a, b) in enumerate(zip(s, v, strict=True)):
                visit(a, b, f"{path}[{i}]")
            return
        if s != v:
            problems.append(path or "(payload)")

    visit(stored, shown, "")
    return problems
