"""The agency × year panel of a run, and the checks across its documents (X1–X4).

`build_panel` reads a run's items once (each record reduced at once to what the panel keeps:
its reports row, the cells the rules read, the non-zero numbers), groups them by agency key
(`names.agency_identity`) and year, and links each agency's report of year N to its report
of year N−1. It never changes a number or a cell's status: a check that holds is evidence
(`cross_year` columns), one that fails is a `CrossFlag` naming both documents, both cells and
both spans. Reports without an agency key (no name, or a doubtful one) or without a year are
listed in the panel, not linked.

What it takes waits in a temporary file (`spill`), and the panel is made one agency at a
time and read back from that file as it is written: memory does not grow with the run.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from extractor.outputs.items import Item
from extractor.panel.doc import CellRef, DocRef, PanelDoc, panel_doc
from extractor.panel.names import Alias, agency_identity
from extractor.panel.rules import CrossEquation, Side, instances, rule
from extractor.panel.spill import Place, Spill, Spilled, by_fields, place
from extractor.panel.spill import dump as pack
from extractor.panel.spill import load as unpack
from extractor.schema import CellState, CellStatus, title

#: Statuses of a cell read where it is printed (the text at its span reads its value).
GROUNDED = frozenset({CellStatus.VERIFIED.value, CellStatus.INFERRED.value,
                      CellStatus.GROUNDED.value, CellStatus.CORRECTED.value})


@by_fields
@dataclass(frozen=True, slots=True)
class Part:
    """One document's part in a cross-document finding: the document and its cells."""

    doc: DocRef
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


@by_fields
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


@by_fields
@dataclass(frozen=True, slots=True)
class CrossCheck:
    """The outcome of one cross-document equation between two linked reports."""

    agency_key: str
    rule: str
    key: str
    outcome: str  # pass, fail, not_assessable
    earlier: DocRef
    later: DocRef
    left: int | Decimal | None
    right: int | Decimal | None
    equation: CrossEquation


@dataclass
class Counts:
    """What a panel's summary says of it, counted as it is made."""

    agencies: int = 0  # agency keys with a linked report
    links: int = 0  # reports linked to a previous year's
    alone: int = 0  # reports with neither a previous nor a next year
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)  # rule -> outcome -> n

    def row(self, doc: PanelDoc) -> None:
        self.links += doc.previous_year is not None
        self.alone += doc.previous_year is None and doc.next_year is None

    def check(self, c: CrossCheck) -> None:
        self.outcomes.setdefault(c.rule, {"pass": 0, "fail": 0, "not_assessable": 0})[c.outcome] += 1


@dataclass
class Panel:
    """A run's panel: its rows in panel order (linked agencies by key and year, then the
    unlinked), findings and checks, each a collection read back from the builder's spill
    file (or lists, made by hand); `close` removes that file."""

    docs: Collection[PanelDoc]
    flags: Collection[CrossFlag]
    checks: Collection[CrossCheck]
    errors: list[str] = field(default_factory=list)  # items left out (internal errors)
    counts: Counts = field(default_factory=Counts)  # default: counted from the collections
    spill: Spill | None = None

    def __post_init__(self) -> None:
        if self.spill is None:
            self.counts.agencies = len({d.identity.key for d in self.docs
                                        if d.identity.key and d.year is not None})
            for d in self.docs:
                self.counts.row(d)
            for c in self.checks:
                self.counts.check(c)

    @property
    def agencies(self) -> int:
        return self.counts.agencies

    @property
    def links(self) -> int:
        return self.counts.links

    @property
    def alone(self) -> int:
        return self.counts.alone

    def outcomes(self, rule_name: str) -> dict[str, int]:
        return dict(self.counts.outcomes.get(rule_name, {"pass": 0, "fail": 0, "not_assessable": 0}))

    def close(self) -> None:
        if self.spill is not None:
            self.spill.close()


class PanelBuilder:
    """Takes a run's items one at a time (`add`, e.g. while the exports are written, so the
    records are read once) and makes the panel at the end (`finish`). What it takes waits in
    a spill file (`where`: its folder, default the system's temporary one), not in memory;
    `close` (or the panel's) removes it."""

    def __init__(self, aliases: dict[str, Alias] | None = None, where: Path | None = None) -> None:
        self.aliases = aliases
        self.spill = Spill(where)
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
        self.spill.add(*self._filed(doc))

    def stage(self, seq: int, doc: PanelDoc) -> None:
        """Keep a worker's document of the input at `seq` until the exports `take` it (they
        read an input with a reviewer's decision from the store: then it is `add`ed)."""
        where, doc_seq, doubtful, blob = self._filed(doc)
        self.spill.stage(seq, where, doc_seq, doubtful, blob)

    def take(self, seq: int) -> None:
        """Take the document staged for the input at `seq` (if its worker made one)."""
        self.spill.take(seq)

    def _filed(self, doc: PanelDoc) -> tuple[Place, int, bool, bytes]:
        if self.aliases:
            doc = replace(doc, identity=agency_identity(doc.identity.read, self.aliases))
        i = doc.identity
        return place(i.key, doc.year), doc.seq, i.identity == "doubtful", pack(doc)

    def close(self) -> None:
        self.spill.close()

    def finish(self) -> Panel:
        """The panel, made one agency at a time from the spill file, which it then owns. Its
        rows, findings and checks come in the order of a panel held in memory: findings
        about one report (AGENCY) in the order taken, then two versions (X3), then those
        between years, each set by the order its (agency, year) was first taken."""
        spill, counts = self.spill, Counts()
        try:
            for n, blob in spill.doubtful():
                doc = unpack(blob)
                spill.put_flags(0, n, [CrossFlag(
                    "AGENCY", f"AGENCY:{doc.identity.read}", "flag",
                    f"agency identity doubtful, not linked to other years: {doc.identity.reason}",
                    None, Part(doc.ref, (), doc.agency_span), None)])
            for key, docs in groupby(spill.linked(), itemgetter(0)):
                counts.agencies += 1
                _agency(key.decode("utf-8", "surrogatepass"), docs, spill, counts)
            counts.alone += spill.unlinked
        except BaseException:
            spill.close()
            raise
        return Panel(Spilled(spill.docs, spill.rows + spill.unlinked),
                     Spilled(spill.flags, spill.flag_count),
                     Spilled(spill.checks, spill.check_count), self.errors, counts, spill)


def build_panel(items: Iterable[Item], aliases: dict[str, Alias] | None = None) -> Panel:
    """The panel of a run's items (see the module)."""
    builder = PanelBuilder(aliases)
    try:
        for item in items:
            builder.add(item)
    except BaseException:
        builder.close()
        raise
    return builder.finish()


def _agency(key: str, index: Iterator[tuple[bytes, int, int]], spill: Spill,
            counts: Counts) -> None:
    """One agency's documents (key, year, n by year and input position) into the panel:
    each year's versions, each year linked to the year before, rows written a year behind
    (the next year's link marks them). A report alone (one of its year, no year beside it)
    is written as taken, without reading it back."""
    years = [(year, [n for _, _, n in group]) for year, group in groupby(index, itemgetter(1))]
    present = {year for year, _ in years}
    before: tuple[int, list[PanelDoc]] | None = None
    for year, ns in years:
        if len(ns) == 1 and year - 1 not in present and year + 1 not in present:
            _rows(before, spill, counts)
            before = None
            spill.put_row(ns[0], None)
            counts.alone += 1
            continue
        flags: list[CrossFlag] = []
        kept = _versions(key, (unpack(spill.blob(n)) for n in ns), flags)
        first = min(ns)  # the order its first document was taken in
        spill.put_flags(1, first, flags)
        if before is not None and before[0] == year - 1:
            flags = []
            checks: list[CrossCheck] = []
            for later in kept:
                later.previous_year = year - 1
                for earlier in before[1]:
                    earlier.next_year = year
                    _link(key, earlier, later, flags, checks)
            spill.put_flags(2, first, flags)
            spill.put_checks(first, checks)
            for c in checks:
                counts.check(c)
        _rows(before, spill, counts)
        before = (year, kept)
    _rows(before, spill, counts)


def _rows(year: tuple[int, list[PanelDoc]] | None, spill: Spill, counts: Counts) -> None:
    for doc in year[1] if year is not None else ():
        spill.put_row(None, doc)
        counts.row(doc)


def _versions(key: str, docs: Iterable[PanelDoc], flags: list[CrossFlag]) -> list[PanelDoc]:
    """One agency's reports of one year, by input position: reports with the same numbers
    are one (the first input, the others listed as duplicates and let go); different numbers
    are versions, flagged (X3)."""
    kept: list[PanelDoc] = []
    for doc in docs:
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
            key, Part(first.ref, ()), Part(doc.ref, ())))
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
    refs = {"earlier": earlier.ref, "later": later.ref}  # one of each for the pair
    for eq in instances(earlier.template, later.template):
        _equation(key, eq, earlier, later, cells, refs, flags, checks)
    spec = rule("X4")
    if later.nonzero_count >= spec.min_nonzero and later.nonzero_key == earlier.nonzero_key:
        later.x4 = True
        flags.append(CrossFlag(
            "X4", f"X4:{key}:{later.year}", spec.severity,
            f"{later.where} ({later.year}) has the same {later.nonzero_count} non-zero cells, "
            f"every one equal, as {earlier.where} ({earlier.year}) of the same agency: a likely "
            "copy of last year's report", key, Part(refs["earlier"], ()), Part(refs["later"], ())))


def _equation(key: str, eq: CrossEquation, earlier: PanelDoc, later: PanelDoc,
              of: dict[str, dict[str, CellRef]], refs: dict[str, DocRef],
              flags: list[CrossFlag], checks: list[CrossCheck]) -> None:
    docs = {"earlier": earlier, "later": later}

    def cells(terms: tuple[tuple[Side, str, int], ...]) -> list[tuple[CellRef, int]]:
        return [(of[s][p], sign) for s, p, sign in terms]

    left, right = _sum(cells(eq.left)), _sum(cells(eq.right))
    outcome = "not_assessable" if left is None or right is None else (
        "pass" if left == right else "fail")
    checks.append(CrossCheck(key, eq.rule, eq.key, outcome, refs["earlier"], refs["later"],
                             left, right, eq))
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
    a = Part(refs["earlier"], tuple(of["earlier"][p] for s, p, _ in eq.terms if s == "earlier"))
    b = Part(refs["later"], tuple(of["later"][p] for s, p, _ in eq.terms if s == "later"))
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
