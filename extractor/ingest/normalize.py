"""Text normalization that remembers where every character came from.

`normalize(text)` returns the normalized text and, for each of its characters, the index
of the character in the input it came from, so a span in the normalized text can always be
mapped back to the file as stored (`to_source`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Word export artefacts such as "[bookmark: _GoBack]".
_ARTEFACT = re.compile(r"\[bookmark:[^\]\n]{0,80}\]")

_DROP = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SPACE = "\u00a0\u3000\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\x0b\x0c"
_MAP = {
    "\u2212": "-",  # minus sign
    "\ufe63": "-",  # small hyphen-minus
    "\u2010": "-",
    "\u2011": "-",
    "\r": "\n",
}

#: One-to-one replacements (full-width ASCII → ASCII, odd spaces → space, minus signs).
_TABLE: dict[int, str] = {
    **{o: chr(o - 0xFEE0) for o in range(0xFF01, 0xFF5F)},
    **{ord(c): " " for c in _SPACE},
    **{ord(k): v for k, v in _MAP.items()},
}
#: The characters `_TABLE` replaces, each one captured: `_translate` finds them with a regex
#: scan, much faster than `str.translate` with a dict, which looks every character of a CJK
#: text up.
_REPLACED = re.compile("([" + "".join(re.escape(chr(o)) for o in _TABLE) + "])")
#: `_TABLE` keyed by the character.
_BY_CHAR = {chr(o): replacement for o, replacement in _TABLE.items()}


def _translate(text: str) -> str:
    """The same as `text.translate(_TABLE)`: the text split around the characters it
    replaces (one scan; a CJK report has hundreds of full-width commas, and a function
    called for each, as `re.sub` would, cost more than the scan), each one mapped."""
    parts = _REPLACED.split(text)
    parts[1::2] = map(_BY_CHAR.__getitem__, parts[1::2])
    return "".join(parts)


#: Characters and sequences that disappear, which shifts offsets.
_DELETIONS = re.compile(r"[" + _DROP + r"]|\r(?=\n)|" + _ARTEFACT.pattern)
#: The characters a deletion starts with: a text without any has none (a scan for them is
#: several times faster than one for the alternatives of `_DELETIONS`).
_MAY_DELETE = re.compile(r"[" + _DROP + r"\r\[]")


@dataclass(frozen=True)
class Normalized:
    text: str
    offsets: Sequence[int]  # offsets[i] = index in the input of text[i]
    source_length: int

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalized text to the input text."""
        if start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else self.source_length
            return (pos, pos)
        return (self.offsets[start], self.offsets[end - 1] + 1)


def normalize(
    text: str, base: Sequence[int] | None = None, source_length: int | None = None
) -> Normalized:
    """Normalize `text`; if `base` is given, offsets are composed with it.

    `base[i]` is the source index of `text[i]` (used when `text` was itself rendered from
    a richer source such as HTML).
    """
    n = len(text)
    total = n if source_length is None else source_length
    if n and _MAY_DELETE.search(text) is None:  # nothing deleted: offsets are the identity
        return Normalized(_translate(text), base if base is not None else range(n), total)
    kept: list[tuple[int, int]] = []  # [lo, hi) runs of the input that survive
    pos = 0
    for m in _DELETIONS.finditer(text):
        if m.start() > pos:
            kept.append((pos, m.start()))
        pos = m.end()
    if pos < n:
        kept.append((pos, n))
    if len(kept) == 1 and kept[0] == (0, n):  # nothing deleted: offsets are the identity
        out = _translate(text)
        return Normalized(out, base if base is not None else range(n), total)
    out = _translate("".join(text[lo:hi] for lo, hi in kept))
    offs: list[int] = []
    for lo, hi in kept:
        offs.extend(range(lo, hi))
    if base is not None:
        offs = [base[j] for j in offs]
    return Normalized(out, offs, total)
