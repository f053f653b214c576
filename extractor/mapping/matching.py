"""Label matching tolerant of typos, numbering and punctuation."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.,]|[(（][一二三四五六七八九十久]+[)）]|\d+[.、,]?)+"
)
_PUNCT = re.compile(r"[\s\"'“”‘’、,，.。:：;；()（）\[\]【】|/]")
#: A regex class of every character `bare` may remove from a label that does not end in a
#: bracket (there is no trailing note then): white space and `_PUNCT`'s punctuation, and what
#: `_NUMBERING`'s prefixes are made of. Any other character of such a label is in its bare form.
BARE_MAY_REMOVE = r"\s\d一二三四五六七八九十久\"'“”‘’、,，.。:：;；()（）\[\]【】|/"


def compact(text: str) -> str:
    """Text without whitespace (labels are often broken over lines)."""
    return "".join(text.split())


#: A trailing explanatory note: "规章(设区的市、自治州人民政府应提供相关数据)".
_NOTE = re.compile(r"(?<=..)[(（][^()（）]{4,}[)）]$")


@lru_cache(maxsize=8192)
def bare(label: str) -> str:
    """A label without its numbering prefix, trailing note, whitespace and punctuation.
    Labels repeat within and across reports, so results are cached (keyed by the text)."""
    s = compact(label)
    s = _NOTE.sub("", s)
    s = _NUMBERING.sub("", s)
    return _PUNCT.sub("", s)


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def best_match(
    label: str, candidates: dict[str, tuple[str, ...]], threshold: float = 0.75
) -> tuple[str | None, float]:
    """The candidate key whose canonical labels best match `label` (already bare).

    An exact match or a canonical label contained in `label` scores 1. Labels repeat across
    reports, so results are cached.
    """
    return _best_match(label, tuple(candidates.items()), threshold)


@lru_cache(maxsize=65536)
def _best_match(
    label: str, candidates: tuple[tuple[str, tuple[str, ...]], ...], threshold: float
) -> tuple[str | None, float]:
    best: str | None = None
    best_score = 0.0
    for key, canon in candidates:
        for c in canon:
            if label == c or (len(c) >= 4 and c in label):
                score = 1.0
            else:
                score = similarity(label, c)
            if score > best_score:
                best, best_score = key, score
    return (best, best_score) if best_score >= threshold else (None, best_score)
