"""What the panel keeps of one report (`PanelDoc`, made from a run item in the worker that
read it, or from the store) and what a finding names of it (`DocRef`)."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter

from extractor.outputs.cellpass import CellPass
from extractor.outputs.items import Item
from extractor.outputs.tables import REPORT_HEAD, cells_of, report_values, snippet
from extractor.panel.names import AgencyIdentity, Alias, agency_identity
from extractor.panel.rules import instances
from extractor.panel.spill import by_fields
from extractor.panel.spill import dump as pack
from extractor.panel.spill import load as unpack
from extractor.schema import CellState


@by_fields
@dataclass(frozen=True, slots=True)
class CellRef:
    """A cell a cross-document rule reads, with its provenance."""

    path: str
    state: str
    value: int | Decimal | None
    status: str | None
    span: tuple[int, int] | None
    source_span: tuple[int, int] | None
    page: int | None
    snippet: str | None

    @property
    def number(self) -> int | Decimal | None:
        return self.value if self.state == CellState.NUMBER.value else None


@by_fields
@dataclass(slots=True, weakref_slot=True)
class PanelDoc:
    """One report as the panel keeps it."""

    seq: int
    file: str
    input_path: str
    sha256: str | None
    year: int | None
    template: str
    identity: AgencyIdentity
    agency_span: tuple[int, int] | None
    # What is large is held packed (`pack`: a PanelDoc went from 22 KB to 6 KB, what the
    # spill file holds of each report) and unpacked where it is used: the reports row's fields
    # (`report_values` after its head) when the panel is written, the cells the rules read
    # once per pair of linked reports, the non-zero numbers only to name those that differ.
    packed_row: bytes
    packed_cells: bytes  # dict[str, tuple]: each CellRef's fields
    packed_nonzero: bytes  # frozenset[tuple[str, int | Decimal]]: every non-zero number
    nonzero_key: str  # digest of the non-zero numbers: equal sets, equal digest
    nonzero_count: int
    numbers: str  # digest of every (path, number) of the report: equal numbers, equal digest
    version: int = 1
    versions: int = 1
    duplicates: list[str] = field(default_factory=list)  # inputs with the same numbers
    previous_year: int | None = None
    next_year: int | None = None
    x1: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0, "not_assessable": 0})
    x2_warnings: int = 0
    x3: bool = False
    x4: bool = False
    cross_year: dict[str, str] = field(default_factory=dict)  # path -> pass | fail
    #: the reports row's fields as CSV text (`CellPass.report_csv`, zlib: ~4 KB of text
    #: in ~0.2 KB) when the outputs' cell pass made it: panel.csv copies it (`write`)
    #: instead of writing ~680 values again; None: it writes them from `row`
    packed_csv: bytes | None = None

    @property
    def where(self) -> str:
        return self.input_path or self.file

    @property
    def ref(self) -> DocRef:
        return DocRef(self.seq, self.file, self.input_path, self.sha256, self.year)

    @property
    def row(self) -> tuple[object, ...]:
        return unpack(self.packed_row)  # type: ignore[no-any-return]

    @property
    def cells(self) -> dict[str, CellRef]:
        return {path: CellRef(*ref) for path, ref in unpack(self.packed_cells).items()}

    @property
    def nonzero(self) -> frozenset[tuple[str, int | Decimal]]:
        return unpack(self.packed_nonzero)  # type: ignore[no-any-return]


#: An int below this in magnitude is its own normalized decimal (`Decimal.normalize` rounds
#: to the context's 28 digits).
_EXACT = 10**27


def _nonzero_key(nonzero: list[tuple[str, int | Decimal]]) -> str:
    """Equal for equal sets of (path, number): an amount's 1.50 and 1.5 are one number."""
    canonical = sorted((p, str(v) if type(v) is int and -_EXACT < v < _EXACT
                        else format(Decimal(v).normalize(), "f")) for p, v in nonzero)
    return hashlib.sha256(repr(canonical).encode()).hexdigest()


def _rule_paths() -> frozenset[str]:
    out: set[str] = set()
    for a in ("2019", "2021"):
        for b in ("2019", "2021"):
            out |= {p for eq in instances(a, b) for _, p, _ in eq.terms}
    return frozenset(out)


RULE_PATHS = _rule_paths()


def _identity(read: object, aliases: dict[str, Alias] | None) -> AgencyIdentity:
    """`agency_identity` (a pure function of the name read, without aliases: remembered, as
    one agency's name recurs over its reports and years; a frozen value, safe to share)."""
    if aliases is not None or type(read) is not str:
        return agency_identity(read, aliases)
    return _plain_identity(read)


@lru_cache(maxsize=20_000)
def _plain_identity(read: str) -> AgencyIdentity:
    return agency_identity(read)


_PATH = attrgetter("path")


@lru_cache(maxsize=64)
def _rule_positions(paths: tuple[str, ...]) -> tuple[int, ...]:
    """Where the cells a cross-document rule reads are in a record's cells of these paths
    (a template's ~200 paths, the same tuple for each of its reports; ~30 are read)."""
    return tuple(i for i, path in enumerate(paths) if path in RULE_PATHS)


def panel_doc(item: Item, aliases: dict[str, Alias] | None = None) -> PanelDoc | None:
    """What the panel keeps of a run item (None for an input that failed)."""
    r = item.record
    if r is None:
        return None
    year = r.meta.year.value
    cells: dict[str, tuple[object, ...]] = {}  # CellRef's fields, by path
    done = item.cell_pass  # the outputs' pass over the cells, when one was made (a worker)
    if isinstance(done, CellPass):
        numbers = done.numbers
    else:
        numbers = [(c.path, c.value) for c in cells_of(item)
                   if c.state is CellState.NUMBER and c.value is not None]
    nonzero = [(p, v) for p, v in numbers if v != 0]
    text, listed = r.text, cells_of(item)  # listed once per item (the exports read them too)
    for at in _rule_positions(tuple(map(_PATH, listed))):
        d = listed[at].__dict__  # the fields without an attribute lookup each
        path, status, span = d["path"], d["status"], d["span"]
        cells[path] = (
            path, d["state"]._value_, d["value"], status._value_ if status else None, span,
            d["source_span"], d["page"],
            snippet(text, *span, context=12) if span and text else None)
    return PanelDoc(item.seq, item.file, item.input_path, item.sha256,
                    year if isinstance(year, int) else None, r.tables.template,
                    _identity(r.meta.agency.value, aliases), r.meta.agency.span,
                    pack(tuple(report_values(item)[len(REPORT_HEAD):])),
                    pack(cells), pack(frozenset(nonzero)), _nonzero_key(nonzero), len(nonzero),
                    hashlib.sha256(repr(numbers).encode()).hexdigest(),
                    packed_csv=zlib.compress(done.report_csv.encode(), 1)
                    if isinstance(done, CellPass) else None)


@by_fields
@dataclass(frozen=True, slots=True)
class DocRef:
    """What a finding names of a document: a flag or a check keeps this, not the document
    (the panel holds one agency's documents at a time)."""

    seq: int
    file: str
    input_path: str
    sha256: str | None
    year: int | None

    @property
    def where(self) -> str:
        return self.input_path or self.file
