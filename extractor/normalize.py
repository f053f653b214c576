"""Text normalization that remembers where every character came from.

`normalize(text)` returns the normalized text and, for each of its characters, the index
of the character in the input it came from, so a span in the normalized text can always be
mapped back to the file as stored (`to_source`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Word export artefacts such as "[bookmark: _GoBack]".
_ARTEFACT = re.compile(r"\[bookmark:[^\]\n]{0,80}\]")

_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_SPACE = {"\u00a0", "\u3000", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007",
          "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\x0b", "\x0c"}
_MAP = {
    "\u2212": "-",  # minus sign
    "\ufe63": "-",  # small hyphen-minus
    "\u2010": "-",
    "\u2011": "-",
    "\r": "\n",
}


def _char(c: str) -> str | None:
    """The normalized form of one character ('' drops it)."""
    if c in _DROP:
        return ""
    if c in _SPACE:
        return " "
    if c in _MAP:
        return _MAP[c]
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:  # full-width ASCII: digits, letters, punctuation
        return chr(o - 0xFEE0)
    return None


@dataclass(frozen=True)
class Normalized:
    text: str
    offsets: list[int]  # offsets[i] = index in the input of text[i]
    source_length: int

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalized text to the input text."""
        if start >= end:
            pos = self.offsets[start] if start < len(self.offsets) else self.source_length
            return (pos, pos)
        return (self.offsets[start], self.offsets[end - 1] + 1)


def normalize(
    text: str, base: list[int] | None = None, source_length: int | None = None
) -> Normalized:
    """Normalize `text`; if `base` is given, offsets are composed with it.

    `base[i]` is the source index of `text[i]` (used when `text` was itself rendered from
    a richer source such as HTML).
    """
    out: list[str] = []
    offs: list[int] = []
    artefacts = {m.start(): m.end() for m in _ARTEFACT.finditer(text)}
    i = 0
    n = len(text)
    while i < n:
        if i in artefacts:
            i = artefacts[i]
            continue
        c = text[i]
        if c == "\r" and i + 1 < n and text[i + 1] == "\n":
            i += 1
            continue
        m = _char(c)
        if m is None:
            out.append(c)
            offs.append(i)
        elif m:
            out.append(m)
            offs.append(i)
        i += 1
    if base is not None:
        offs = [base[j] for j in offs]
    return Normalized("".join(out), offs, n if source_length is None else source_length)
