"""Align an LLM's verbatim quote to a character span of the source text.

Exact match first; then fuzzy at the character level (rapidfuzz's partial-ratio alignment,
which suits Chinese: no word segmentation needed). A quote that does not align is dropped
by the caller, never kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

FUZZY_CUTOFF = 85.0


@dataclass
class Passage:
    """Pieces of the normalized text joined with newlines, with a map back to offsets."""

    text: str
    offsets: list[int]  # offsets[i] = position in the normalized text of text[i]

    @classmethod
    def of(cls, pieces: list[tuple[int, str]]) -> Passage:
        chars: list[str] = []
        offs: list[int] = []
        for start, piece in pieces:
            if chars:
                chars.append("\n")
                offs.append(offs[-1] + 1)
            chars.extend(piece)
            offs.extend(range(start, start + len(piece)))
        return cls("".join(chars), offs)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Aligned:
    start: int  # in the passage
    end: int
    exact: bool
    score: float


def align(quote: str, passage: str, cutoff: float = FUZZY_CUTOFF) -> Aligned | None:
    quote = quote.strip()
    if not quote:
        return None
    i = passage.find(quote)
    if i >= 0:
        return Aligned(i, i + len(quote), True, 100.0)
    r = fuzz.partial_ratio_alignment(quote, passage, score_cutoff=cutoff)
    if r is None or r.dest_end <= r.dest_start:
        return None
    return Aligned(r.dest_start, r.dest_end, False, round(r.score, 1))


def find_number(number: str, passage: str, start: int, end: int) -> tuple[int, int] | None:
    """The printed number inside passage[start:end] (not part of a longer number)."""
    digits = number.strip().replace(",", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?", digits):
        return None
    pat = re.compile(rf"(?<![\d.]){re.escape(digits)}(?![\d.])")
    # Fuzzy alignment may clip a digit at the edges: look a few characters around it.
    lo, hi = max(0, start - 3), min(len(passage), end + 3)
    m = pat.search(passage, lo, hi)
    return (m.start(), m.end()) if m else None
