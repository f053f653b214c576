"""Agency and year: from the title (possibly split over lines) or the first sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from extractor.ingest.document import Row
from extractor.schema import Located

_TITLE_PATTERNS = (
    # 海宁市卫生健康局2020年(政府)信息公开工作年度报告 / 普陀区卫生健康局2020年政府信息公开工作年度报
    re.compile(r"^(?P<agency>[^\s,，。、《》:：]{2,40}?)(?P<year>20\d\d)年度?(?:政府|政务)?信息公开"),
    # 2019年上海市人民政府办公厅政府信息公开工作年度报告
    re.compile(r"^(?P<year>20\d\d)年度?(?P<agency>[^\s,，。、《》:：]{2,40}?)(?:政府|政务)?信息公开"),
)
#: A report's name in a sentence (… 2023年政府信息公开工作年度报告).
_REPORT_NAME = r"(?P<year>20\d\d)年度?(?:政府|政务)?信息公开工作年度报告"
_SENTENCE_PATTERNS = (
    # 由平湖市卫生健康局编制的2024年度政府信息公开年度报告
    re.compile(r"由(?P<agency>[^,，。、\s]{2,40}?)编制的?(?P<year>20\d\d)年度?"),
    re.compile(r"(?P<agency>[^,，。、\s]{2,40}?)" + _REPORT_NAME),
)
#: Where the second sentence pattern can match: its agency (2-40 characters) runs up to a
#: report's name, so no match starts more than 40 characters before the first one. The
#: search starts there (a lazy 2-40 character group tried at every character of the head
#: cost ~0.1-0.5 ms a report).
_REPORT_NAME_AT = re.compile(_REPORT_NAME)
_MAX_AGENCY = 40
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


#: Markdown a converter puts around a title ("# 某某局2023年…", "**…**"): not part of it.
_MARKUP = frozenset("#*")

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
            if not ch.isspace() and ch not in _MARKUP:
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


#: Words a sentence starts with, never a name ("在区委、区政府的领导下", "我局按照…").
_SENTENCE_START = re.compile(r"^(?:在|我|按照|根据|依据|依照|对|全年|今年|本年|本局|本机关|本单位|本委|本办|该|"
                             r"各|坚持|围绕|通过|结合|认真|严格)")
#: Verbs inside a sentence fragment, never inside a name ("我局按照区政府").
_SENTENCE_VERB = re.compile(r"按照|根据|依据|领导|贯彻|落实|部署|印发")
#: A name is Chinese: letters, digits or markup come from a page header or a converter
#: ("Page8-", "#").
_NOT_NAME_CHAR = re.compile(r"[^\u4e00-\u9fff（）()·]")
#: A generic reference, not a name: an administrative level and an organ ("区政府", "区委").
_GENERIC = re.compile(r"^[省市区县镇乡州旗]?(?:人民政府|政府|党委|委员会|委|局|办公室|办公厅|厅|办|部门)$")


def implausible_agency(name: str) -> str | None:
    """Why `name` is not an agency's name but a fragment a sentence or a page produced, or
    None when it may be one."""
    if m := _NOT_NAME_CHAR.search(name):
        return f"{m.group()!r} is not part of a name"
    if _SENTENCE_START.match(name) or _SENTENCE_VERB.search(name):
        return "a piece of a sentence"
    if _GENERIC.match(name):
        return "a generic word, not a name"
    return None


def find_metadata(rows: list[Row], text: str,
                  rejected: list[str] | None = None) -> tuple[Located, Located]:
    """(agency, year), each with the span it was read from; value None when not found.

    An agency candidate that is a fragment of a sentence or of a page ("在区委", "政府",
    "Page8-") is not taken; the search goes on, and each one rejected is appended to
    `rejected` (as "candidate: why") for the caller to report.
    """
    rejected = [] if rejected is None else rejected
    agency = year = Located()
    title, offs = _title_chars(rows)
    for pat in _TITLE_PATTERNS:
        m = pat.search(title)
        if m:
            agency, year = _located(m, "agency", offs), _located(m, "year", offs)
            break
    head = text[:1500]
    if year.value is None:
        for pat in _SENTENCE_PATTERNS:
            for m in _sentences(pat, head):
                found = _checked(_located(m, "agency", None), rejected)
                if found.value is not None:
                    return found, _located(m, "year", None)
    agency = _checked(agency, rejected)
    if agency.value is None:
        agency = _agency_only(head, rejected)
    return agency, year if year.value is not None else _year_only(head)


def _sentences(pat: re.Pattern[str], head: str) -> Iterator[re.Match[str]]:
    """`pat.finditer(head)` of a sentence pattern (see `_REPORT_NAME_AT`)."""
    if pat is not _SENTENCE_PATTERNS[1]:
        return pat.finditer(head)
    name = _REPORT_NAME_AT.search(head)
    return pat.finditer(head, max(0, name.start() - _MAX_AGENCY)) if name else iter(())


def _checked(agency: Located, rejected: list[str]) -> Located:
    """The agency, or nothing when it is not a name (recorded in `rejected`)."""
    if agency.value is None:
        return agency
    why = implausible_agency(str(agency.value))
    if why is None:
        return agency
    rejected.append(f"{agency.value}: {why}")
    return Located()


def _year_only(head: str) -> Located:
    for pat in _YEAR_ONLY:
        m = pat.search(head)
        if m:
            return _located(m, "year", None)
    return Located()


def _agency_only(head: str, rejected: list[str]) -> Located:
    for pat in _AGENCY_ONLY:
        for m in pat.finditer(head):
            loc = _located(m, "agency", None)
            name = str(loc.value)
            office = _OFFICE.match(name)
            if office and loc.span is not None:
                name = office["agency"]
                loc = Located(value=name, span=(loc.span[0], loc.span[0] + len(name)))
            loc = _checked(loc, rejected)
            if loc.value is not None:
                return loc
    return Located()
