"""Narrative facts: numbers stated in sections 一/五/六, each pinned to a numbered sentence.

The narrative is sent as numbered sentences (`[3] 2024年我局收到…申请1件。`); the LLM returns
(topic, sentence number, number as printed). Nothing is aligned by paraphrase: the number
must occur in that sentence as a whole number (not part of a longer one), and the value is
re-read from the source there. A claim whose sentence does not print its number is dropped
and counted, never kept. The claim's quote is the clause around the number (from the
previous comma to the next), taken from the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.llm.align import Passage
from extractor.llm.prompts import Prompt
from extractor.schema import Claim

Topic = Literal["active_total", "active_part", "applications_received", "applications_granted",
                "applications_carried_over", "review", "litigation", "punishment", "licensing",
                "coercion", "fees", "other"]

_SENTENCE_END = re.compile(r"[。；;！？!?]+")
_CLAUSE = re.compile(r"[，,、：:（）()]")
MAX_SENTENCES = 400


@dataclass(frozen=True)
class Sentence:
    start: int  # in the passage
    end: int
    text: str


def sentences(passage: Passage) -> list[Sentence]:
    """The passage's sentences (split at 。；！？ and line ends), those with a digit only:
    a sentence without a number can state none."""
    out: list[Sentence] = []
    pos = 0
    for line in passage.text.split("\n"):
        start = pos
        for m in _SENTENCE_END.finditer(line + "。"):
            end = min(m.end(), len(line))
            piece = line[start - pos:end]
            if piece.strip() and any(ch.isdigit() for ch in piece):
                lead = len(piece) - len(piece.lstrip())
                out.append(Sentence(start + lead, pos + end, piece.strip()))
            start = pos + m.end()
        pos += len(line) + 1
    return out[:MAX_SENTENCES]


class RawClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: Topic
    sentence: int = Field(description="The number of the sentence that states it, as in [N]")
    number: str = Field(description="The number exactly as printed in that sentence, digits only")
    part_of: int | None = Field(default=None, description="Index (0-based, in this list) of the "
                                "active_total claim this is a part of")


class NarrativeFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claims: list[RawClaim]


def messages(prompt: Prompt, numbered: list[Sentence]) -> list[dict[str, str]]:
    lines = "\n".join(f"[{i}] {s.text}" for i, s in enumerate(numbered, 1))
    return [{"role": "system", "content": prompt.text},
            {"role": "user", "content": f"The narrative, one numbered sentence per line:\n{lines}"}]


def _number_in(number: str, text: str) -> tuple[int, int] | None:
    digits = number.strip().replace(",", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?", digits):
        return None
    m = re.search(rf"(?<![\d.]){re.escape(digits)}(?![\d.])", text)
    return (m.start(), m.end()) if m else None


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSE.finditer(text, end)), len(text))
    while right > end and text[right - 1] in "。；;！？!? ":
        right -= 1
    return left, right


def ground_claims(facts: NarrativeFacts, numbered: list[Sentence], passage: Passage,
                  source: str) -> tuple[list[Claim], int]:
    """Claims whose sentence prints their number, and how many were dropped."""
    kept: list[Claim] = []
    index: dict[int, int] = {}  # LLM's claim index -> kept index
    dropped = 0
    for i, raw in enumerate(facts.claims):
        s = numbered[raw.sentence - 1] if 1 <= raw.sentence <= len(numbered) else None
        num = _number_in(raw.number, s.text) if s is not None else None
        if s is None or num is None:
            dropped += 1
            continue
        left, right = _clause(s.text, *num)
        span = passage.span(s.start + left, s.start + right)
        number_span = passage.span(s.start + num[0], s.start + num[1])
        printed = source[number_span[0]:number_span[1]]
        value: int | Decimal = Decimal(printed) if "." in printed else int(printed)
        index[i] = len(kept)
        kept.append(Claim(topic=raw.topic, value=value, quote=source[span[0]:span[1]], span=span,
                          number_span=number_span, part_of=raw.part_of,
                          alignment="exact", score=100.0))
    for c in kept:  # re-point part_of at the kept list; parts of a dropped total lose it
        c.part_of = index.get(c.part_of) if c.part_of is not None else None
    return kept, dropped
