"""Metadata the rules missed: agency and year, each quoted and aligned to the source."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from extractor.ingest.document import Document
from extractor.llm.align import Passage, align
from extractor.llm.prompts import Prompt
from extractor.schema import Located

HEAD_LINES, TAIL_LINES = 8, 3


class MetaAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency_quote: str | None = Field(description="The agency's name exactly as printed")
    year_quote: str | None = Field(description="The report year, four digits as printed")


def passage(doc: Document) -> Passage:
    lines = [(r.cells[0].start, r.cells[0].text) for r in doc.rows
             if r.is_line and r.cells[0].text.strip()]
    picked = lines[:HEAD_LINES] + [x for x in lines[-TAIL_LINES:] if x not in lines[:HEAD_LINES]]
    return Passage.of(picked)


def messages(prompt: Prompt, p: Passage) -> list[dict[str, str]]:
    return [{"role": "system", "content": prompt.text},
            {"role": "user", "content": f"First and last lines of the report:\n{p.text}"}]


#: What an agency's name ends with (a 0.5B model once answered with the regulation's title).
_AGENCY_END = re.compile(r"(?:人民政府|政府|委员会|局|委|办公室|办公厅|厅|中心|院|署|所|处|办|站|队|"
                         r"公司|街道办事处|管委会|管理委员会|研究院|党委|法院|检察院)$")
_NOT_AGENCY = re.compile(r"[《》〈〉]|条例|办法|规定|通知|报告|年度|信息公开")


def plausible_agency(name: str) -> bool:
    """An agency's name: 2-40 characters ending like one, and not a title of a document."""
    name = name.strip()
    return (2 <= len(name) <= 40 and bool(_AGENCY_END.search(name))
            and not _NOT_AGENCY.search(name))


def locate(answer: MetaAnswer, p: Passage, source: str) -> tuple[Located, Located]:
    """Agency and year read from the source where the quotes align (else empty). A quote
    that aligns but does not read as an agency's name is not taken."""
    agency = year = Located()
    if answer.agency_quote and (a := align(answer.agency_quote, p.text, cutoff=90)):
        s, e = p.span(a.start, a.end)
        if plausible_agency(source[s:e]):
            agency = Located(value=source[s:e], span=(s, e))
    if answer.year_quote and (m := re.search(r"20\d\d", answer.year_quote)):
        hit = re.search(rf"(?<!\d){m.group()}(?!\d)", p.text)
        if hit:
            s, e = p.span(hit.start(), hit.end())
            year = Located(value=int(source[s:e]), span=(s, e))
    return agency, year
