"""Narrative facts: numbers stated in sections 一/五/六, each grounded by its quote.

The LLM returns (topic, number as printed, verbatim quote). Each quote is aligned to a span
of the source (exact, then fuzzy); the number must occur inside the aligned passage and is
re-read from the source there. Claims that do not align are dropped and counted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.llm.align import Passage, align, find_number
from extractor.llm.prompts import Prompt
from extractor.schema import Claim

Topic = Literal["active_total", "active_part", "applications_received", "applications_granted",
                "applications_carried_over", "review", "litigation", "punishment", "licensing",
                "coercion", "fees", "other"]


class RawClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: Topic
    number: str = Field(description="The number exactly as printed, digits only")
    quote: str = Field(description="Verbatim passage of the text containing the number")
    part_of: int | None = Field(default=None, description="Index of the active_total claim")


class NarrativeFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claims: list[RawClaim]


def messages(prompt: Prompt, passage: Passage) -> list[dict[str, str]]:
    return [{"role": "system", "content": prompt.text},
            {"role": "user", "content": f"The narrative text:\n{passage.text}"}]


def ground_claims(facts: NarrativeFacts, passage: Passage, source: str) -> tuple[list[Claim], int]:
    """Claims aligned to the source, and how many were dropped."""
    kept: list[Claim] = []
    index: dict[int, int] = {}  # LLM's claim index -> kept index
    dropped = 0
    for i, raw in enumerate(facts.claims):
        a = align(raw.quote, passage.text)
        num = find_number(raw.number, passage.text, a.start, a.end) if a else None
        if a is None or num is None:
            dropped += 1
            continue
        span = passage.span(a.start, a.end)
        number_span = passage.span(*num)
        printed = source[number_span[0]:number_span[1]]
        value: int | Decimal = Decimal(printed) if "." in printed else int(printed)
        index[i] = len(kept)
        kept.append(Claim(topic=raw.topic, value=value, quote=source[span[0]:span[1]], span=span,
                          number_span=number_span, part_of=raw.part_of,
                          alignment="exact" if a.exact else "fuzzy", score=a.score))
    for c in kept:  # re-point part_of at the kept list; parts of a dropped total lose it
        c.part_of = index.get(c.part_of) if c.part_of is not None else None
    return kept, dropped
