"""Section 二's soft rules (`extractor.schema.soft_rules.SOFT_RULES`) on a report's cells.

A rule is assessed like an identity: a blank cell counts as 0 and the message says when a
blank decided the outcome; a missing, placeholder or unreadable cell makes it not
assessable. Only failures are reported: a failed rule is a flag (`P1:s2.regulations`) whose
cells are flagged, with a verdict like a failed identity's (*source inconsistency* when every
cell is grounded, *extraction error* when one is not). A rule that holds is a plausibility
check, not a confirmation: it records nothing and changes no status, so a cell it covers
stays `grounded`. Imports nothing from `extractor` but the schema.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extractor.schema import Cell, CellState, CheckResult, Issue, title
from extractor.schema.soft_rules import SoftCheck, soft_checks

_UNASSESSABLE = (CellState.MISSING, CellState.PLACEHOLDER, CellState.UNREADABLE)
_BLANK = CellState.BLANK


def _name(path: str) -> str:
    return title(path).split("·")[-1]


def _term(cell: Cell) -> str:
    return f"{_name(cell.path)} {'blank(0)' if cell.state is _BLANK else cell.value}"


def _side(paths: tuple[str, ...], cells: dict[str, Cell]) -> tuple[Decimal, str]:
    total = sum((Decimal(cells[p].value or 0) for p in paths), Decimal(0))
    if not paths:
        return total, "0"
    terms = " + ".join(_term(cells[p]) for p in paths)
    return total, terms if len(paths) == 1 else f"{terms} = {total}"


def assess(check: SoftCheck, cells: dict[str, Cell]) -> CheckResult:
    """The outcome of one soft rule on one row, with the numbers in the message."""
    where = f"{check.key} ({title(check.key.split(':', 1)[1])})"
    bad = [p for p in check.paths if cells[p].state in _UNASSESSABLE]
    if bad:
        names = ", ".join(f"{title(p)} is {cells[p].state.value}" for p in bad)
        return CheckResult(rule=check.rule, key=check.key, outcome="not_assessable",
                           message=f"{where} not assessable: {names}", paths=list(check.paths))
    left, left_text = _side(check.left, cells)
    right, right_text = _side(check.right, cells)
    if check.relation == "ge":
        ok = left >= right
        shown = f"{left_text} {'≥' if ok else '<'} {right_text}"
    else:  # "requires": left > 0 whenever right > 0
        ok = right <= 0 or left > 0
        shown = (f"{right_text} with {left_text}" if ok
                 else f"{right_text} > 0 but {left_text}")
    if ok:
        return CheckResult(rule=check.rule, key=check.key, outcome="pass", paths=list(check.paths),
                           message=f"{where}: {shown}")
    blanks = [_name(p) for p in check.paths if cells[p].state is _BLANK]
    note = f"; blank cells counted as 0 decide this: {', '.join(blanks)}" if blanks else ""
    return CheckResult(
        rule=check.rule, key=check.key, outcome="fail", paths=list(check.paths),
        message=f"{where} fails the plausibility rule {check.description}: {shown}{note}",
    )


def _holds_or_unassessable(check: SoftCheck, fields: dict[str, dict[str, Any]]) -> bool:
    """Whether `assess` would not fail `check` (the same sums and the same tests; the cells
    given by their fields, read as dict items: cheaper than a pydantic model's attributes)."""
    if any(fields[p]["state"] in _UNASSESSABLE for p in check.paths):
        return True
    left = sum((Decimal(fields[p]["value"] or 0) for p in check.left), Decimal(0))
    right = sum((Decimal(fields[p]["value"] or 0) for p in check.right), Decimal(0))
    return left >= right if check.relation == "ge" else (right <= 0 or left > 0)


def check_soft_rules(cells: dict[str, Cell], fields: dict[str, dict[str, Any]], template: str,
                     grounded: dict[str, bool]) -> tuple[list[CheckResult], list[Issue]]:
    """The failed soft rules of a report, as checks and flags; each failed rule's reason is
    added to its cells (`fields`: each cell's `__dict__`). Rules that hold or cannot be
    assessed leave no trace."""
    checks: list[CheckResult] = []
    flags: list[Issue] = []
    for check in soft_checks(template):
        if _holds_or_unassessable(check, fields):
            continue  # leaves no trace: its message is not worth building
        result = assess(check, cells)
        if result.outcome != "fail":
            continue
        verdict = ("source_inconsistency" if all(grounded[p] for p in check.paths)
                   else "extraction_error")
        checks.append(result.model_copy(update={"verdict": verdict}))
        flags.append(Issue(rule=check.rule, key=check.key, message=result.message,
                           paths=list(check.paths), verdict=verdict))
        for p in check.paths:
            cells[p].reasons.append(f"{check.key}: {result.message}")
    return checks, flags
