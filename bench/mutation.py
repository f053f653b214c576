"""Verifier power: inject single-cell errors into golden SOURCE texts and see who notices.

Run by hand:  python bench/mutation.py [--seed 0] [--limit N] [--report NAME]...

PDF and DOCX inputs are skipped (there is no source text to edit) and named on the first line.

For each golden report (golden/inputs with a golden/expected file) the unmutated run gives
the baseline and the cell spans (`Cell.source_span`, into the file text as decoded). Each
mutation edits the source at those spans, the pipeline runs on a temporary copy, and the
mutation is classified against the baseline:

- **caught**: the report gets a flag it did not have, or a cell the mutation touched or
  changed is flagged (``preflagged`` counts the caught ones whose only signal is a cell
  that was already flagged in the baseline);
- **silent**: the extraction changed and no touched or changed cell is flagged;
- **no-op**: the extraction is identical to the baseline.

Silent mutations whose only effect is a 0 turned blank or a blank turned 0 are counted
apart (``0<->blank``): the identities count a blank as 0, so only the blank-pattern checks
(`verify/patterns.py`) can see them. A silent mutation that no deterministic check can see
is reported as **undetectable**, with its reason (`REASONS`): a 0<->blank change that leaves
the row with a blank/0 pattern another row of the table already prints, cells that no assessable identity covers (section 二, a row
cut by the excerpt's end), or a change that keeps the balance of every assessable identity
(a swap within a row whose column identities are not assessable). Every other silent
mutation is a gap, listed first as "silent and detectable".

Mutation kinds: ``digit`` (one digit of a printed number changed), ``swap`` (two adjacent
cells of a row exchanged), ``drop`` (one cell removed, so the rest of the row moves left),
``shift`` (a row's values moved one column left or right, the freed end left empty).

Section 三 and 四 cells are covered by identities, so nearly every mutation there should be
caught; section 二 is only grounded (the source does say the value), so its mutations are
mostly silent by design and reported separately. The last line is one summary comparable
across commits. Deterministic: every report draws from its own `random.Random(seed:name)`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy

from extractor.evaluate.evaluation import cell_reading  # noqa: E402
from extractor.run.pipeline import process  # noqa: E402
from extractor.schema import (  # noqa: E402
    LAYOUTS,
    Cell,
    CellState,
    CellStatus,
    InputError,  # noqa: E402
    Record,
    iter_cells,
)
from extractor.schema.identities import instances  # noqa: E402

SECTIONS = ("s3", "s4", "s2")
#: Source formats whose text can be edited at a cell's span; PDF and DOCX are skipped.
TEXT_FORMATS = ("text", "markdown", "html")
KINDS = ("digit", "swap", "drop", "shift")
Outcome = Literal["caught", "silent", "noop"]
Edit = tuple[int, int, str]  # replace source[start:end] with text
Span = tuple[int, int]


class Mutation(BaseModel):
    kind: str
    section: str
    paths: list[str]
    detail: str
    edits: list[Edit]


class Result(BaseModel):
    file: str
    kind: str
    section: str
    paths: list[str]
    detail: str
    outcome: Outcome
    preflagged: bool = False
    zero_blank: bool = False  # silent, and every change is 0 <-> blank (equal under blank = 0)
    undetectable: str | None = None  # silent, and why no check can see it (a key of REASONS)
    changed: list[str] = []


#: Why a silent mutation is out of reach of every deterministic check, with the argument.
REASONS: dict[str, str] = {
    "sibling_pattern": "0<->blank that leaves the row with the very blank/0 pattern another row "
    "of the same table prints (a table that leaves some rows all blank and prints 0 in others): "
    "the identities count a blank as 0 and no pattern check can tell the rows apart",
    "unchecked": "no identity covering the changed cells is assessable (section 二, a row cut by "
    "the excerpt's end, a table without its totals): the source's new value is read as printed",
    "balance_kept": "every assessable identity covering the changed cells keeps its balance (two "
    "cells swapped within a row whose column identities are not assessable)",
}


# --------------------------------------------------------------------------- slots


def slots(record: Record, text: str) -> dict[str, Span]:
    """Cells whose source text can be edited in place: printed text with a span, or (in
    plain text only) a blank cell whose empty span sits at a position of its own.

    Blank HTML cells are left out: their spans do not point into their <td>.
    """
    cells = [c for c in iter_cells(record.tables) if c.source_span is not None]
    starts = Counter(c.source_span[0] for c in cells)  # type: ignore[index]
    out: dict[str, Span] = {}
    for c in cells:
        start, end = c.source_span  # type: ignore[misc]
        if end > start and c.state is not CellState.MISSING:
            out[c.path] = (start, end)
        elif (record.meta.format != "html" and c.state is CellState.BLANK
              and starts[start] == 1 and text[start:start + 1] in ("\t", "\n", "|", " ", "\xa0", "")):
            out[c.path] = (start, end)
    return out


def _rows(template: str) -> Iterable[tuple[str, str, tuple[str, ...]]]:
    for section in SECTIONS:
        for row, cols in LAYOUTS[template][section].items():
            yield section, row, cols


# --------------------------------------------------------------------------- mutations


def _digit(path: str, span: Span, text: str, rng: random.Random) -> Mutation | None:
    s = text[span[0]:span[1]]
    positions = [i for i, ch in enumerate(s) if ch.isdigit()]
    if not positions:
        return None
    i = rng.choice(positions)
    leading = i == positions[0] and len(positions) > 1 and positions[1] == i + 1
    choices = [d for d in "0123456789" if d != s[i] and not (leading and d == "0")]
    new = rng.choice(choices)
    return Mutation(kind="digit", section=path[:2], paths=[path],
                    detail=f"{path} {s!r}->{s[:i] + new + s[i + 1:]!r}",
                    edits=[(span[0] + i, span[0] + i + 1, new)])


def _drop_range(text: str, span: Span, html: bool) -> Span | None:
    """The source range to delete so that the cell disappears from its row."""
    start, end = span
    if html:
        lo, hi = text.rfind("<td", 0, start), text.find("</td>", end)
        if lo < 0 or hi < 0 or "<td" in text[lo + 3:start] or "<td" in text[end:hi]:
            return None
        return lo, hi + len("</td>")
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if not (text[line_start:start] + text[end:line_end]).strip():
        return line_start, min(line_end + 1, len(text))  # the cell is alone on its line
    lo = start
    while lo > line_start and text[lo - 1] in " \u3000\xa0":
        lo -= 1
    if lo > line_start and text[lo - 1] in "\t|":
        return lo - 1, end
    if lo > line_start:
        return lo, end  # space-separated
    hi = end
    while hi < line_end and text[hi] in " \u3000\xa0":
        hi += 1
    return start, hi + 1 if hi < line_end and text[hi] in "\t|" else hi


def _candidates(record: Record, text: str, rng: random.Random) -> list[Mutation]:
    usable = slots(record, text)
    cells = {c.path: c for c in iter_cells(record.tables)}
    html = record.meta.format == "html"
    say = {p: text[a:b] for p, (a, b) in usable.items()}
    out: list[Mutation] = []
    for path in (c.path for c in iter_cells(record.tables)):
        if path in usable and cells[path].state is CellState.NUMBER:
            m = _digit(path, usable[path], text, rng)
            out += [m] if m else []
    for section, row, cols in _rows(record.meta.template or "2019"):
        paths = [f"{section}.{row}.{c}" for c in cols]
        for a, b in zip(paths, paths[1:], strict=False):
            if a in usable and b in usable and say[a] != say[b]:
                out.append(Mutation(kind="swap", section=section, paths=[a, b],
                                    detail=f"{a} {say[a]!r} <-> {b.split('.')[-1]} {say[b]!r}",
                                    edits=[(*usable[a], say[b]), (*usable[b], say[a])]))
        for p in paths:
            rng_ = _drop_range(text, usable[p], html) if p in usable else None
            if rng_:
                out.append(Mutation(kind="drop", section=section, paths=[p],
                                    detail=f"drop {p} {say[p]!r}", edits=[(*rng_, "")]))
        if all(p in usable for p in paths):
            old = [say[p] for p in paths]
            for direction, new in (("right", ["", *old[:-1]]), ("left", [*old[1:], ""])):
                if new != old:
                    out.append(Mutation(
                        kind="shift", section=section, paths=paths,
                        detail=f"shift {section}.{row} {direction}: {old} -> {new}",
                        edits=[(*usable[p], t) for p, t in zip(paths, new, strict=True)]))
    return out


def apply(text: str, edits: list[Edit]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


# --------------------------------------------------------------------------- classification


def _flagged(cell: Cell | None) -> bool:
    return cell is not None and cell.status is CellStatus.FLAGGED


def classify(base: Record, mutant: Record | InputError, m: Mutation, file: str) -> Result:
    res = Result(file=file, kind=m.kind, section=m.section, paths=m.paths, detail=m.detail,
                 outcome="caught")
    if isinstance(mutant, InputError):
        res.detail += f" (refused: {mutant.error})"
        return res
    before = {c.path: c for c in iter_cells(base.tables)}
    after = {c.path: c for c in iter_cells(mutant.tables)}
    changed = [p for p in before if p not in after or cell_reading(before[p]) != cell_reading(after[p])]
    changed += [p for p in after if p not in before]
    res.changed = changed
    new_flags = {f.key for f in mutant.flags} - {f.key for f in base.flags}
    flagged = [p for p in dict.fromkeys(m.paths + changed) if _flagged(after.get(p))]
    if new_flags or flagged:
        res.preflagged = not new_flags and all(_flagged(before.get(p)) for p in flagged)
        return res
    res.outcome = "silent" if changed else "noop"
    res.zero_blank = bool(changed) and all(
        _zero_or_blank(before.get(p)) and _zero_or_blank(after.get(p)) for p in changed)
    if changed:
        res.undetectable = _undetectable(base, mutant, changed, res.zero_blank)
    return res


def _undetectable(base: Record, mutant: Record, changed: list[str], zero_blank: bool) -> str | None:
    """The reason (a key of REASONS) no check can see this silent change, or None: a gap."""
    before = {c.path: c for c in iter_cells(base.tables)}
    after = {c.path: c for c in iter_cells(mutant.tables)}
    # Sections 三 and 四 have blank-pattern checks (verify/patterns.py): a changed row with a
    # blank cell is within their reach unless another row of the table prints that pattern.
    rows = {p.rsplit(".", 1)[0] for p in changed if not p.startswith("s2.")}
    novel = [r for r in rows if "_" in _pattern(after, r)
             and _pattern(after, r) not in {_pattern(before, s) for s in _siblings(before, r)}]
    if novel:
        return None
    if zero_blank and rows:
        return "sibling_pattern"
    assessable = {c.key for c in mutant.checks if c.outcome != "not_assessable"}
    touching = [eq for eq in instances(mutant.meta.template or "2019")
                if eq.key in assessable and set(eq.paths) & set(changed)]
    if not touching:
        return "unchecked"

    def balance(cells: dict[str, Cell], eq_left: tuple[str, ...], eq_right: tuple[str, ...]) -> object:
        return (sum((cells[p].value or 0) for p in eq_left)
                - sum((cells[p].value or 0) for p in eq_right))

    if all(balance(before, eq.left, eq.right) == balance(after, eq.left, eq.right) for eq in touching):
        return "balance_kept"
    return None


def _pattern(cells: dict[str, Cell], row: str) -> str:
    """A row's blank/0 pattern: "_" blank, "0" a printed 0, "n" any other printed cell."""
    return "".join("_" if c.state is CellState.BLANK else "0" if _zero_or_blank(c) else "n"
                   for p, c in cells.items() if p.rsplit(".", 1)[0] == row)


def _siblings(cells: dict[str, Cell], row: str) -> set[str]:
    """The other rows of the same table whose cells are all present."""
    rows = {p.rsplit(".", 1)[0] for p in cells if p.startswith(row.split(".")[0] + ".")} - {row}
    return {r for r in rows if all(c.state not in (CellState.MISSING, CellState.UNREADABLE)
                                   for p, c in cells.items() if p.rsplit(".", 1)[0] == r)}


def _zero_or_blank(cell: Cell | None) -> bool:
    return cell is not None and (cell.state is CellState.BLANK
                                 or (cell.state is CellState.NUMBER and cell.value == 0))


def mutate_report(path: Path, seed: int, limit: int | None) -> list[Result]:
    """Every (or `limit` sampled) single-cell mutation of one report, classified."""
    base = process(path)
    if not isinstance(base, Record):
        raise SystemExit(f"{path.name}: the unmutated run fails: {base.error}")
    if base.meta.format not in TEXT_FORMATS:
        return []  # a binary source (PDF, DOCX) cannot be edited at a text span
    raw = path.read_bytes()
    text = raw.decode(base.meta.encoding)
    rng = random.Random(f"{seed}:{path.name}")
    found = _candidates(base, text, rng)
    if limit is not None and limit < len(found):
        found = [found[i] for i in sorted(rng.sample(range(len(found)), limit))]
    with tempfile.TemporaryDirectory() as tmp:
        return [run_mutation(base, text, m, Path(tmp) / path.name) for m in found]


def run_mutation(base: Record, text: str, m: Mutation, target: Path) -> Result:
    """Write the mutated source to `target` (same file name as the original), run the
    pipeline on it and classify the outcome against `base`."""
    target.write_bytes(apply(text, m.edits).encode(base.meta.encoding))
    return classify(base, process(target), m, base.meta.source_file)


# --------------------------------------------------------------------------- reporting


def _share(results: list[Result]) -> tuple[int, int]:
    caught = sum(r.outcome == "caught" for r in results)
    return caught, caught + sum(r.outcome == "silent" for r in results)


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.2f}%" if d else "n/a"  # two decimals: 98.98% must not read as 99.0%


def summary_line(results: list[Result], seed: int) -> str:
    parts = []
    for s in SECTIONS:
        rs = [r for r in results if r.section == s]
        caught, assessed = _share(rs)
        detectable = assessed - sum(r.undetectable is not None for r in rs)
        parts.append(f"{s} caught {_pct(caught, assessed)} ({caught}/{assessed}; "
                     f"{_pct(caught, detectable)} of detectable)")
    silent = sum(r.outcome == "silent" for r in results)
    undetectable = sum(r.undetectable is not None for r in results)
    zero_blank = sum(r.zero_blank for r in results)
    noop = sum(r.outcome == "noop" for r in results)
    return (f"mutation: {' '.join(parts)} silent {silent} (undetectable {undetectable}, "
            f"0<->blank only {zero_blank}) no-op {noop} (seed {seed})")


def _listing(group: list[Result]) -> list[str]:
    return [f"  {r.file}  {r.kind:<5}  {r.detail}  changed: {', '.join(r.changed)}"
            for sec in SECTIONS for r in group if r.section == sec]


def report_lines(results: list[Result], seed: int, show_silent: bool = True) -> list[str]:
    lines = [f"{'kind':<7}{'section':<9}{'caught':>8}{'(pre-flagged)':>15}{'silent':>8}"
             f"{'(0<->blank)':>13}{'(undetectable)':>16}{'no-op':>7}   caught share"
             "   of detectable"]
    for kind in KINDS:
        for s in SECTIONS:
            rs = [r for r in results if r.kind == kind and r.section == s]
            if not rs:
                continue
            n = Counter(r.outcome for r in rs)
            caught, assessed = _share(rs)
            pre = sum(r.preflagged for r in rs)
            zb = sum(r.zero_blank for r in rs)
            un = sum(r.undetectable is not None for r in rs)
            lines.append(f"{kind:<7}{s:<9}{n['caught']:>8}{pre:>15}{n['silent']:>8}{zb:>13}"
                         f"{un:>16}{n['noop']:>7}   {_pct(caught, assessed):>12}"
                         f"   {_pct(caught, assessed - un):>15}")
    silent = [r for r in results if r.outcome == "silent"]
    gaps = [r for r in silent if r.undetectable is None]
    lines += ["", f"silent and detectable, to be caught ({len(gaps)}):"]
    lines += _listing(gaps) if show_silent else []
    for key, why in REASONS.items():
        group = [r for r in silent if r.undetectable == key]
        per = Counter(f"{r.kind} {r.section}" for r in group)
        lines += ["", f"silent, undetectable: {key} ({len(group)}; "
                  f"{', '.join(f'{k} {v}' for k, v in sorted(per.items())) or 'none'})", f"  why: {why}"]
        lines += _listing(group) if show_silent else []
    lines += ["", summary_line(results, seed)]
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="at most N mutations per report")
    ap.add_argument("--report", action="append", default=None,
                    help="only this golden input (file name); repeatable")
    ap.add_argument("--no-silent-list", action="store_true", help="omit the list of silent ones")
    args = ap.parse_args(argv)
    expected = {p.name[: -len(".json")] for p in (ROOT / "golden" / "expected").glob("*.json")}
    names = sorted(args.report or expected)
    unknown = [n for n in names if n not in expected]
    if unknown:
        sys.exit(f"not a golden report: {', '.join(unknown)}")
    results: list[Result] = []
    skipped: list[str] = []
    for name in names:
        found = mutate_report(ROOT / "golden" / "inputs" / name, args.seed, args.limit)
        results += found
        if not found:
            skipped.append(name)
    if skipped:
        print(f"skipped (no source text to mutate): {', '.join(skipped)}\n")
    print("\n".join(report_lines(results, args.seed, not args.no_silent_list)))


if __name__ == "__main__":
    main()
