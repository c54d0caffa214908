"""The reading of a name (氏名(カナ)) in one form: full-width katakana, one space between parts.

Staff type a reading however their keyboard gives it: in hiragana (the IME's default,
やまだ たろう), in half-width katakana (ﾔﾏﾀﾞ, from older systems), with a full-width space
between family and given name. Every door stores the same reading (ヤマダ タロウ), so a
listing, a search or a name matched against a consent's parties (CON-1..3) finds it
however it was typed. The payload's validation applies :func:`katakana_reading` to what
is sent; stored payloads are read as they were stored (domain.payloads).

Width and script are converted with ``jaconv`` (pure Python, typed, kept up to date);
the conversion is idempotent: a reading already in this form is returned unchanged.
"""

from __future__ import annotations

import jaconv


def katakana_reading(text: str) -> str:
    """``text`` with hiragana and half-width katakana as full-width katakana, and each run
    of spaces (half- or full-width) as one half-width space, none at either end.

    Other characters are left as typed: this converts a reading, it does not judge one.
    """
    full_width = jaconv.h2z(text, kana=True, ascii=False, digit=False)  # ﾀﾞ → ダ, not タ゛
    return " ".join(jaconv.hira2kata(full_width).split())  # split(): U+3000 is a space
