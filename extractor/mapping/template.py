"""Which template version a report follows, and what a table header says (version, unit)."""

from __future__ import annotations

import re
from functools import lru_cache

from extractor.mapping.matching import compact
from extractor.schema.labels import TEMPLATE_EVIDENCE

#: A year printed inside a column header: "本年(2023)制发件数", "本年度（2023年）…", "2023年收费金额".
#: (The bracketed year is spelt out with and without its 本年 prefix, rather than as an
#: optional group, so that every match starts with 本, ( or 2: the regex engine then skips
#: to those characters, which makes a scan of a whole report ~5× faster.)
_HEADER_YEAR = re.compile(r"本年度?\(20\d\d年?度?\)|\(20\d\d年?度?\)|本年度"
                          r"|20\d\d年度?(?=制发件数|废止件数|处理决定数量|收费金额)")
#: A money unit named in a header: "单位：万元", "采购总金额(元)".
_HEADER_UNIT = re.compile(r"(?:单位[:：]?\s*|[(（])(万元|元)")

#: Column headers of section 二 that only one template version prints.
S2_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量", "采购总金额"),
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
}


def detect_template(text: str, year: int | None) -> tuple[str | None, list[str]]:
    """The template version ("2019" or "2021") whose header words the text prints more of,
    else the one of the report year; with the evidence found."""
    flat = compact(text).replace("（", "(").replace("）", ")")
    flat = _HEADER_YEAR.sub("本年", flat)
    found = {v: [k for k in keys if k in flat] for v, keys in TEMPLATE_EVIDENCE.items()}
    evidence = [f"{v}: {k}" for v, ks in found.items() for k in ks]
    n19, n21 = len(found["2019"]), len(found["2021"])
    if n19 > n21:
        return "2019", evidence
    if n21 > n19:
        return "2021", evidence
    if year is not None:
        version = "2019" if year <= 2020 else "2021"
        return version, [*evidence, f"{version}: inferred from the report year {year}"]
    return None, evidence


def s2_header_version(header: list[str]) -> str | None:
    """The template version a section 二 table's header names, if exactly one."""
    return _s2_header_version(tuple(header))


@lru_cache(maxsize=4096)
def _s2_header_version(header: tuple[str, ...]) -> str | None:
    flat = _HEADER_YEAR.sub("本年", compact("".join(header)).replace("（", "(").replace("）", ")"))
    versions = [v for v, words in S2_HEADER_WORDS.items() if any(w in flat for w in words)]
    return versions[0] if len(versions) == 1 else None


def header_unit(header: list[str]) -> str | None:
    """The money unit the first header cell naming one names (万元 or 元), if any."""
    return _header_unit(tuple(header))


@lru_cache(maxsize=4096)
def _header_unit(header: tuple[str, ...]) -> str | None:
    for h in header:
        m = _HEADER_UNIT.search(h)
        if m:
            return m.group(1)
    return None
