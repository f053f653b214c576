"""Score `extractor run` output against hand-checked expected files (the golden format).

This module is the one reader of the golden format (golden/GOLDEN.md): the golden tests and
`extractor eval` both parse expected files here, so they can never disagree about what a
golden value means.

Every expected cell ends in exactly one class:

- **correct**: the tool's reading (state + value, + unit for amounts) equals the expected
  one. Blank, 0 and a placeholder are three different readings. An expected ``"MISSING"``
  that the tool also reports missing is correct.
- **missing**: a value was expected but the tool says missing, or has no result for the report.
- **wrong_flagged**: the reading differs and the cell's status is ``flagged``.
- **silent**: the reading differs and the cell is *not* flagged: a silent error, the number
  that matters most.

Everything here is a pure function over pydantic models; reading and writing files is left
to the caller except for the small `load_*` helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.schema import LAYOUTS, Cell, CellState, CellStatus, Record, iter_cells

SECTIONS: tuple[str, ...] = ("s2", "s3", "s4")
STATUS_LETTER: dict[str, str] = {"verified": "V", "grounded": "G", "flagged": "F"}

CellClass = Literal["correct", "wrong_flagged", "silent", "missing"]
ReportState = Literal["evaluated", "error", "no_result"]


class EvalError(ValueError):
    """An input to the evaluation cannot be used (a usage error, not a bad score)."""


# --------------------------------------------------------------------------- readings


class Reading(BaseModel):
    """What a cell says: state, value (numbers only) and unit (amounts only)."""

    model_config = ConfigDict(frozen=True)

    state: str
    value: int | Decimal | None = None
    unit: str | None = None

    def show(self) -> str:
        """Compact text: `12`, `73.82 万元`, `blank`, `placeholder`, `missing`."""
        if self.state != CellState.NUMBER.value:
            return self.state
        return f"{self.value} {self.unit}" if self.unit else str(self.value)


class Amount(BaseModel):
    """A golden amount: value normalised to 万元 as a decimal string, unit as printed."""

    model_config = ConfigDict(extra="forbid")

    value: Decimal
    unit: str | None


GoldenValue = int | Amount | str | None
GoldenRow = list[GoldenValue] | dict[str, GoldenValue]


class ExpectedReport(BaseModel):
    """One expected file of the golden format (golden/GOLDEN.md)."""

    file: str
    agency: str | None = None
    year: int | None = None
    template: Literal["2019", "2021"]
    truncated: bool = False
    values: dict[str, dict[str, GoldenRow]]
    status: dict[str, str | dict[str, str]] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    notes: str | None = None


def expected_reading(v: GoldenValue) -> Reading:
    """The reading a golden value stands for (see the table in golden/GOLDEN.md)."""
    if v is None:
        return Reading(state="blank")
    if v == "MISSING":
        return Reading(state="missing")
    if v == "UNREADABLE":
        return Reading(state="unreadable")
    if isinstance(v, str):
        return Reading(state="placeholder")
    if isinstance(v, Amount):
        return Reading(state="number", value=v.value, unit=v.unit)
    return Reading(state="number", value=v)


def cell_reading(cell: Cell) -> Reading:
    """The reading of a tool cell, comparable with `expected_reading`."""
    amount = isinstance(cell.value, Decimal) or cell.path.endswith("amount")
    value = cell.value if cell.state is CellState.NUMBER else None
    return Reading(state=cell.state.value, value=value, unit=cell.unit if amount else None)


def expected_cells(exp: ExpectedReport) -> dict[str, Reading]:
    """Every cell path of the expected file with its reading; checks rows and columns
    against the template layout."""
    layout = LAYOUTS[exp.template]
    if set(exp.values) != set(SECTIONS):
        raise EvalError(f"{exp.file}: values must have sections {list(SECTIONS)}")
    out: dict[str, Reading] = {}
    for section, rows in exp.values.items():
        if set(rows) != set(layout[section]):
            diff = sorted(set(rows) ^ set(layout[section]))
            raise EvalError(f"{exp.file}: {section} rows differ from the template: {diff}")
        for row, values in rows.items():
            cols = layout[section][row]
            if isinstance(values, dict):
                if list(values) != list(cols):
                    raise EvalError(f"{exp.file}: {section}.{row} columns must be {list(cols)}")
                values = list(values.values())
            if len(values) != len(cols):
                raise EvalError(f"{exp.file}: {section}.{row} needs {len(cols)} values")
            for col, v in zip(cols, values, strict=True):
                out[f"{section}.{row}.{col}"] = expected_reading(v)
    return out


def expected_status(exp: ExpectedReport) -> dict[str, str]:
    """Every cell path with its expected status letter (V, G or F)."""
    layout = LAYOUTS[exp.template]
    out: dict[str, str] = {}
    for section, spec in exp.status.items():
        for row, cols in layout[section].items():
            letters = "G" * len(cols) if spec == "grounded" else _row_status(spec, row)
            if letters is None or len(letters) != len(cols):
                raise EvalError(f"{exp.file}: status of {section}.{row} needs {len(cols)} letters")
            for col, letter in zip(cols, letters, strict=True):
                out[f"{section}.{row}.{col}"] = letter
    return out


def _row_status(spec: str | dict[str, str], row: str) -> str | None:
    if isinstance(spec, str):
        return None
    return spec.get(row, spec.get("*"))


def parse_expected(text: str, name: str = "<expected>") -> ExpectedReport:
    """Parse and validate one expected file's JSON text."""
    try:
        exp = ExpectedReport.model_validate_json(text)
    except ValidationError as e:
        raise EvalError(f"{name}: not a golden expected file: {e.errors()[0]['msg']} "
                        f"at {'.'.join(map(str, e.errors()[0]['loc']))}") from e
    expected_cells(exp)  # validates the layout
    expected_status(exp)
    return exp


def load_expected(path: Path) -> ExpectedReport:
    return parse_expected(path.read_text("utf-8"), path.name)


def load_expected_dir(folder: Path) -> dict[str, ExpectedReport]:
    """Expected files of a folder keyed by input file name (`<input name>.json`)."""
    if not folder.is_dir():
        raise EvalError(f"expected folder {folder} does not exist or is not a folder")
    files = sorted(folder.glob("*.json"))
    if not files:
        raise EvalError(f"expected folder {folder} holds no .json expected files")
    return {p.name[: -len(".json")]: load_expected(p) for p in files}


# --------------------------------------------------------------------------- run output


class RunOutput(BaseModel):
    """What `extractor run` wrote: records and the names of the inputs that failed."""

    records: list[Record]
    errors: dict[str, str] = Field(default_factory=dict, description="file name -> reason")


def _jsonl(path: Path) -> list[tuple[int, dict]]:
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                raise EvalError(f"{path}:{n}: not JSON: {e.msg}") from e
    return rows


def load_run(out: Path) -> RunOutput:
    """Read OUT/results.jsonl and OUT/errors.jsonl (the latter is optional)."""
    results = out / "results.jsonl"
    if not results.is_file():
        raise EvalError(f"{out} is not an `extractor run` output folder: no results.jsonl")
    records = []
    for n, row in _jsonl(results):
        try:
            records.append(Record.model_validate(row))
        except ValidationError as e:
            raise EvalError(f"{results}:{n}: not a result record: {e.errors()[0]['msg']}") from e
    errors: dict[str, str] = {}
    if (out / "errors.jsonl").is_file():
        for _, row in _jsonl(out / "errors.jsonl"):
            errors[str(row.get("file", ""))] = str(row.get("error", ""))
    return RunOutput(records=records, errors=errors)


# --------------------------------------------------------------------------- comparison


class CellDiff(BaseModel):
    """An expected cell the tool did not read as expected."""

    path: str
    cls: CellClass
    expected: Reading
    got: Reading | None = Field(description="null when the tool has no such cell or no result")
    raw: str | None = None
    status: str | None = None
    reasons: list[str] = Field(default_factory=list)


class Counts(BaseModel):
    """Cell classes over a report, a section or everything."""

    cells: int = 0
    correct: int = 0
    wrong_flagged: int = 0
    silent: int = 0
    missing: int = 0
    correct_flagged: int = Field(0, description="correct cells whose status is flagged")
    false_alarms: int = Field(
        0, description="correct flagged cells whose expected status is not F (all of them "
                       "when the expected file gives no status)")

    @property
    def accuracy(self) -> float:
        return self.correct / self.cells if self.cells else 1.0

    @property
    def flag_rate(self) -> float:
        """Share of correct cells that are flagged (deserved flags included)."""
        return self.correct_flagged / self.correct if self.correct else 0.0

    @property
    def false_alarm_rate(self) -> float:
        """Share of correct cells flagged although the expected status does not say F."""
        return self.false_alarms / self.correct if self.correct else 0.0

    def add(self, other: Counts) -> Counts:
        return Counts(**{k: getattr(self, k) + getattr(other, k) for k in Counts.model_fields})


class ReportEval(BaseModel):
    file: str
    state: ReportState
    error: str | None = None
    counts: Counts
    sections: dict[str, Counts]
    meta_mismatches: list[str] = Field(default_factory=list)
    diffs: list[CellDiff] = Field(default_factory=list)

    def of(self, cls: CellClass) -> list[CellDiff]:
        return [d for d in self.diffs if d.cls == cls]


class Evaluation(BaseModel):
    reports: list[ReportEval]
    overall: Counts
    sections: dict[str, Counts]
    unexpected_results: list[str] = Field(
        default_factory=list, description="results with no expected file (not scored)")
    duplicate_results: list[str] = Field(
        default_factory=list, description="file names with several results (the first is scored)")


def classify(expected: Reading, cell: Cell | None) -> CellClass:
    """The class of one expected cell against the tool's cell (None: no such cell)."""
    if cell is None:
        return "correct" if expected.state == "missing" else "missing"
    if cell_reading(cell) == expected:
        return "correct"
    if cell.state is CellState.MISSING and expected.state != "missing":
        return "missing"
    return "wrong_flagged" if cell.status is CellStatus.FLAGGED else "silent"


class _Scored(BaseModel):
    cls: CellClass
    flagged: bool
    flag_expected: bool


def _count(scored: list[_Scored]) -> Counts:
    c = Counts(cells=len(scored))
    for x in scored:
        setattr(c, x.cls, getattr(c, x.cls) + 1)
        if x.cls == "correct" and x.flagged:
            c.correct_flagged += 1
            c.false_alarms += not x.flag_expected
    return c


def _meta_mismatches(exp: ExpectedReport, r: Record) -> list[str]:
    pairs = {"agency": (exp.agency, r.meta.agency.value), "year": (exp.year, r.meta.year.value),
             "template": (exp.template, r.meta.template), "truncated": (exp.truncated, r.truncated)}
    return [f"{k}: expected {e!r}, got {g!r}" for k, (e, g) in pairs.items() if e != g]


def compare(name: str, exp: ExpectedReport, record: Record | None,
            error: str | None = None) -> ReportEval:
    """Score the report of input `name`. `record` None means no result (`error` says why
    when the input failed; None when it was not in the run at all)."""
    expected = expected_cells(exp)
    letters = expected_status(exp)
    cells = {c.path: c for c in iter_cells(record.tables)} if record else {}
    by_section: dict[str, list[_Scored]] = {s: [] for s in SECTIONS}
    diffs = []
    for path, reading in expected.items():
        cell = cells.get(path)
        cls = classify(reading, cell)
        flagged = cell is not None and cell.status is CellStatus.FLAGGED
        by_section[path.split(".")[0]].append(
            _Scored(cls=cls, flagged=flagged, flag_expected=letters.get(path) == "F"))
        if cls != "correct":
            diffs.append(CellDiff(
                path=path, cls=cls, expected=reading, got=cell_reading(cell) if cell else None,
                raw=cell.raw if cell else None, status=cell.status.value if cell and cell.status else None,
                reasons=cell.reasons if cell else []))
    sections = {s: _count(v) for s, v in by_section.items()}
    state: ReportState = "evaluated" if record else ("error" if error is not None else "no_result")
    return ReportEval(
        file=name, state=state, error=error,
        counts=_total(sections.values()), sections=sections,
        meta_mismatches=_meta_mismatches(exp, record) if record else [], diffs=diffs)


def _total(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total = total.add(c)
    return total


def evaluate(run: RunOutput, expected: dict[str, ExpectedReport]) -> Evaluation:
    """Score a run against expected files keyed by input file name.

    A report with an expected file but no result (an input error, or not in the run)
    counts as all its cells missing; results with no expected file are listed, not scored.
    """
    records: dict[str, Record] = {}
    for r in run.records:
        records.setdefault(r.meta.source_file, r)
    names = [r.meta.source_file for r in run.records]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    reports = [compare(name, exp, records.get(name), run.errors.get(name))
               for name, exp in sorted(expected.items())]
    sections = {s: _total(r.sections[s] for r in reports) for s in SECTIONS}
    return Evaluation(reports=reports, overall=_total(sections.values()), sections=sections,
                      unexpected_results=sorted(set(records) - set(expected)),
                      duplicate_results=duplicates)


# --------------------------------------------------------------------------- thresholds


class Thresholds(BaseModel):
    """CI gates; None means not checked."""

    max_silent: int | None = None
    min_accuracy: float | None = None
    max_false_alarm_rate: float | None = None


def violations(ev: Evaluation, t: Thresholds) -> list[str]:
    """Human-readable reasons the evaluation fails its thresholds (empty: it passes)."""
    o = ev.overall
    out = []
    if t.max_silent is not None and o.silent > t.max_silent:
        out.append(f"{o.silent} silent errors > --max-silent {t.max_silent}")
    if t.min_accuracy is not None and o.accuracy < t.min_accuracy:
        out.append(f"accuracy {o.accuracy:.4f} < --min-accuracy {t.min_accuracy}")
    if t.max_false_alarm_rate is not None and o.false_alarm_rate > t.max_false_alarm_rate:
        out.append(f"false-alarm rate {o.false_alarm_rate:.4f} > --max-false-alarm-rate "
                   f"{t.max_false_alarm_rate}")
    return out


# --------------------------------------------------------------------------- rendering


def _counts_dict(c: Counts) -> dict:
    return {**c.model_dump(), "accuracy": round(c.accuracy, 6),
            "flag_rate": round(c.flag_rate, 6), "false_alarm_rate": round(c.false_alarm_rate, 6)}


def _diff_dict(d: CellDiff) -> dict:
    return {"path": d.path, "expected": d.expected.show(), "got": d.got.show() if d.got else None,
            "raw": d.raw, "status": d.status, "reasons": d.reasons}


def to_json(ev: Evaluation, t: Thresholds, failed: list[str]) -> dict:
    """The `--json` document. Keys are stable; counts are per cell."""
    return {
        "overall": _counts_dict(ev.overall),
        "sections": {s: _counts_dict(c) for s, c in ev.sections.items()},
        "reports": [{
            "file": r.file, "state": r.state, "error": r.error, **_counts_dict(r.counts),
            "sections": {s: _counts_dict(c) for s, c in r.sections.items()},
            "meta_mismatches": r.meta_mismatches,
            "silent_errors": [_diff_dict(d) for d in r.of("silent")],
            "wrong_flagged_cells": [_diff_dict(d) for d in r.of("wrong_flagged")],
            "missing_cells": [_diff_dict(d) for d in r.of("missing")],
        } for r in ev.reports],
        "unexpected_results": ev.unexpected_results,
        "duplicate_results": ev.duplicate_results,
        "thresholds": t.model_dump(),
        "violations": failed,
        "passed": not failed,
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "n/a"


_TABLE_HEAD = (f"{'':<10}{'cells':>7}{'correct':>16}{'wrong+flagged':>15}{'SILENT':>8}"
               f"{'missing':>9}   flagged correct     false alarms")


def _counts_line(label: str, c: Counts) -> str:
    correct = f"{c.correct} ({_pct(c.correct, c.cells)})"
    flagged = f"{c.correct_flagged}/{c.correct} ({_pct(c.correct_flagged, c.correct)})"
    return (f"{label:<10}{c.cells:>7}{correct:>16}{c.wrong_flagged:>15}{c.silent:>8}"
            f"{c.missing:>9}   {flagged:<19} {c.false_alarms} ({_pct(c.false_alarms, c.correct)})")


def _report_lines(r: ReportEval, verbose: bool) -> list[str]:
    c = r.counts
    head = {"evaluated": "", "error": f" [input error, counted missing: {r.error}]",
            "no_result": " [no result in the run, counted missing]"}[r.state]
    lines = [f"{r.file}: {c.correct}/{c.cells} correct, {c.wrong_flagged} wrong+flagged, "
             f"{c.silent} silent, {c.missing} missing{head}"]
    lines += [f"    META    {m}" for m in r.meta_mismatches]
    shown = ("silent", "wrong_flagged", "missing") if verbose else ("silent",)
    tag = {"silent": "SILENT ", "wrong_flagged": "FLAGGED", "missing": "MISSING"}
    for d in r.diffs:
        if d.cls in shown:
            got = d.got.show() if d.got else "no result"
            lines.append(f"    {tag[d.cls]} {d.path}: expected {d.expected.show()}, got {got}")
    return lines


def render_text(ev: Evaluation, failed: list[str], verbose: bool = False) -> str:
    """The terminal report: per-report lines, per-section table, the silent-error total."""
    lines = ["per report:"]
    for r in ev.reports:
        lines += ["  " + x for x in _report_lines(r, verbose)]
    if ev.unexpected_results:
        lines += ["", "results with no expected file (not scored):"]
        lines += [f"  {name}" for name in ev.unexpected_results]
    if ev.duplicate_results:
        lines += ["", "file names with several results (only the first is scored):"]
        lines += [f"  {name}" for name in ev.duplicate_results]
    lines += ["", "per section:", "  " + _TABLE_HEAD]
    names = {"s2": "s2 二", "s3": "s3 三", "s4": "s4 四"}
    lines += ["  " + _counts_line(names[s], c) for s, c in ev.sections.items()]
    lines.append("  " + _counts_line("overall", ev.overall))
    lines += ["", f"SILENT ERRORS: {ev.overall.silent}  (wrong and not flagged; "
                  f"accuracy {_pct(ev.overall.correct, ev.overall.cells)})"]
    lines += [f"FAIL: {v}" for v in failed]
    return "\n".join(lines)
