"""The contract between stages: cells, typed tables, reports, checks and flags.

Every numeric table cell is a `Cell` with a stable field path such as ``s3.granted.total``.
The typed tables models of each template version are generated from `LAYOUTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from enum import StrEnum
from functools import cache
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from extractor.schema.templates import LAYOUTS, SCHEMA_VERSION, TemplateVersion
from extractor.schema.trusted import trusted, trusted_given


class CellState(StrEnum):
    NUMBER = "number"  # a printed number
    BLANK = "blank"  # printed cell with nothing in it: null, never 0
    PLACEHOLDER = "placeholder"  # "/", "—", "无": printed, but not a number
    MISSING = "missing"  # the row or the table is absent from the document
    UNREADABLE = "unreadable"  # text present but not one number, or cells that cannot be placed


class CellStatus(StrEnum):
    VERIFIED = "verified"  # read where it is printed (placement direct), and a covering identity holds
    INFERRED = "inferred"  # grounded, but its position was chosen (placement not direct) by
    #                        identities that hold: trusted only as far as the source is consistent
    GROUNDED = "grounded"  # grounded; no identity covers it (or none could be assessed)
    FLAGGED = "flagged"  # a person must look at it; see reasons
    CORRECTED = "corrected"  # a person decided this cell; see Cell.correction


Decision = Literal["accept", "set", "source_wrong"]

#: How a cell's position (which template cell a printed number fills) was decided.
Placement = Literal["direct", "identities", "orphan", "llm"]


Span = tuple[int, int]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SecondReading(Strict):
    """A second reader's (the LLM's) reading of a cell: the recovered-grid cell it cited and
    what that cell's text says (read by the extractor, never taken from the LLM's words)."""

    reader: Literal["llm"] = "llm"
    cell_id: str | None = Field(default=None, description="The grid cell cited; null: none")
    state: CellState | None = None
    value: int | Decimal | None = None
    raw: str | None = None
    span: Span | None = None
    agrees: bool = Field(description="Same reading at the same span as the deterministic parser")


class Correction(Strict):
    """A person's decision on a cell, imported with `extractor correct` and applied by every
    later run of the same document (keyed by the document's sha256 and the cell's path)."""

    decision: Decision = Field(
        description="accept: the machine reading is right; set: the value is another one; "
        "source_wrong: the source itself prints a wrong number (kept as printed)")
    value: int | Decimal | None = Field(default=None, description="The value a person set")
    state: CellState | None = Field(default=None, description="The state a person set")
    machine_state: CellState = Field(description="The machine's reading when the decision was applied")
    machine_value: int | Decimal | None = None
    machine_changed: bool = Field(
        default=False,
        description="The decision was taken on a different machine reading than this run's "
        "(re-extraction changed the cell): still applied, but worth a second look")
    reviewer: str | None = None
    note: str | None = None
    decided_at: str | None = Field(default=None, description="ISO 8601 time of the decision")


class OcrReading(Strict):
    """Where on a page image OCR read a cell, and how sure the engine was."""

    page: int = Field(description="1-based page number")
    bbox: tuple[float, float, float, float] = Field(
        description="The cell's box (x0, y0, x1, y1) as fractions of the page's width and "
        "height, origin top left")
    confidence: float = Field(
        description="The engine's lowest per-character confidence over the cell's digits "
        "(over all its characters when it has none; 1.0 for a cell with no ink)")


class Cell(Strict):
    """One numeric table cell with its provenance."""

    path: str = Field(description="Stable field path, e.g. s3.granted.total")
    state: CellState
    value: int | Decimal | None = Field(
        default=None, description="int for counts; Decimal in 万元 for amounts; null unless state=number"
    )
    unit: str | None = Field(default=None, description="Unit as printed (amounts only)")
    raw: str | None = Field(default=None, description="The cell's text as printed (normalized)")
    span: Span | None = Field(default=None, description="[start, end) in the normalized text")
    source_span: Span | None = Field(
        default=None,
        description="[start, end) in the decoded original file text (for PDF and DOCX: in the "
        "text extracted from the file, which is the normalized text before normalization)",
    )
    page: int | None = Field(default=None, description="1-based page number (PDF input only)")
    status: CellStatus | None = None
    reasons: list[str] = Field(default_factory=list)
    placement: Placement = Field(
        default="direct",
        description="How the cell's position was decided. direct: the layout prints the value in "
        "this row and column (also cells not placed at all: missing, unreadable); identities: the "
        "layout lost separators or blank cells (glued digit runs, vanished blanks) and the "
        "template's identities chose the only split or placement that fits; orphan: the row lost "
        "its label and the identities chose which template row it is; llm: only the LLM placed "
        "it. A cell that is not direct is at best inferred, never verified: the identities that "
        "chose its position cannot also confirm it")
    reader: Literal["parser", "llm"] = Field(
        default="parser", description="Who placed this value: the template parser or the LLM")
    second: SecondReading | None = Field(default=None, description="The LLM's reading, if any")
    correction: Correction | None = Field(
        default=None, description="A person's decision on this cell (status is then corrected)")
    ocr: OcrReading | None = Field(
        default=None, description="The cell was read by OCR from a page image: its box and "
        "the engine's confidence (null for a text layer)")


#: A `Cell` from values of the declared types, not validated (see `trusted`).
new_cell = trusted(Cell)


def _row_model(name: str, cols: tuple[str, ...]) -> type[BaseModel]:
    return create_model(name, __base__=Strict, **{c: (Cell, ...) for c in cols})


def _camel(s: str) -> str:
    return "".join(p.capitalize() for p in s.split("_"))


def _section_model(template: str, section: str) -> type[BaseModel]:
    rows = LAYOUTS[template][section]
    fields: dict[str, Any] = {}
    for row, cols in rows.items():
        fields[row] = (_row_model(f"T{template}{section.upper()}{_camel(row)}", cols), ...)
    return create_model(f"T{template}Section{section.upper()}", __base__=Strict, **fields)


def _tables_model(template: str) -> type[BaseModel]:
    return create_model(
        f"Tables{template}",
        __base__=Strict,
        template=(Literal[template], template),  # type: ignore[valid-type]
        s2=(_section_model(template, "s2"), ...),
        s3=(_section_model(template, "s3"), ...),
        s4=(_section_model(template, "s4"), ...),
    )


Tables2019 = _tables_model("2019")
Tables2021 = _tables_model("2021")
Tables = Annotated[Tables2019 | Tables2021, Field(discriminator="template")]  # type: ignore[valid-type]


def _validated_tables(template: str, cells: dict[str, Any]) -> BaseModel:
    data: dict[str, Any] = {"template": template}
    for section, rows in LAYOUTS[template].items():
        data[section] = {
            row: {col: cells[f"{section}.{row}.{col}"] for col in cols} for row, cols in rows.items()
        }
    model = Tables2019 if template == "2019" else Tables2021
    return model.model_validate(data)


@cache
def _table_builders(template: str) -> tuple[Callable[..., BaseModel], tuple[Any, ...]]:
    """Constructors without validation of a template's typed tables, each section and each
    row (see `trusted_given`), with the names and cell paths they are built from: (the
    tables' constructor, ((section, its constructor, ((row, its constructor, (the paths of
    its cells, …)), …)), …)), sections, rows and cells in declaration order; a row's cells
    as a getter of the tuple of its cells from the cells by path (`_getter`)."""
    model = Tables2019 if template == "2019" else Tables2021
    sections = []
    for section, rows in LAYOUTS[template].items():
        section_model = model.model_fields[section].annotation
        rows_models = section_model.model_fields  # type: ignore[union-attr]
        # Every field of a row (its cells) and of a section (its rows) is given, in
        # declaration order: the constructors take them positionally.
        sections.append((section, trusted_given(section_model, tuple(rows)),  # type: ignore[arg-type]
                         tuple((row, trusted_given(rows_models[row].annotation, cols),  # type: ignore[arg-type]
                                _getter(tuple(f"{section}.{row}.{col}" for col in cols)))
                               for row, cols in rows.items())))
    return trusted_given(model, ("template", "s2", "s3", "s4")), tuple(sections)


def build_tables(template: str, cells: dict[str, Cell]) -> BaseModel:
    """Assemble the typed tables of a template from cells keyed by path. The cells are
    models already: the tables hold them as they are (what validation does with model
    instances), built without validating again."""
    if not all([type(c) is Cell for c in cells.values()]):  # not models yet: validate them
        return _validated_tables(template, cells)
    make, sections = _table_builders(template)
    return make(template, *[make_section(*[make_row(*cells_of(cells))
                                           for _, make_row, cells_of in rows])
                            for _, make_section, rows in sections])


def _getter(paths: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A getter (in C) of the tuple of the items at `paths`, however many there are
    (`itemgetter` of one key returns the item itself)."""
    if len(paths) == 1:
        get_one = itemgetter(paths[0])
        return lambda cells: (get_one(cells),)
    return itemgetter(*paths)


def iter_cells(tables: BaseModel) -> Iterator[Cell]:
    """All cells of typed tables, in printed order."""
    # A row's fields are its cells, a section's its rows, each model's __dict__ in
    # declaration order (extra fields are forbidden): read in C, not by a comprehension
    # resumed for each of ~200 cells.
    sections = (tables.s2, tables.s3, tables.s4)  # type: ignore[attr-defined]
    rows = chain.from_iterable(map(dict.values, map(_DICT, sections)))
    return iter(list(chain.from_iterable(map(dict.values, map(_DICT, rows)))))


#: A model's `__dict__`, read in C.
_DICT = attrgetter("__dict__")


class Located(Strict):
    """A piece of metadata with where it was read."""

    value: str | int | None = None
    span: Span | None = None


class SectionHit(Strict):
    id: str = Field(description="一 … 六")
    heading: str
    span: Span


class Issue(Strict):
    """Something a person must look at (a flag) or should know (a warning)."""

    rule: str = Field(description="I1–I5, GROUND, MISSING, LAYOUT, UNIT, META, TRUNCATED, TEMPLATE …")
    key: str = Field(description="Stable id of this issue, e.g. I1:natural_person")
    message: str
    paths: list[str] = Field(default_factory=list)
    verdict: Literal["source_inconsistency", "extraction_error"] | None = None
    span: Span | None = None
    severity: Literal["flag", "warning"] = "flag"


class CheckResult(Strict):
    """The outcome of one identity instance."""

    rule: str
    key: str
    outcome: Literal["pass", "fail", "not_assessable"]
    message: str
    paths: list[str]
    verdict: Literal["source_inconsistency", "extraction_error"] | None = None


class ReportMeta(Strict):
    source_file: str
    sha256: str
    format: str
    encoding: str
    pages: int | None = Field(default=None, description="number of pages (PDF input only)")
    traditional: bool = Field(
        default=False,
        description="the source is in traditional characters; the normalized text maps them "
        "to simplified one for one, so spans are unchanged",
    )
    agency: Located = Field(default_factory=Located)
    year: Located = Field(default_factory=Located)
    template: TemplateVersion | None = None
    template_evidence: list[str] = Field(default_factory=list)
    ocr: bool = Field(
        default=False, description="some pages were read by OCR from page images (a scan): "
        "their cells carry `ocr` provenance and are never verified unless an identity holds")
    ocr_pages: list[int] = Field(default_factory=list, description="1-based pages read by OCR")


class Subtotal(Strict):
    """A subtotal row a publisher added to section 三 ("小计", "（三）不予公开 合计"): not a
    template row, so never placed into template cells; read with provenance and checked by
    the verifier against the sum of its group's sub-rows, column by column."""

    group: Literal["denied", "unable", "not_processed", "other_processing"]
    label: str = Field(description="The row's label as printed")
    span: Span
    cells: list[Cell] = Field(description="One per section 三 column, path s3.<group>.subtotal.<column>")


class Extraction(Strict):
    """What the extractor hands to the verifier."""

    schema_version: str = SCHEMA_VERSION
    meta: ReportMeta
    sections: list[SectionHit] = Field(default_factory=list)
    truncated: bool = False
    tables: Tables  # type: ignore[valid-type]
    issues: list[Issue] = Field(default_factory=list)
    subtotals: list[Subtotal] = Field(default_factory=list)


class Claim(Strict):
    """A number stated in the narrative, with the verbatim quote it was aligned to."""

    topic: str
    value: int | Decimal = Field(description="Read from the source at number_span")
    quote: str = Field(description="The source text at span (not the LLM's copy)")
    span: Span = Field(description="The aligned quote in the normalized text")
    number_span: Span
    part_of: int | None = Field(default=None, description="Index of the total claim this is a part of")
    alignment: Literal["exact", "fuzzy"]
    score: float = Field(description="Alignment score, 100 = exact")


class LLMTask(Strict):
    task: str = Field(description="table_mapping, narrative, metadata")
    section: str | None = None
    outcome: Literal["ok", "failed", "skipped"]
    detail: str | None = None


class LLMReport(Strict):
    """What the LLM path did for one report. Identical on a re-run from the cache."""

    model: str
    endpoint: str = Field(description="Host of the endpoint (never a key)")
    modes: list[str]
    prompt_versions: dict[str, str]
    tasks: list[LLMTask] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Field(default=Decimal(0), description="Tokens at the configured prices (cache hits included)")
    claims: list[Claim] = Field(default_factory=list)
    dropped_claims: int = Field(default=0, description="Claims whose quote could not be aligned to the text")
    two_readers: int = Field(default=0, description="Cells the parser and the LLM read alike")
    disagreements: int = 0
    llm_only: int = Field(default=0, description="Cells only the LLM could place, accepted once verified")


class Summary(Strict):
    cells: int = 0
    numbers: int = 0
    verified: int = 0
    inferred: int = Field(
        default=0, description="Cells whose position the identities (or the LLM) chose, and whose "
        "identities hold: trusted only as far as the source is consistent")
    grounded: int = 0
    flagged: int = 0
    corrected: int = Field(default=0, description="Cells decided by a person")


def summarize(tables: BaseModel) -> Summary:
    """Counts of a report's cells by state and status (after verification)."""
    counts = dict.fromkeys(CellStatus, 0)
    cells = numbers = 0
    for cell in iter_cells(tables):
        cells += 1
        numbers += cell.state is CellState.NUMBER
        if cell.status is not None:
            counts[cell.status] += 1
    return Summary(cells=cells, numbers=numbers, verified=counts[CellStatus.VERIFIED],
                   inferred=counts[CellStatus.INFERRED], grounded=counts[CellStatus.GROUNDED], flagged=counts[CellStatus.FLAGGED],
                   corrected=counts[CellStatus.CORRECTED])


class Record(Strict):
    """One line of results.jsonl: the extraction after verification."""

    schema_version: str = SCHEMA_VERSION
    meta: ReportMeta
    sections: list[SectionHit]
    truncated: bool
    tables: Tables  # type: ignore[valid-type]
    checks: list[CheckResult]
    flags: list[Issue]
    warnings: list[Issue]
    summary: Summary
    llm: LLMReport | None = Field(default=None, description="The LLM pass, when one ran")
    text: str = Field(description="The normalized source text every span points into")


class InputError(BaseModel):
    """An input that could not be processed, and why."""

    file: str
    path: str
    kind: str  # "input" (the file's fault), "internal" (ours), "not_processed" (budget spent)
    error: str
