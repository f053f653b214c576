"""Traditional-Chinese mirrors of a report read like the simplified original.

Some portals publish a traditional-character mirror (數量, 處理, 總計). Matching labels in
both scripts would double every label table; instead the text is mapped to simplified
characters one character at a time with OpenCC's traditional-to-simplified table, so every
offset stays valid (a span in the converted text is the same span in the original).
Conversion only happens when the text is clearly traditional, because a few characters
are valid in both scripts.
"""

from __future__ import annotations

from functools import cache

import opencc

#: A text is traditional when at least this many distinct characters, and this share of
#: its CJK characters, change under the traditional-to-simplified table.
MIN_DISTINCT = 8
MIN_SHARE = 0.03


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _simplified(ch: str) -> str:
    out = _converter().convert(ch)
    return out if len(out) == 1 else ch


def simplified_map(text: str) -> dict[int, str] | None:
    """A one-to-one character map to simplified, or None if the text is not traditional."""
    cjk = [ch for ch in set(text) if "\u3400" <= ch <= "\u9fff"]
    table = {ord(ch): s for ch in cjk if (s := _simplified(ch)) != ch}
    if len(table) < MIN_DISTINCT:
        return None
    changed = sum(1 for ch in text if ord(ch) in table)
    total = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return table if total and changed / total >= MIN_SHARE else None
