"""Merge the parser's cells and the LLM's cells into one extraction for the verifier.

Per cell, with `p` the parser's reading and `l` the LLM's:
- both read the same characters the same way: kept, marked as read by two readers;
- both read something and differ: the parser's value is kept and the cell is flagged with
  both readings and which of them satisfies the identities;
- only the LLM could place it: accepted only when the verifier, on the LLM's reading,
  finds it grounded and confirmed by a passing identity (status verified); otherwise it
  stays missing/unreadable and flagged, with the LLM's reading shown. An accepted cell's
  placement is `llm`: the identity that accepted it cannot also confirm it, so its final
  status is inferred, not verified;
- the LLM cited no cell: nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.schema import (
    Cell,
    CellStatus,
    Extraction,
    Issue,
    Record,
    SecondReading,
    build_tables,
    iter_cells,
    title,
)
from verify.reconcile import identity_view, readable, same_reading, shown


@dataclass
class Counts:
    two_readers: int = 0
    disagreements: int = 0
    llm_only: int = 0


def with_cells(extraction: Extraction, cells: dict[str, Cell], issues: list[Issue] | None = None) -> Extraction:
    """A fresh copy of `extraction` whose cells at `cells`' paths are replaced."""
    merged = {c.path: c.model_copy(deep=True) for c in iter_cells(extraction.tables)}
    merged.update({p: c.model_copy(deep=True) for p, c in cells.items()})
    return extraction.model_copy(update={
        "tables": build_tables(extraction.tables.template, merged),
        "issues": list(extraction.issues if issues is None else issues),
        "meta": extraction.meta.model_copy(deep=True),
    })


def _second(cid: str | None, cell: Cell, agrees: bool) -> SecondReading:
    return SecondReading(cell_id=cid, state=cell.state if cid else None,
                         value=cell.value, raw=cell.raw, span=cell.span, agrees=agrees)


def merge(extraction: Extraction, parser: Record, llm: Record, llm_cells: dict[str, Cell],
          cited: dict[str, str | None]) -> tuple[Extraction, Counts]:
    counts = Counts()
    final = {c.path: c.model_copy(deep=True) for c in iter_cells(extraction.tables)}
    checked = {c.path: c for c in iter_cells(llm.tables)}
    accepted: set[str] = set()
    issues = list(extraction.issues)
    for path, l_cell in llm_cells.items():
        p = final[path]
        cid = cited.get(path)
        if cid is None:
            p.second = _second(None, l_cell, False)
            continue
        if readable(p) and same_reading(p, l_cell):
            p.second = _second(cid, l_cell, True)
            counts.two_readers += 1
        elif readable(p):
            p.second = _second(cid, l_cell, False)
            msg = (f"{title(path)}: the parser reads {shown(p)}, the LLM cites {cid} which reads "
                   f"{shown(l_cell)}; {identity_view(path, parser, llm)}")
            p.reasons.append(f"LLM: {msg}")
            issues.append(Issue(rule="LLM", key=f"LLM:{path}", message=msg, paths=[path],
                                span=p.span, verdict="extraction_error"))
            counts.disagreements += 1
        elif readable(l_cell) and checked[path].status is CellStatus.VERIFIED:
            final[path] = l_cell.model_copy(update={
                "reasons": [], "status": None, "second": _second(cid, l_cell, False),
                "placement": "llm"})
            accepted.add(path)
            counts.llm_only += 1
        else:
            p.second = _second(cid, l_cell, False)
            why = "; ".join(checked[path].reasons)[:300] or "no identity confirms it"
            p.reasons.append(f"LLM: only the LLM places a value here ({cid}: {shown(l_cell)}), "
                             f"not accepted: {why}")
    # Parser issues about cells the LLM has now placed (MISSING, LAYOUT) shrink or go.
    kept: list[Issue] = []
    for issue in issues:
        if issue.paths and accepted.intersection(issue.paths):
            rest = [x for x in issue.paths if x not in accepted]
            if not rest:
                continue
            issue = issue.model_copy(update={"paths": rest, "message": issue.message +
                                             f" ({len(issue.paths) - len(rest)} cells placed by the LLM and verified)"})
        kept.append(issue)
    return with_cells(extraction, final, kept), counts
