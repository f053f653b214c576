"""Map recovered rows onto the template: the deterministic extractor, stage by stage.

Metadata, sections and the template version are read first; one scan over the rows then
recognises each table row (`scan`), its values are placed in template column order
(`assemble`), and what the document does not give is reported (`completeness`). A row whose
value count does not fit the template is not guessed at: its cells are flagged.
"""

from __future__ import annotations

from extractor.ingest.document import Document
from extractor.ingest.ocr.provenance import attach as attach_ocr
from extractor.mapping.assemble import place
from extractor.mapping.completeness import (
    absent_tables,
    is_truncated,
    missing,
    starts_cut,
    template_from_rows,
    unrecovered_tables,
)
from extractor.mapping.conflicts import duplicates, renumbered, skipped_next_to_missing
from extractor.mapping.metadata import find_metadata
from extractor.mapping.scan import scan
from extractor.mapping.sections import find_sections
from extractor.mapping.state import State
from extractor.mapping.subtotals import group_total_as_subtotal, publisher_subtotals
from extractor.mapping.template import detect_template
from extractor.schema import (
    Cell,
    Extraction,
    Issue,
    Located,
    ReportMeta,
    SectionHit,
    build_tables,
)
from extractor.schema.trusted import trusted_given

#: The report's metadata and its extraction, made of the extractor's own values (the
#: document's fields, located metadata, lists built here): valid by construction, built
#: without validation.
_report_meta = trusted_given(ReportMeta, ("source_file", "sha256", "format", "encoding", "pages",
                                          "traditional", "agency", "year", "template",
                                          "template_evidence", "ocr", "ocr_pages"))
_extraction = trusted_given(Extraction, ("meta", "sections", "truncated", "tables", "issues",
                                         "subtotals"))


class NotAReport(Exception):
    """The text is not a government information-disclosure annual report."""


def extract(doc: Document) -> Extraction:
    """The document's template cells, sections, metadata and publisher subtotals, with every
    issue found on the way; raises `NotAReport` when nothing says it is one."""
    sections = find_sections(doc.rows)
    rejected: list[str] = []
    agency, year = find_metadata(doc.rows, doc.text, rejected)
    template, evidence = detect_template(doc.text, year.value if isinstance(year.value, int) else None)
    st = scan(doc, template or "2019")
    layout = template
    if template is None:
        template, layout, evidence = template_from_rows(st, sections, evidence)
        if layout is not None and layout != "2019":
            st = scan(doc, layout)
    meta = _report_meta(doc.name, doc.sha256, doc.format, doc.encoding, doc.pages,
                        doc.traditional, agency, year, template, evidence,
                        bool(doc.ocr_pages), list(doc.ocr_pages))
    titled = agency.value is not None or year.value is not None
    if layout is None or (
        not st.placed and not st.s4_values and len(sections) < 3 and not titled
    ):
        raise NotAReport(
            "not a government information-disclosure annual report: no template table, no "
            "section headings and no report title were found"
        )
    group_total_as_subtotal(layout, st)
    cells, issues, cut = place(doc, layout, st)
    issues += renumbered(st, cells) + duplicates(doc, layout, st, cells)
    subtotals, subtotal_issues = publisher_subtotals(doc, layout, st)
    issues += subtotal_issues
    truncated, issues = _completeness(doc, layout, st, sections, cells, cut, issues)
    issues += _meta_issues(agency, year, rejected)
    if template is None:
        issues.append(Issue(rule="META", key="META:template", message=(
            "the template version could not be determined: the document prints no header word "
            f"of either version and no year; its rows are read in the {layout} template's layout, "
            "and the rows it prints are the same in both versions")))
    attach_ocr(doc, [*cells.values(), *(c for sub in subtotals for c in sub.cells)])
    return _extraction(meta, sections, truncated, build_tables(layout, cells), issues, subtotals)


def _completeness(doc: Document, layout: str, st: State, sections: list[SectionHit],
                  cells: dict[str, Cell], cut: bool, issues: list[Issue]) -> tuple[bool, list[Issue]]:
    """Whether the document is cut off (at its end or its start), with the issues of what is
    absent, missing or skipped next to a missing row."""
    absent = absent_tables(doc, cells, layout)
    end_cut = cut or is_truncated(doc, st, sections, absent)
    head_cut = starts_cut(st, sections, absent)
    truncated = end_cut or head_cut
    issues += unrecovered_tables(absent)
    issues += missing(layout, cells, truncated)
    issues = skipped_next_to_missing(layout, st, cells, issues)
    if truncated:
        issues.append(Issue(rule="TRUNCATED", key="TRUNCATED", message=(
            "the document stops before a template table it should contain" if end_cut else
            "the document starts inside the template's tables: what comes before is cut off "
            "(the last page of a report, or a part of one)")))
    return truncated, issues


def _meta_issues(agency: Located, year: Located, rejected: list[str]) -> list[Issue]:
    tried = {"agency": f"; candidates read and rejected: {'; '.join(rejected)}" if rejected else ""}
    return [
        Issue(rule="META", key=f"META:{name}",
              message=f"the report's {name} was not found{tried.get(name, '')}")
        for name, loc in (("agency", agency), ("year", year))
        if loc.value is None
    ]
