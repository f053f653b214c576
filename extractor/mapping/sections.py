"""Find the six section headings, even repeated, shuffled or misspelt.

A heading is a short plain line "<numeral>、<title>"; the section is decided by the title
(fuzzy), not by the numeral, because fragments of other documents reuse numerals.
"""

from __future__ import annotations

import re
from functools import lru_cache

from extractor.ingest.document import Row
from extractor.mapping.matching import bare, similarity
from extractor.schema import SectionHit
from extractor.schema.trusted import trusted_given

TITLES: dict[str, tuple[str, ...]] = {
    "一": ("总体情况",),
    "二": ("主动公开政府信息情况",),
    "三": ("收到和处理政府信息公开申请情况", "依申请公开政府信息情况"),
    "四": (
        "政府信息公开行政复议行政诉讼情况",
        "因政府信息公开工作被申请行政复议和提起行政诉讼情况",
        "政府信息公开行政复议行政诉讼情况统计",
    ),
    "五": ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
    "六": ("其他需要报告的事项",),
}

#: A heading found (see `trusted_given`): its id, text and span, valid by construction.
_section_hit = trusted_given(SectionHit, ("id", "heading", "span"))
_HEADING = re.compile(r"^\s*([一二三四五六])\s*[、.,]\s*(\S.{1,40})$")


@lru_cache(maxsize=8192)
def _section_of(title: str) -> tuple[str | None, float]:
    """The section whose title best matches a heading's (bare) title, and the score."""
    best, score = None, 0.0
    for sid, titles in TITLES.items():
        for t in titles:
            s = 1.0 if t in title else similarity(title, t)
            if s > score:
                best, score = sid, s
    return best, score


def find_sections(rows: list[Row], threshold: float = 0.6) -> list[SectionHit]:
    hits: list[SectionHit] = []
    for row in rows:
        if not row.is_line:
            continue
        cell = row.cells[0]
        m = _HEADING.match(cell.text)
        if not m:
            continue
        best, score = _section_of(bare(m.group(2)))
        # A numeral that disagrees with the title is trusted only for a near-exact title:
        # fragments of other documents reuse numerals ("二、依申请公开").
        if best is not None and score >= threshold and (best == m.group(1) or score >= 0.8):
            hits.append(_section_hit(best, cell.text, (cell.start, cell.end)))
    return hits
