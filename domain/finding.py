"""Finding a person: one form for what staff type, and the blind index of the 受給者証番号.

Staff look a person up by name, reading (kana) or 受給者証番号, typed however their
keyboard gives it: hiragana or katakana, full- or half-width, with or without the space
between family and given name, digits full-width from a Japanese IME. :func:`search_form`
is the one place that decides when two such strings are "the same": both sides of every
comparison go through it (decision 0035). Width is Unicode's NFKC, the script ``jaconv``'s
(as :mod:`domain.kana`, which stores the reading in one form).

The 受給者証番号 is sealed in the store (docs/erasure.md), yet an auditor must find a
person by it among every office's cases without opening every case. :func:`blind_number`
is its **blind index**: an HMAC-SHA256 of the number in :func:`number_form`, under a key
derived (:func:`index_key`) from the key-encryption key of the key file. The index says
which row holds a number only to whoever holds that key; since the KEK is replaced at every
erasure, an index entry left behind in the database's free pages or backups is keyed by
a KEK that no longer exists, like the wrapped person keys beside it. The stored views keep
the index and make it again under each new KEK (:mod:`projections.views.store`).

Pure: no I/O; the KEK's bytes are given by the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

import jaconv
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

#: The label that keeps the index key apart from every other use of the KEK (HKDF info).
INDEX_LABEL = b"teichaku/blind-index/recipient-number/v1"
#: Digits a full 受給者証番号 has (shared/spec/api.md: 10 digits).
NUMBER_DIGITS = 10


def search_form(text: str) -> str:
    """``text`` as searches compare it: width unified (NFKC: ﾐﾎﾝ → ミホン, １２ → 12),
    hiragana as katakana (みほん → ミホン), no spaces of any width, letters case-folded.

    Both what is typed and what is stored are compared in this form, so 「みほん いちろう」,
    「ﾐﾎﾝｲﾁﾛｳ」 and 「ミホン　イチロウ」 find the same reading, and 「見本一郎」 the name
    「見本 一郎」.
    """
    folded = jaconv.hira2kata(unicodedata.normalize("NFKC", text).casefold())
    # Composed again once the spaces are out: a mark a space kept apart joins its letter.
    return unicodedata.normalize("NFKC", "".join(folded.split()))


def number_form(text: str) -> str | None:
    """The digits of a 受給者証番号 as typed (full-width, with spaces or hyphens), or
    ``None`` when ``text`` is not only digits (then it is a name or a reading)."""
    digits = search_form(text).replace("-", "")
    return digits if digits.isascii() and digits.isdigit() else None


def masked_number(number: str | None) -> str | None:
    """A 受給者証番号 shown in part: every digit but the last four hidden (``******0001``),
    enough to tell two people of one name apart on a list. ``None`` stays ``None``."""
    if number is None:
        return None
    keep = 4 if len(number) > 4 else 0
    return "*" * (len(number) - keep) + number[len(number) - keep :]


def index_key(kek: bytes) -> bytes:
    """The blind index's HMAC key, derived from a KEK's 32 bytes (HKDF-Expand, SHA-256,
    :data:`INDEX_LABEL`): a key of its own, never the KEK itself, and gone with the KEK."""
    return HKDFExpand(algorithm=hashes.SHA256(), length=32, info=INDEX_LABEL).derive(kek)


def blind_number(key: bytes, number: str) -> str | None:
    """The index entry of a 受給者証番号 (hex HMAC-SHA256 of its :func:`number_form`), or
    ``None`` when it has no digits to index (erased, or not a number)."""
    digits = number_form(number)
    if not digits:
        return None
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()
