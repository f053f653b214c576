"""Subtotal rows a publisher added to section 三: each must equal, column by column, the sum
of its group's sub-rows (（三）不予公开 = 1…8, （四） = 1…3, （五） = 1…5, （六） = 1…3 in 2021).

They are not template cells: the outcome of each column is a check (`SUBTOTAL:<group>:<column>`),
a mismatch is a flag whose cells are the group's sub-rows in that column, and a subtotal that
adds up is reported as a warning with its numbers and span.
"""

from __future__ import annotations

from decimal import Decimal

from extractor.schema import LAYOUTS, Cell, CellState, CheckResult, Issue, Subtotal, title
from verify.grounding import ground

_UNASSESSABLE = (CellState.MISSING, CellState.PLACEHOLDER, CellState.UNREADABLE)
GROUP_TITLES = {"denied": "（三）不予公开", "unable": "（四）无法提供", "not_processed": "（五）不予处理",
                "other_processing": "（六）其他处理"}


def _value(cell: Cell) -> Decimal:
    return Decimal(cell.value or 0)


def check_subtotals(subtotals: list[Subtotal], cells: dict[str, Cell], template: str,  # long: per row, its columns then its one issue
                    text: str) -> tuple[list[CheckResult], list[Issue]]:
    """Checks for every column of every subtotal row, and one issue per row: a flag when a
    column does not add up (reasons added to the sub-row cells), else a warning."""
    checks: list[CheckResult] = []
    issues: list[Issue] = []
    for n, sub in enumerate(subtotals):
        rows = [r for r in LAYOUTS[template]["s3"] if r.rpartition("_")[0] == sub.group]
        name = f"{GROUP_TITLES[sub.group]} {sub.label}".strip()
        key = f"SUBTOTAL:{sub.group}" + (f":{n}" if any(s.group == sub.group for s in subtotals[:n]) else "")
        shown = " | ".join(c.raw or "∅" for c in sub.cells)
        if not rows:
            issues.append(Issue(rule="SUBTOTAL", key=key, severity="warning", span=sub.span,
                                message=f"subtotal row {name} ({shown}) has no sub-rows in the {template} "
                                "template to be checked against"))
            continue
        failed: list[str] = []
        failed_paths: list[str] = []
        grounded = True
        assessed = 0
        for cell in sub.cells:
            col = cell.path.rsplit(".", 1)[1]
            paths = [f"s3.{r}.{col}" for r in rows]
            why = ground(cell, text)
            grounded &= why is None
            bad = [p for p in paths if cells[p].state in _UNASSESSABLE]
            if cell.state in _UNASSESSABLE or bad:
                what = title(bad[0]) if bad else f"the subtotal cell ({cell.raw!r})"
                checks.append(CheckResult(rule="SUBTOTAL", key=f"{key}:{col}", outcome="not_assessable",
                                          message=f"{name} {col}: not assessable, {what} is not a number",
                                          paths=paths))
                continue
            assessed += 1
            parts = sum((_value(cells[p]) for p in paths), Decimal(0))
            msg = (f"{name} · {title(paths[0]).split('·')[-1]}: subtotal {_value(cell)} "
                   f"{'=' if parts == _value(cell) else '≠'} sum of {len(rows)} sub-rows {parts}")
            ok = parts == _value(cell)
            checks.append(CheckResult(rule="SUBTOTAL", key=f"{key}:{col}", outcome="pass" if ok else "fail",
                                      message=msg, paths=paths))
            if not ok:
                failed.append(msg)
                failed_paths += paths
        if failed:
            verdict = ("source_inconsistency" if grounded and all(
                cells[p].state is not CellState.UNREADABLE and cells[p].placement == "direct"
                for p in failed_paths) else "extraction_error")
            message = (f"subtotal row {name} a publisher added ({shown}) does not equal the sum of its "
                       f"sub-rows: {'; '.join(failed)}")
            issues.append(Issue(rule="SUBTOTAL", key=key, message=message, paths=failed_paths,
                                span=sub.span, verdict=verdict))
            for p in failed_paths:
                cells[p].reasons.append(f"SUBTOTAL: {message}")
        else:
            how = ("in every column" if assessed == len(sub.cells)
                   else f"in {assessed} of {len(sub.cells)} columns (the others not assessable)")
            what = (f"read and checked, it equals the sum of its {len(rows)} sub-rows {how}" if assessed
                    else f"read, not checked: its {len(rows)} sub-rows cannot be read; in a column "
                    "where none of them can, I2 takes this printed total in their place")
            issues.append(Issue(
                rule="SUBTOTAL", key=key, severity="warning", span=sub.span,
                paths=[f"s3.{r}.{c.path.rsplit('.', 1)[1]}" for r in rows for c in sub.cells],
                message=f"subtotal row {name} a publisher added ({shown}) is not a template row: {what}"))
    return checks, issues
