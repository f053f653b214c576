"""The LLM pass over one report: which tasks run, and how their answers are judged.

Policy. `--llm on`: every task runs (the LLM is a second reader of every table). `--llm auto`
with an endpoint configured: table mapping runs only for sections where the parser's result
has an extraction-side problem (missing or unreadable cells, LAYOUT or GROUND flags, an
identity failing with verdict extraction_error): a source inconsistency is the report's,
not ours, and needs no second reader. Metadata runs when META flags exist. The narrative
task always runs (the rules do not read the narrative).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractor.ingest.document import Document
from extractor.llm import metadata, narrative, table_mapping
from extractor.llm.align import Passage
from extractor.llm.client import LLMClient, Usage
from extractor.llm.config import host
from extractor.llm.grid import build_grid, narrative_text
from extractor.llm.prompts import load
from extractor.llm.reconcile import Counts, merge, with_cells
from extractor.schema import (
    LAYOUTS,
    Cell,
    CellState,
    CellStatus,
    Extraction,
    Issue,
    LLMReport,
    LLMTask,
    Record,
    iter_cells,
    summarize,
)
from verify import verify
from verify.narrative import check_claims
from verify.reconcile import failed_identities

TASKS = ("table_mapping", "narrative", "metadata")


def needs_mapping(parser: Record, section: str) -> str | None:
    """Why the parser's result for a section wants a second reader (None: it does not)."""
    prefix = section + "."
    cells = [c for c in iter_cells(parser.tables) if c.path.startswith(prefix)]
    if any(c.state in (CellState.MISSING, CellState.UNREADABLE) for c in cells):
        return "cells missing or unreadable"
    for f in parser.flags:
        if any(p.startswith(prefix) for p in f.paths) and (
                f.rule in ("GROUND", "LAYOUT") or f.verdict == "extraction_error"):
            return f"flag {f.key}"
    return None


def open_rows(parser: Record, template: str, section: str,
              everything: bool = False) -> tuple[list[str], list[tuple[int, int]]]:
    """The template rows of a section the rules left open (a cell missing, unreadable or
    flagged), and the spans of the cells the rules settled (not flagged) in the other rows,
    which the LLM is not offered. `everything` (--llm on): every row, every value cell."""
    prefix = section + "."
    rows: list[str] = []
    taken: list[tuple[int, int]] = []
    by_row: dict[str, list[Cell]] = {}
    for c in iter_cells(parser.tables):
        if c.path.startswith(prefix):
            by_row.setdefault(c.path.split(".")[1], []).append(c)
    for row in LAYOUTS[template][section]:
        cells = by_row.get(row, [])
        if everything or any(c.status is CellStatus.FLAGGED
                             or c.state in (CellState.MISSING, CellState.UNREADABLE) for c in cells):
            rows.append(row)
    if not everything:  # a settled cell of an open row stays citable: its row is asked whole
        taken = [c.span for row, cells in by_row.items() if row not in rows for c in cells
                 if c.span is not None and c.status is not CellStatus.FLAGGED]
    return rows, taken


def confirm_llm_cells(record: Record) -> None:
    """A cell only the LLM placed (reader and placement `llm`: the evidence is the LLM's
    citation) whose cited text grounds and that a passing identity covers is verified: the
    LLM chose the cell and the identity, which played no part in that choice, confirms it.
    The verifier marks every non-direct placement inferred; this is the one it may raise.
    A reason on the cell (a failing identity, grounding) keeps it flagged."""
    passed = {p for c in record.checks if c.outcome == "pass" for p in c.paths}
    for cell in iter_cells(record.tables):
        if (cell.reader == "llm" and cell.placement == "llm" and not cell.reasons
                and cell.status is CellStatus.INFERRED and cell.path in passed):
            cell.status = CellStatus.VERIFIED
    record.summary = summarize(record.tables)


@dataclass
class LLMPass:
    client: LLMClient
    always: bool = False  # --llm on

    def _report(self) -> LLMReport:
        return LLMReport(model=self.client.settings.model or "", modes=[],
                         endpoint=host(self.client.settings.endpoint),
                         prompt_versions={t: load(t).version for t in TASKS})

    def _ask(self, report: LLMReport, usage: Usage, version: str, msgs: list[dict[str, str]],
             model: Any, context: dict[str, Any] | None = None) -> Any:
        ans = self.client.ask(version, msgs, model, context)
        usage += ans.usage
        if ans.mode not in report.modes:
            report.modes.append(ans.mode)
        return ans

    def run(self, doc: Document, extraction: Extraction) -> Record:
        """`extraction` is not modified; the returned record is the verified merge."""
        text = doc.text
        parser = verify(extraction.model_copy(deep=True), text)
        report, usage = self._report(), Usage()
        llm_cells, cited = self._tables(doc, extraction, parser, report, usage)
        counts = Counts()
        if llm_cells:
            llm = verify(with_cells(extraction, llm_cells, []), text)
            merged, counts = merge(extraction, parser, llm, llm_cells, cited)
        else:
            merged = with_cells(extraction, {})
        self._metadata(doc, merged, parser, report, usage)
        record = verify(merged, text)
        confirm_llm_cells(record)
        self._narrative(doc, extraction, record, report, usage)
        report.prompt_tokens, report.completion_tokens = usage.prompt_tokens, usage.completion_tokens
        report.cost = self.client.cost(usage)
        report.two_readers, report.disagreements, report.llm_only = (
            counts.two_readers, counts.disagreements, counts.llm_only)
        record.llm = report
        return record

    def _tables(self, doc: Document, extraction: Extraction, parser: Record, report: LLMReport,
                usage: Usage) -> tuple[dict[str, Cell], dict[str, str | None]]:
        prompt = load("table_mapping")
        template = extraction.tables.template
        llm_cells: dict[str, Cell] = {}
        cited: dict[str, str | None] = {}
        for section in ("s2", "s3", "s4"):
            why = "--llm on" if self.always else needs_mapping(parser, section)
            if why is None:
                report.tasks.append(LLMTask(task="table_mapping", section=section, outcome="skipped",
                                            detail="the parser's result needs no second reader"))
                continue
            grid = build_grid(doc, extraction.sections, section)
            if not grid.has_numbers:
                report.tasks.append(LLMTask(task="table_mapping", section=section, outcome="skipped",
                                            detail="no table rows with numbers in this section"))
                continue
            rows, taken = open_rows(parser, template, section, everything=self.always)
            ids = table_mapping.value_ids(grid, taken)
            if not rows or not ids:
                report.tasks.append(LLMTask(task="table_mapping", section=section, outcome="skipped",
                                            detail="no open row" if not rows else
                                            "no grid cell left that holds a value"))
                continue
            model = table_mapping.mapping_model(template, section, ids, rows)
            msgs = table_mapping.messages(prompt, template, section, grid, rows)
            context = {"cell_ids": set(ids)}
            ans = self._ask(report, usage, prompt.version, msgs, model, context)
            if ans.value is None:
                report.tasks.append(LLMTask(task="table_mapping", section=section, outcome="failed",
                                            detail=ans.error))
                continue
            mapping = ans.value
            if not any(cid for row in type(mapping).model_fields
                       for cid in table_mapping.cited_ids(mapping, row)):
                report.tasks.append(LLMTask(task="table_mapping", section=section,
                                            outcome="ok", detail=f"{why}; no cell cited"))
                continue
            cells = table_mapping.cells_from_mapping(doc, template, section, grid, mapping)
            # One feedback round when the LLM's cells break identities the parser's did not.
            fails = self._new_failures(extraction, parser, cells)
            detail = why
            if fails:
                again = self._ask(report, usage, prompt.version,
                                  table_mapping.feedback(msgs, mapping, [f.message for f in fails]),
                                  model, context)
                if again.value is not None:
                    cells2 = table_mapping.cells_from_mapping(doc, template, section, grid, again.value)
                    if len(self._new_failures(extraction, parser, cells2)) < len(fails):
                        cells, mapping = cells2, again.value
                detail = f"{why}; identities fed back once ({len(fails)} failing)"
            for row in type(mapping).model_fields:
                for col, cid in zip(LAYOUTS[template][section][row],
                                    table_mapping.cited_ids(mapping, row), strict=True):
                    cited[f"{section}.{row}.{col}"] = cid
            llm_cells.update(cells)
            report.tasks.append(LLMTask(task="table_mapping", section=section, outcome="ok",
                                        detail=detail))
        return llm_cells, cited

    @staticmethod
    def _new_failures(extraction: Extraction, parser: Record, cells: dict[str, Cell]) -> list[Any]:
        record = verify(with_cells(extraction, cells, []), parser.text)
        before = {c.key for c in parser.checks if c.outcome == "fail"}
        return [c for c in failed_identities(record, set(cells)) if c.key not in before]

    def _metadata(self, doc: Document, merged: Extraction, parser: Record, report: LLMReport,
                  usage: Usage) -> None:
        missing = {i.key for i in parser.flags if i.rule == "META"}
        if not missing and not self.always:
            report.tasks.append(LLMTask(task="metadata", outcome="skipped",
                                        detail="agency and year found by the rules"))
            return
        prompt = load("metadata")
        p = metadata.passage(doc)
        ans = self._ask(report, usage, prompt.version, metadata.messages(prompt, p), metadata.MetaAnswer)
        if ans.value is None:
            report.tasks.append(LLMTask(task="metadata", outcome="failed", detail=ans.error))
            return
        agency, year = metadata.locate(ans.value, p, doc.text)
        filled = []
        for name, found in (("agency", agency), ("year", year)):
            current = getattr(merged.meta, name)
            if found.value is None:
                continue
            if current.value is None:
                setattr(merged.meta, name, found)
                # Still a flag: the rules found nothing to confirm it, so a person checks it.
                merged.issues = [i for i in merged.issues if i.key != f"META:{name}"]
                merged.issues.append(Issue(
                    rule="META", key=f"META_LLM:{name}", severity="flag", span=found.span,
                    verdict="extraction_error",
                    message=f"{name} {found.value!r} was not found by the rules; the LLM read it "
                    "here (quote aligned to the source): check it"))
                filled.append(name)
            elif current.value != found.value:
                merged.issues.append(Issue(
                    rule="META", key=f"META_LLM:{name}", severity="warning", span=found.span,
                    message=f"{name}: the rules read {current.value!r}, the LLM {found.value!r}"))
        report.tasks.append(LLMTask(task="metadata", outcome="ok",
                                    detail=f"filled {', '.join(filled)}" if filled else None))

    def _narrative(self, doc: Document, extraction: Extraction, record: Record, report: LLMReport,
                   usage: Usage) -> None:
        pieces = narrative_text(doc, extraction.sections)
        if not pieces:
            report.tasks.append(LLMTask(task="narrative", outcome="skipped", detail="no narrative text"))
            return
        prompt = load("narrative")
        passage = Passage.of(pieces)
        numbered = narrative.sentences(passage)
        if not numbered:
            report.tasks.append(LLMTask(task="narrative", outcome="skipped",
                                        detail="no narrative sentence states a number"))
            return
        ans = self._ask(report, usage, prompt.version, narrative.messages(prompt, numbered),
                        narrative.NarrativeFacts)
        if ans.value is None:
            report.tasks.append(LLMTask(task="narrative", outcome="failed", detail=ans.error))
            return
        claims, dropped = narrative.ground_claims(ans.value, numbered, passage, doc.text)
        report.claims, report.dropped_claims = claims, dropped
        checks, warnings = check_claims(claims, record)
        record.checks.extend(checks)
        record.warnings.extend(warnings)
        detail = f"{len(claims)} claims grounded, {dropped} dropped (the sentence cited does not print the number)"
        report.tasks.append(LLMTask(task="narrative", outcome="ok", detail=detail))
