"""Traditional-Chinese mirrors of a report read like the simplified original.

Some portals publish a traditional-character mirror (數量, 處理, 總計). Matching labels in
both scripts would double every label table; instead the text is mapped to simplified
characters one character at a time with OpenCC's traditional-to-simplified table, so every
offset stays valid (a span in the converted text is the same span in the original).
Conversion only happens when the text is clearly traditional, because a few characters
are valid in both scripts.
"""

from __future__ import annotations

import re
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


_CJK = "\u3400-\u9fff"


@cache
def _changing() -> re.Pattern[str]:
    """Every character of the CJK range the table maps to another single character, as a
    character class (built once per process, ~10 ms). The range is converted in one call,
    a character a line: no phrase spans a line break, so each line converts as the
    character alone does (`_simplified`)."""
    chars = [chr(o) for o in range(0x3400, 0xA000)]
    outs = _converter().convert("\n".join(chars)).split("\n")
    if len(outs) != len(chars):  # never seen; the slow way, a character at a time
        outs = [_converter().convert(ch) for ch in chars]
    changing = [ch for ch, out in zip(chars, outs, strict=True) if len(out) == 1 and out != ch]
    return re.compile("[" + "".join(changing) + "]")


_CJK_CHAR = re.compile(f"[{_CJK}]")


def simplified_map(text: str) -> dict[int, str] | None:
    """A one-to-one character map to simplified, or None if the text is not traditional."""
    found = _changing().findall(text)  # a regex scan: no Python object per character
    distinct = set(found)
    if len(distinct) < MIN_DISTINCT:
        return None
    table = {ord(ch): _simplified(ch) for ch in distinct}
    total = len(_CJK_CHAR.findall(text))
    return table if total and len(found) / total >= MIN_SHARE else None
