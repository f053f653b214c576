"""The agency × year panel of a run, and the checks across its documents (X1–X4).

`build_panel` reads a run's items once (each record reduced at once to what the panel keeps:
its reports row, the cells the rules read, the non-zero numbers), groups them by agency key
(`names.agency_identity`) and year, and links each agency's report of year N to its report
of year N−1. It never changes a number or a cell's status: a check that holds is evidence
(`cross_year` columns), one that fails is a `CrossFlag` naming both documents, both cells and
both spans. Reports without an agency key (no name, or a doubtful one) or without a year are
listed in the panel, not linked.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from extractor.outputs.cellpass import CellPass
from extractor.outputs.items import Item
from extractor.outputs.tables import REPORT_HEAD, cells_of, report_values, snippet
from extractor.panel.names import AgencyIdentity, Alias, agency_identity
from extractor.panel.rules import CrossEquation, Side, instances, rule
from extractor.schema import CellState, CellStatus, title

#: Statuses of a cell read where it is printed (the text at its span reads its value).
GROUNDED = frozenset({CellStatus.VERIFIED.value, CellStatus.INFERRED.value,
                      CellStatus.GROUNDED.value, CellStatus.CORRECTED.value})


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


@dataclass(slots=True)
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
    # What is large is held packed (`pack`: a run of 100,000 reports keeps every one of them
    # until the panel is made) and unpacked where it is used: the reports row's fields
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
    def row(self) -> tuple[object, ...]:
        return unpack(self.packed_row)  # type: ignore[no-any-return]

    @property
    def cells(self) -> dict[str, CellRef]:
        return {path: CellRef(*ref) for path, ref in unpack(self.packed_cells).items()}

    @property
    def nonzero(self) -> frozenset[tuple[str, int | Decimal]]:
        return unpack(self.packed_nonzero)  # type: ignore[no-any-return]


def pack(value: object) -> bytes:
    """A value the panel holds until the end, as one bytes object: a report's PanelDoc
    went from 22 KB to 6 KB held (our own data, so pickle; zlib would halve it again, for
    0.6 CPU ms a report)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(blob: bytes) -> Any:
    return pickle.loads(blob)  # noqa: S301 - made by `pack` in this run


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
    text, rule_paths = r.text, RULE_PATHS
    for c in cells_of(item):  # listed once per item (the exports read them too)
        d = c.__dict__  # the fields without an attribute lookup each (~200 cells)
        path = d["path"]
        if path in rule_paths:
            status, span = d["status"], d["span"]
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


@dataclass(frozen=True, slots=True)
class Part:
    """One document's part in a cross-document finding: the document and its cells."""

    doc: PanelDoc
    cells: tuple[CellRef, ...]
    at: tuple[int, int] | None = None  # a span of the document that is not a cell's

    @property
    def grounded(self) -> bool:
        return all(c.state == CellState.NUMBER.value and c.status in GROUNDED for c in self.cells)

    @property
    def span(self) -> tuple[int, int] | None:
        if self.at is not None:
            return self.at
        spans = [c.span for c in self.cells if c.span is not None]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    @property
    def source_span(self) -> tuple[int, int] | None:
        spans = [c.source_span for c in self.cells if c.source_span is not None]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    def describe(self) -> str:
        parts = []
        for c in self.cells:
            v = c.value if c.state == CellState.NUMBER.value else c.state
            at = f" at {c.span[0]}–{c.span[1]}" if c.span else ""
            parts.append(f"{title(c.path)} = {v}{at}")
        return f"{self.doc.where} ({self.doc.year}): " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class CrossFlag:
    """A finding across documents: `a` is the earlier report (or the first version), `b` the
    later one; `b` is None for a finding about one report (AGENCY)."""

    rule: str
    key: str
    severity: str
    message: str
    agency_key: str | None
    a: Part
    b: Part | None
    verdict: str | None = None
    grounded: str | None = None  # both, earlier, later, neither


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """The outcome of one cross-document equation between two linked reports."""

    agency_key: str
    rule: str
    key: str
    outcome: str  # pass, fail, not_assessable
    earlier: PanelDoc
    later: PanelDoc
    left: int | Decimal | None
    right: int | Decimal | None
    equation: CrossEquation


@dataclass
class Panel:
    docs: list[PanelDoc]  # panel order: linked agencies by key and year, then the unlinked
    flags: list[CrossFlag]
    checks: list[CrossCheck]
    errors: list[str] = field(default_factory=list)  # items left out (internal errors)

    @property
    def agencies(self) -> int:
        return len({d.identity.key for d in self.docs if d.identity.key and d.year is not None})

    @property
    def links(self) -> int:
        return sum(1 for d in self.docs if d.previous_year is not None)

    def outcomes(self, rule_name: str) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "not_assessable": 0}
        for c in self.checks:
            if c.rule == rule_name:
                out[c.outcome] += 1
        return out


class PanelBuilder:
    """Takes a run's items one at a time (`add`, e.g. while the exports are written, so the
    records are read once) and makes the panel at the end (`finish`)."""

    def __init__(self, aliases: dict[str, Alias] | None = None) -> None:
        self.aliases = aliases
        self.groups: dict[tuple[str, int], list[PanelDoc]] = defaultdict(list)
        self.unlinked: list[PanelDoc] = []
        self.flags: list[CrossFlag] = []
        self.errors: list[str] = []

    def add(self, item: Item) -> None:
        """Take one item; never raises (it runs inside the export of a run): an item the
        panel cannot take is left out and named in `errors`."""
        try:
            doc = panel_doc(item)  # the alias file is applied in `add_doc`
        except Exception as e:  # noqa: BLE001 - one report never costs a run its exports
            self.errors.append(f"{item.input_path or item.file}: internal error (please "
                               f"report): {e!r}"[:500])
            return
        if doc is not None:
            self.add_doc(doc)

    def add_doc(self, doc: PanelDoc) -> None:
        """Take a report made into a `PanelDoc` elsewhere (in a worker process, where its
        record was made, without the alias file: its identity is resolved again here)."""
        if self.aliases:
            doc = replace(doc, identity=agency_identity(doc.identity.read, self.aliases))
        if doc.identity.key is None or doc.year is None:
            self.unlinked.append(doc)
            if doc.identity.identity == "doubtful":
                self.flags.append(CrossFlag(
                    "AGENCY", f"AGENCY:{doc.identity.read}", "flag",
                    f"agency identity doubtful, not linked to other years: {doc.identity.reason}",
                    None, Part(doc, (), doc.agency_span), None))
            return
        self.groups[(doc.identity.key, doc.year)].append(doc)

    def finish(self) -> Panel:
        flags = self.flags
        versions: dict[tuple[str, int], list[PanelDoc]] = {
            k: _versions(k[0], g, flags) for k, g in self.groups.items()}
        checks: list[CrossCheck] = []
        for (key, year), docs in versions.items():
            before = versions.get((key, year - 1))
            if before is None:
                continue
            for later in docs:
                later.previous_year = year - 1
                for earlier in before:
                    earlier.next_year = year
                    _link(key, earlier, later, flags, checks)
        ordered = [d for k in sorted(versions) for d in versions[k]]
        return Panel(ordered + self.unlinked, flags, checks, self.errors)


def build_panel(items: Iterable[Item], aliases: dict[str, Alias] | None = None) -> Panel:
    """The panel of a run's items (see the module)."""
    builder = PanelBuilder(aliases)
    for item in items:
        builder.add(item)
    return builder.finish()


def _versions(key: str, docs: list[PanelDoc], flags: list[CrossFlag]) -> list[PanelDoc]:
    """One agency's reports of one year: reports with the same numbers are one (the first
    input, the others listed as duplicates); different numbers are versions, flagged (X3)."""
    kept: list[PanelDoc] = []
    for doc in sorted(docs, key=lambda d: d.seq):
        same = next((k for k in kept if k.numbers == doc.numbers
                     and k.nonzero_key == doc.nonzero_key), None)
        if same is not None:
            same.duplicates.append(doc.where)
        else:
            kept.append(doc)
    spec = rule("X3")
    for n, doc in enumerate(kept, start=1):
        doc.version, doc.versions, doc.x3 = n, len(kept), len(kept) > 1
        if n == 1:
            continue
        first = kept[0]
        differ = sorted({p for p, _ in first.nonzero ^ doc.nonzero})
        shown = ", ".join(title(p) for p in differ[:5]) + (" …" if len(differ) > 5 else "")
        flags.append(CrossFlag(
            "X3", f"X3:{key}:{doc.year}", spec.severity,
            f"two versions of {key}'s {doc.year} report with different numbers: {first.where} "
            f"and {doc.where} ({len(differ)} cells differ{': ' + shown if shown else ''}); both "
            f"are kept in the panel (versions 1 and {n}): which one is final needs a person",
            key, Part(first, ()), Part(doc, ())))
    return kept


def _sum(doc_cells: list[tuple[CellRef, int]]) -> int | Decimal | None:
    total: int | Decimal = 0
    for cell, sign in doc_cells:
        if cell.number is None:
            return None
        total += sign * cell.number
    return total


def _link(key: str, earlier: PanelDoc, later: PanelDoc, flags: list[CrossFlag],
          checks: list[CrossCheck]) -> None:
    """Every equation between the reports of years N−1 and N of one agency, and X4."""
    cells = {"earlier": earlier.cells, "later": later.cells}  # unpacked once for the pair
    for eq in instances(earlier.template, later.template):
        _equation(key, eq, earlier, later, cells, flags, checks)
    spec = rule("X4")
    if later.nonzero_count >= spec.min_nonzero and later.nonzero_key == earlier.nonzero_key:
        later.x4 = True
        flags.append(CrossFlag(
            "X4", f"X4:{key}:{later.year}", spec.severity,
            f"{later.where} ({later.year}) has the same {later.nonzero_count} non-zero cells, "
            f"every one equal, as {earlier.where} ({earlier.year}) of the same agency: a likely "
            "copy of last year's report", key, Part(earlier, ()), Part(later, ())))


def _equation(key: str, eq: CrossEquation, earlier: PanelDoc, later: PanelDoc,
              of: dict[str, dict[str, CellRef]], flags: list[CrossFlag],
              checks: list[CrossCheck]) -> None:
    docs = {"earlier": earlier, "later": later}

    def cells(terms: tuple[tuple[Side, str, int], ...]) -> list[tuple[CellRef, int]]:
        return [(of[s][p], sign) for s, p, sign in terms]

    left, right = _sum(cells(eq.left)), _sum(cells(eq.right))
    outcome = "not_assessable" if left is None or right is None else (
        "pass" if left == right else "fail")
    checks.append(CrossCheck(key, eq.rule, eq.key, outcome, earlier, later, left, right, eq))
    if eq.rule == "X1":
        later.x1[outcome] += 1
    if outcome == "not_assessable":
        return
    for s, p, _ in eq.terms:
        mark = docs[s].cross_year
        if mark.get(p) != "fail":
            mark[p] = outcome
    if outcome == "pass":
        return
    a = Part(earlier, tuple(of["earlier"][p] for s, p, _ in eq.terms if s == "earlier"))
    b = Part(later, tuple(of["later"][p] for s, p, _ in eq.terms if s == "later"))
    grounded = {(True, True): "both", (True, False): "earlier", (False, True): "later",
                (False, False): "neither"}[(a.grounded, b.grounded)]
    if grounded == "both":
        verdict = "source_inconsistency"
        why = ("Every number is read where it is printed: the two reports disagree "
               "(an error in one of them, or an agency reorganised, merged or renamed between "
               "the years)")
    else:
        verdict = "extraction_error"
        why = {"earlier": "The later report's cell is not grounded (flagged in its own report): "
                          "check its reading first",
               "later": "The earlier report's cell is not grounded (flagged in its own report): "
                        "check its reading first",
               "neither": "Neither report's cell is grounded (each is flagged in its own "
                          "report): check their readings first"}[grounded]
    if eq.rule == "X2":
        later.x2_warnings += 1
    flags.append(CrossFlag(
        eq.rule, f"{eq.key}:{key}:{earlier.year}-{later.year}", eq.severity,
        f"{eq.description}: {left} ≠ {right}. {b.describe()}; {a.describe()}. {why}. "
        f"The rule is {eq.note}.", key, a, b, verdict, grounded))
