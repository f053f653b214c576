"""Two readers of one cell: do they agree, and which reading satisfies the identities?

Pure comparisons over verified records (imports nothing from `extractor` but the schema).
"""

from __future__ import annotations

from decimal import Decimal

from extractor.schema import Cell, CellState, CheckResult, Record

READINGS = (CellState.NUMBER, CellState.BLANK, CellState.PLACEHOLDER)


def readable(cell: Cell) -> bool:
    return cell.state in READINGS


def same_reading(a: Cell, b: Cell) -> bool:
    """Same state, same value, same characters of the source."""
    if a.state is not b.state or a.span != b.span:
        return False
    if a.value is None or b.value is None:
        return a.value is b.value
    return Decimal(a.value) == Decimal(b.value)


def shown(cell: Cell) -> str:
    if cell.state is CellState.NUMBER:
        return f"{cell.value} ({cell.raw!r} at {cell.span[0]}-{cell.span[1]})" if cell.span else str(cell.value)
    where = f" at {cell.span[0]}-{cell.span[1]}" if cell.span else ""
    return f"{cell.state.value}{' ' + repr(cell.raw) if cell.raw else ''}{where}"


def _covering(path: str, record: Record) -> list[CheckResult]:
    return [c for c in record.checks if path in c.paths]


def _tally(checks: list[CheckResult]) -> str:
    if not checks:
        return "no identity covers it"
    passed = [c.key for c in checks if c.outcome == "pass"]
    failed = [c.key for c in checks if c.outcome == "fail"]
    open_ = len(checks) - len(passed) - len(failed)
    parts = []
    if passed:
        parts.append("passes " + ", ".join(passed))
    if failed:
        parts.append("fails " + ", ".join(failed))
    if open_:
        parts.append(f"{open_} not assessable")
    return "; ".join(parts)


def identity_view(path: str, parser: Record, llm: Record) -> str:
    """Which reading satisfies the identities covering `path`, in words."""
    return (f"with the parser's reading the cell {_tally(_covering(path, parser))}; "
            f"with the LLM's reading it {_tally(_covering(path, llm))}")


def failed_identities(record: Record, paths: set[str]) -> list[CheckResult]:
    return [c for c in record.checks if c.outcome == "fail" and paths.intersection(c.paths)]
