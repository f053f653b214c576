"""What the document does not give: template cells never found (missing, not 0), tables
whose header words are printed but whose rows could not be recovered, and truncation."""

from __future__ import annotations

from functools import lru_cache

from extractor.ingest.document import Document
from extractor.mapping.matching import compact
from extractor.mapping.state import State
from extractor.schema import LAYOUTS, ROW_TITLES, Cell, CellState, Issue, SectionHit
from extractor.schema.templates import template_rows
from extractor.schema.trusted import trusted_given

#: Words printed in each table's header: present in the text although the table was not
#: recovered means "unreadable layout", absent means "the document stops before it".
TABLE_VOCABULARY = {
    "s2": ("第二十条",),
    "s3": ("本年新收", "上年结转"),
    "s4": ("结果维持", "尚未审结"),
}


def _section_name(section: str) -> str:
    return f"section {'二三四'[int(section[1]) - 2]}"


def absent_tables(doc: Document, cells: dict[str, Cell], template: str) -> dict[str, bool]:
    """Sections whose table is entirely absent, each with whether its header words appear
    in the text (True: an unrecoverable layout; False: the document never printed it)."""
    present = {p.partition(".")[0] for p in cells if "." in p}
    absent = [section for section in LAYOUTS[template] if section not in present]
    if not absent:
        return {}
    flat = compact(doc.text)
    return {section: any(w in flat for w in TABLE_VOCABULARY[section]) for section in absent}


def is_truncated(doc: Document, st: State, sections: list[SectionHit], absent: dict[str, bool]) -> bool:
    """The document stops before a template table: a table is absent, its header words
    appear nowhere, and no later section heading (四/五/六) follows the last table."""
    if all(absent.values()):  # also when nothing is absent
        return False
    after = doc.rows[st.last_table_row].end if st.last_table_row >= 0 else 0
    later = [h for h in sections if h.span[0] >= after and h.id in ("四", "五", "六")]
    return not later


def starts_cut(st: State, sections: list[SectionHit], absent: dict[str, bool]) -> bool:
    """The document starts inside the template's tables (the last page of a report, a part
    of one): section 二's table is absent and its header words appear nowhere, section 三's
    first row is not printed, and no heading of sections 一–三 is found."""
    return (
        absent.get("s2") is False
        and "s3.new_received" not in st.placed
        and bool(st.placed or st.s4_values)
        and not any(h.id in ("一", "二", "三") for h in sections)
    )


def template_from_rows(st: State, sections: list[SectionHit],
                       evidence: list[str]) -> tuple[str | None, str | None, list[str]]:
    """For a document whose text names neither template version (no header word, no year):
    (the version, the layout to read it in, the evidence). Section 三's （六） rows tell the
    version (one row in 2019, three in 2021); a part of a report that prints neither (only
    section 三's last rows and section 四, the same in both) is read in the 2021 layout with
    its version unknown. Nothing is read when no section 三 or 四 row and no section heading
    was found."""
    if "s3.other_processing" in st.placed:
        return "2019", "2019", [*evidence, "2019: （六）其他处理 printed as one row"]
    if any(f"s3.other_processing_{i}" in st.placed for i in (1, 2, 3)):
        return "2021", "2021", [*evidence, "2021: （六）其他处理 printed as three rows"]
    tables = st.s4_values or any(k.startswith("s3.") for k in st.placed)
    return None, ("2021" if tables and sections else None), evidence


def unrecovered_tables(absent: dict[str, bool]) -> list[Issue]:
    """A LAYOUT issue for each absent table whose header words are in the text."""
    return [
        Issue(
            rule="LAYOUT", key=f"LAYOUT:{section}",
            message=f"{_section_name(section)}: the table's header words are in the "
            "text but its rows could not be recovered from this layout; nothing was guessed",
        )
        for section, words_present in absent.items() if words_present
    ]


@lru_cache(maxsize=4096)
def _missing_reason(path: str, truncated: bool) -> str:
    return (f"MISSING: {ROW_TITLES.get(path.rsplit('.', 1)[0], path)} is absent from the source"
            + (" (the document is truncated)" if truncated else ""))


@lru_cache(maxsize=8)
def _sections(template: str) -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]:
    """A template's rows grouped by section: (section, ((row, the row's paths), …))."""
    by_section: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for section, r, paths in template_rows(template):
        by_section.setdefault(section, []).append((r, paths))
    return tuple((section, tuple(rows)) for section, rows in by_section.items())


@lru_cache(maxsize=16)
def _reasons(template: str, truncated: bool) -> dict[str, str]:
    """The reason of each cell of a template when it is missing."""
    return {p: _missing_reason(p, truncated) for _, _, paths in template_rows(template) for p in paths}


#: A missing cell (see `trusted_given`): ~100 a report cut off before its last tables.
_missing_cell = trusted_given(Cell, ("path", "state", "reasons"))


def missing(template: str, cells: dict[str, Cell], truncated: bool) -> list[Issue]:
    """A MISSING issue per section with template cells not found; each such cell is added
    to `cells` as missing (never 0)."""
    issues: list[Issue] = []
    state = CellState.MISSING
    reasons = _reasons(template, truncated)
    for section, rows in _sections(template):
        absent = []
        for r, paths in rows:
            cut = [p for p in paths if p not in cells]
            if cut:
                absent.append((r, paths, cut))
        if not absent:
            continue
        names = "、".join(
            ROW_TITLES.get(f"{section}.{r}", r) + ("" if len(cut) == len(paths) else f"（{len(cut)} cells cut off）")
            for r, paths, cut in absent
        )
        whole = len(absent) == len(rows) and all(len(cut) == len(paths) for _, paths, cut in absent)
        what = "the table is absent" if whole else f"{len(absent)} of {len(rows)} rows are absent or cut"
        why = " (the document is truncated)" if truncated else ""
        missed = [p for _, _, cut in absent for p in cut]
        issues.append(
            Issue(
                rule="MISSING",
                key=f"MISSING:{section}",
                message=f"{_section_name(section)}: {what}{why}; missing, not 0: {names}",
                paths=missed,
            )
        )
        for p in missed:
            cells[p] = _missing_cell(p, state, [reasons[p]])
    return issues
