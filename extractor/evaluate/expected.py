"""The golden format (golden/GOLDEN.md): expected files, their validation, and readings.

The one reader of the golden format: the golden tests and `extractor eval` both parse
expected files here, so they can never disagree about what a golden value means. A
`Reading` is what a cell says (state, value, unit); `expected_reading` gives the reading a
golden value stands for and `cell_reading` the reading of a tool cell, comparable with it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor.schema import LAYOUTS, Cell, CellState, Record, iter_cells

SECTIONS: tuple[str, ...] = ("s2", "s3", "s4")
STATUS_LETTER: dict[str, str] = {"verified": "V", "inferred": "I", "grounded": "G", "flagged": "F"}
PLACEMENTS: tuple[str, ...] = ("direct", "identities", "orphan", "llm")
Verdict = Literal["source_inconsistency", "extraction_error"]


class EvalError(ValueError):
    """An input to the evaluation cannot be used (a usage error, not a bad score)."""


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
    placement: dict[str, Literal["identities", "orphan", "llm"]] | None = Field(
        default=None, description="Cells whose position was not printed, by section (\"s3\") or "
        "row (\"s3.partially_granted\", overriding its section); every other cell is direct. "
        "Absent: not compared")
    flags: list[str] = Field(default_factory=list)
    verdicts: dict[str, Verdict] | None = Field(
        default=None, description="The verdict of every flag that has one, by flag key. Absent: "
        "not compared")
    warnings: list[str] | None = Field(
        default=None, description="The keys of the warnings (order does not matter). Absent: "
        "not compared")
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
            if set(letters) - set(STATUS_LETTER.values()):
                raise EvalError(f"{exp.file}: status of {section}.{row} is {letters!r}: letters "
                                f"are {', '.join(STATUS_LETTER.values())}")
            for col, letter in zip(cols, letters, strict=True):
                out[f"{section}.{row}.{col}"] = letter
    return out


def expected_placement(exp: ExpectedReport) -> dict[str, str] | None:
    """Every cell path with its expected placement, or None when the file gives none."""
    if exp.placement is None:
        return None
    layout = LAYOUTS[exp.template]
    rows = {f"{s}.{r}" for s in SECTIONS for r in layout[s]}
    unknown = sorted(set(exp.placement) - rows - set(SECTIONS))
    if unknown:
        raise EvalError(f"{exp.file}: placement names no section or row of the template: {unknown}")
    out: dict[str, str] = {}
    for section in SECTIONS:
        for row, cols in layout[section].items():
            where = exp.placement.get(f"{section}.{row}", exp.placement.get(section, "direct"))
            out.update({f"{section}.{row}.{c}": where for c in cols})
    return out


def evidence_mismatches(exp: ExpectedReport, record: Record) -> list[str]:
    """How the record's evidence differs from the expected file's, beyond the values: cell
    statuses, cell placements, flag keys, the verdicts of flags and warning keys (each
    compared when the expected file gives it). Empty when they all agree."""
    out: list[str] = []
    cells = {c.path: c for c in iter_cells(record.tables)}
    for path, letter in expected_status(exp).items():
        got = cells[path].status
        got_letter = STATUS_LETTER.get(got.value, got.value) if got is not None else "none"
        if got_letter != letter:
            out.append(f"status {path}: expected {letter}, got {got_letter}")
    for path, where in (expected_placement(exp) or {}).items():
        if cells[path].placement != where:
            out.append(f"placement {path}: expected {where}, got {cells[path].placement}")
    flags = sorted(f.key for f in record.flags)
    if "flags" in exp.model_fields_set and flags != sorted(exp.flags):
        out += _keys_diff("flag", sorted(exp.flags), flags)
    if exp.verdicts is not None:
        got_verdicts = {f.key: f.verdict for f in record.flags if f.verdict is not None}
        for key in sorted(set(got_verdicts) | set(exp.verdicts)):
            if got_verdicts.get(key) != exp.verdicts.get(key):
                out.append(f"verdict {key}: expected {exp.verdicts.get(key)}, got {got_verdicts.get(key)}")
    if exp.warnings is not None:
        warnings = sorted(w.key for w in record.warnings)
        if warnings != sorted(exp.warnings):
            out += _keys_diff("warning", sorted(exp.warnings), warnings)
    return out


def _keys_diff(kind: str, expected: list[str], got: list[str]) -> list[str]:
    out = [f"{kind} {k}: expected, not raised" for k in expected if got.count(k) < expected.count(k)]
    out += [f"{kind} {k}: raised, not expected" for k in got if expected.count(k) < got.count(k)]
    return sorted(set(out))


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
    expected_placement(exp)
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
