"""Scoring: every expected cell in exactly one class, counted per report, section and run.

- **correct**: the tool's reading (state + value, + unit for amounts) equals the expected
  one. Blank, 0 and a placeholder are three different readings. An expected ``"MISSING"``
  that the tool also reports missing is correct.
- **missing**: a value was expected but the tool says missing, or has no result for the report.
- **wrong_flagged**: the reading differs and the cell's status is ``flagged``.
- **silent**: the reading differs and the cell is *not* flagged: a silent error, the number
  that matters most.

Pure functions over pydantic models; the CI thresholds are checked here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from extractor.evaluate.expected import (
    SECTIONS,
    ExpectedReport,
    Reading,
    cell_reading,
    evidence_mismatches,
    expected_cells,
    expected_status,
)
from extractor.evaluate.results import RunOutput
from extractor.schema import Cell, CellState, CellStatus, Record, iter_cells

CellClass = Literal["correct", "wrong_flagged", "silent", "missing"]
ReportState = Literal["evaluated", "error", "no_result"]


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
    # The tool's status of each expected cell (cells with no result count in none).
    verified: int = Field(0, description="cells the tool read where printed, an identity holding")
    inferred: int = Field(0, description="cells whose position the identities (or the LLM) chose")
    grounded: int = Field(0, description="cells read where printed that nothing checks")
    flagged: int = Field(0, description="cells flagged, right or wrong")
    corrected: int = Field(0, description="cells a person decided")

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
    evidence: list[str] = Field(
        default_factory=list, description="statuses, placements, flags, verdicts and warnings "
        "that differ from the expected file's (those it gives)")

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
    status: CellStatus | None = None


def _count(scored: list[_Scored]) -> Counts:
    c = Counts(cells=len(scored))
    for x in scored:
        setattr(c, x.cls, getattr(c, x.cls) + 1)
        if x.status is not None:
            setattr(c, x.status.value, getattr(c, x.status.value) + 1)
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
            _Scored(cls=cls, flagged=flagged, flag_expected=letters.get(path) == "F",
                    status=cell.status if cell is not None else None))
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
        meta_mismatches=_meta_mismatches(exp, record) if record else [], diffs=diffs,
        evidence=evidence_mismatches(exp, record) if record else [])


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
