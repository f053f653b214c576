"""Agency and year: from the title (possibly split over lines) or the first sentence."""

from __future__ import annotations

import re

from extractor.ingest.document import Row
from extractor.schema import Located

_TITLE_PATTERNS = (
    # 海宁市卫生健康局2020年(政府)信息公开工作年度报告 / 普陀区卫生健康局2020年政府信息公开工作年度报
    re.compile(r"^(?P<agency>[^\s,，。、《》:：]{2,40}?)(?P<year>20\d\d)年度?(?:政府|政务)?信息公开"),
    # 2019年上海市人民政府办公厅政府信息公开工作年度报告
    re.compile(r"^(?P<year>20\d\d)年度?(?P<agency>[^\s,，。、《》:：]{2,40}?)(?:政府|政务)?信息公开"),
)
_SENTENCE_PATTERNS = (
    # 由平湖市卫生健康局编制的2024年度政府信息公开年度报告
    re.compile(r"由(?P<agency>[^,，。、\s]{2,40}?)编制的?(?P<year>20\d\d)年度?"),
    re.compile(r"(?P<agency>[^,，。、\s]{2,40}?)(?P<year>20\d\d)年度?(?:政府|政务)?信息公开工作年度报告"),
)
_SENTENCE = re.compile(r"[,，。;；《]")
_YEAR_ONLY = (
    re.compile(r"统计期限(?:自|从|为)?(?P<year>20\d\d)年1月1日"),
    re.compile(r"(?P<year>20\d\d)年度?(?:政府|政务)?信息公开工作年度报告"),
    # A first narrative sentence: "2020年,县审计局认真贯彻执行…"
    re.compile(r"(?:^|\n)\s*(?P<year>20\d\d)年[,，]"),
)
_AGENCY_ONLY = (
    # 由两城镇人民政府党政办公室编制 / 请与…联系 / 请联系桃江县审计局办公室
    re.compile(r"由(?P<agency>[^,，。、\s()（）《》]{2,40}?)(?:负责)?编制"),
    re.compile(r"请(?:与|联系)(?P<agency>[^,，。、\s()（）《》]{2,40}?)(?:联系|[,，。(（])"),
    # A first sentence led by the year: "2022年,抚远市自然资源局不断强化…"
    re.compile(r"(?:^|\n)\s*20\d\d年[,，](?P<agency>[^,，。、\s()（）《》]{2,30}?"
               r"(?:人民政府|政府|委员会|局|委|办公室|办公厅|厅|中心|院|署|所))"),
)
#: The office that compiles an agency's report is not the agency: "两城镇人民政府党政办公室".
_OFFICE = re.compile(r"^(?P<agency>.+(?:人民政府|.局|委员会))(?:党政办公室|综合办公室|办公室|综合科|政务公开办公室)$")


#: Words a converter or a site prints above the title ("正文" from a PDF's bookmarks).
_ABOVE_TITLE = frozenset({"正文", "目录", "附件", "全文", "原文"})


def _title_chars(rows: list[Row]) -> tuple[str, list[int]]:
    """The leading short lines of the document, whitespace removed, with offsets."""
    chars: list[str] = []
    offs: list[int] = []
    taken = 0
    for row in rows[:12]:
        if not row.is_line:
            break
        cell = row.cells[0]
        if not chars and "".join(cell.text.split()) in _ABOVE_TITLE:
            continue
        if len(cell.text) > 60 or _SENTENCE.search(cell.text) or re.match(r"^\s*[一二三四五六][、.]", cell.text):
            break
        for i, ch in enumerate(cell.text):
            if not ch.isspace():
                chars.append(ch)
                offs.append(cell.start + i)
        taken += 1
        if taken == 4 or "报告" in cell.text or cell.text.endswith("年度报"):
            break
    return "".join(chars), offs


#: Verbs that precede the agency in a first sentence ("现公布区统计局2023年…").
_LEAD_VERB = re.compile(r"^(?:现予公布|现公布|现将|特此公布|特编制|编制|公布|发布|现发布)")


def _located(m: re.Match[str], group: str, offs: list[int] | None, base: int = 0) -> Located:
    s, e = m.span(group)
    if group == "agency" and (lead := _LEAD_VERB.match(m[group])) and lead.end() < e - s - 1:
        s += lead.end()  # "现公布区统计局" -> "区统计局"
    value: str | int = int(m[group]) if group == "year" else m.string[s:e]
    span = (offs[s], offs[e - 1] + 1) if offs is not None else (base + s, base + e)
    return Located(value=value, span=span)


def find_metadata(rows: list[Row], text: str) -> tuple[Located, Located]:
    """(agency, year), each with the span it was read from; value None when not found."""
    title, offs = _title_chars(rows)
    for pat in _TITLE_PATTERNS:
        m = pat.search(title)
        if m:
            return _located(m, "agency", offs), _located(m, "year", offs)
    head = text[:1500]
    for pat in _SENTENCE_PATTERNS:
        m = pat.search(head)
        if m:
            return _located(m, "agency", None), _located(m, "year", None)
    return _agency_only(head), _year_only(head)


def _year_only(head: str) -> Located:
    for pat in _YEAR_ONLY:
        m = pat.search(head)
        if m:
            return _located(m, "year", None)
    return Located()


def _agency_only(head: str) -> Located:
    for pat in _AGENCY_ONLY:
        m = pat.search(head)
        if m:
            loc = _located(m, "agency", None)
            name = str(loc.value)
            office = _OFFICE.match(name)
            if office and loc.span is not None:
                name = office["agency"]
                loc = Located(value=name, span=(loc.span[0], loc.span[0] + len(name)))
            return loc
    return Located()
