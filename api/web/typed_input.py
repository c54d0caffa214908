"""Dates and numbers as staff type them into the web forms (issue 20), read into the
payload's own form (``YYYY-MM-DD``, ASCII digits) before the domain validates it.

**Dates.** A date input accepts ``2025-04-01``, ``2025/4/1``, ``2025.4.1``, ``2025年4月1日``,
``20250401``, ``令和7年4月1日`` (``令和元年`` is year 1), ``R7.4.1``, ``R7/4/1``, ``H31.4.30``,
for 令和, 平成 and 昭和, in full-width or half-width characters, with spaces anywhere. The
separators an IME gives in kana mode (``ー`` for -, ``。`` for ., ``・`` for /) count too.
An era date outside its era (平成31年5月1日: 平成 ended on 2019-04-30) is refused with
the era's span, never moved to the next era; so are 令和0年 and days that do not exist
(2025/2/30). Only the web forms read these: the JSON API keeps strict ISO 8601
(spec/api.md), so a script's typo is refused rather than guessed.

*Why our own parser and not japanera* (PyPI, 2.1.3): japanera knows every era since 大化
and reads by ``strptime``-like formats built on the standard library's private
``_strptime`` internals (fragile across Python versions), needs ``kanjize``, returns a
*list* of candidate dates, and has no notion of the short forms (R7.4.1) or of refusing a
date outside its era with a reason. What the forms need is three eras and one regular
grammar: :data:`ERAS` and :func:`read_date` below, tested form by form and by a property
test (tests/unit/test_typed_input.py). Width is folded with ``jaconv``.

*Why a text input, not ``type=date``.* A browser's date control cannot take 和暦 at all,
and Chromium's desktop control is a segmented field that refuses a pasted 2025/4/1; the
dates staff copy most (a 受給者証's 支給決定期間) are printed in 和暦, years away from
today, where a phone's date wheel is slow too. So a date is one ``type=text`` input with a
visible example beside it (a placeholder would vanish as one types) and, on a form shown
again, the date it was read as. ``inputmode`` is left to the full keyboard: the numeric
pads of phones have no ``/`` or ``.`` (iPhone's none at all) and no way to letters or the
IME, so 令和 and R7 could not be typed; ``20250401`` is read for those who type digits only.

**Numbers.** A field of ASCII digits (受給者証番号, 市町村番号, 事業所番号, 法人番号: a
``^[0-9]{N}$`` pattern in domain/payloads.py) takes full-width digits and surrounding
spaces (:func:`read_digits`); it gets ``inputmode=numeric``, as only digits belong there.
The JSON API keeps its pattern: it checks ``office_id`` against the token before the payload
is validated, so reading other digits there would need that check changed too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import jaconv


@dataclass(frozen=True, slots=True)
class Era:
    """A Japanese era (元号): its name, its letter, its first and last day."""

    name: str
    letter: str
    first: date
    last: date | None  # None: the era in force

    def span_ja(self) -> str:
        """「平成は 1989-01-08 から 2019-04-30 まで」, 「令和は 2019-05-01 から」."""
        until = f" {self.last.isoformat()} まで" if self.last else ""
        return f"{self.name}は {self.first.isoformat()} から{until}"


#: The eras read: 令和 from 2019-05-01 (平成31年4月30日 was 平成's last day), 平成 from
#: 1989-01-08 (昭和64年1月7日 was 昭和's last), 昭和 from 1926-12-25.
ERAS = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
)
_BY_NAME = {key: era for era in ERAS for key in (era.name, era.letter)}

#: Shown beside every date input.
DATE_HINT_JA = "例: 2025-04-01、2025/4/1、令和7年4月1日、R7.4.1"
UNREADABLE_JA = f"日付として読めません({DATE_HINT_JA})"

#: What an IME or a word processor gives for a separator: read as - . /
_SEPARATORS = str.maketrans(
    {**dict.fromkeys("ー‐‑‒–—―−﹣", "-"), "。": ".", "｡": ".", "・": "/", "･": "/"}
)
_SEP = r"[-/.]"
# re.ASCII: \d is 0-9 only (other scripts' digits are not read as a day)
_WESTERN = re.compile(rf"(\d{{4}})(?:{_SEP}|年)(\d{{1,2}})(?:{_SEP}|月)(\d{{1,2}})日?", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_ERA = re.compile(
    rf"(令和|平成|昭和|R|H|S)(元|\d{{1,3}})(?:{_SEP}|年)(\d{{1,2}})(?:{_SEP}|月)(\d{{1,2}})日?",
    re.ASCII,
)


def read_date(text: str) -> date:
    """The day ``text`` names, in any form the module docstring lists; ValueError with a
    Japanese message a staff member can act on otherwise."""
    folded = _fold(text)
    if found := _ERA.fullmatch(folded):
        name, year, month, day = found.groups()
        return _era_day(_BY_NAME[name], 1 if year == "元" else int(year), int(month), int(day))
    if found := _WESTERN.fullmatch(folded) or _COMPACT.fullmatch(folded):
        year, month, day = (int(part) for part in found.groups())
        return _day(year, month, day, f"{year}年{month}月{day}日")
    raise ValueError(UNREADABLE_JA)


def _fold(text: str) -> str:
    """Half-width, upper-case, IME separators as ASCII, no spaces at all."""
    half = jaconv.z2h(text, kana=False, ascii=True, digit=True).translate(_SEPARATORS)
    return "".join(half.split()).upper()


def _era_day(era: Era, year: int, month: int, day: int) -> date:
    written = f"{era.name}{'元' if year == 1 else year}年{month}月{day}日"
    if year == 0:
        raise ValueError(f"{era.name}0年はありません(最初の年は{era.name}元年、1年です)")
    found = _day(era.first.year + year - 1, month, day, written)
    if found < era.first or (era.last is not None and found > era.last):
        raise ValueError(
            f"{written}はありません({era.span_ja()})。西暦か正しい元号で入力してください"
        )
    return found


def _day(year: int, month: int, day: int, written: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"存在しない日付です({written})") from None


def read_digits(text: str) -> str:
    """``text`` with full-width digits as ASCII and no spaces around it (U+3000 too); the
    rest is left for the payload's pattern to judge (its message names the digits wanted)."""
    return jaconv.z2h(text, kana=False, ascii=False, digit=True).strip()
