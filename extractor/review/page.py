"""`extractor review OUT`: a self-contained review page and the decisions file to fill.

The page (``OUT/review/index.html``) shows, for each report with flags, its flags grouped by
what a person can do (decide; cannot be fixed from this file, acknowledged once; for
information), the template's tables drawn as grids coloured by status (`grid_layouts`), and
the normalized source text with every extracted number highlighted by status; a flag or a
grid cell leads to its span. A reviewer records a decision per flagged cell (accept, set a
value, the source is wrong; by mouse or keyboard) in the page and downloads
``decisions.csv``, or fills the written ``OUT/review/decisions.csv`` directly; `extractor
correct` imports either. A decisions file that holds a reviewer's work is never
overwritten (`prior_work`): it is set aside and its decisions carried into the new one.

How the page stays safe and small:

- Everything is computed here, in Python: the text is cut into segments at every span
  boundary (spans are code-point offsets into `Record.text`; JavaScript strings are UTF-16,
  so the page never slices text itself). The page only assembles DOM nodes from the
  segments with ``textContent``; it never parses data as HTML.
- Data is embedded as ``<script type="application/json">`` blocks with ``<``, ``>``, ``&``,
  U+2028 and U+2029 escaped, so no data can close the block. One block per report, parsed
  only when the report is opened, and a small index for the report list and the filters.
- A Content-Security-Policy allows nothing but the page's own script and style (by hash)
  and requires Trusted Types, so even a stray ``innerHTML`` would throw.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from extractor.outputs.items import Item, RunSourceError, read_run
from extractor.outputs.rows import SECTION_NAMES, _issue_span
from extractor.outputs.safe import safe_row, unneutralise
from extractor.review.decisions import COLUMNS
from extractor.review.extras import cross_flags, sections_of, with_crops, with_cross
from extractor.review.frame import asset, page_head, script_json
from extractor.review.keep import prior_work, set_aside
from extractor.schema import (
    ALL_PATHS,
    LAYOUTS,
    ROW_TITLES,
    Cell,
    CellState,
    CellStatus,
    Issue,
    Record,
    iter_cells,
    title,
)

#: A piece of the text: plain text, or [text, cell indices, flag indices] for text inside the
#: span of at least one cell or flag. A zero-width span (a blank cell) is an empty marker.
Segment = str | list[Any]


class ReviewError(ValueError):
    """There is no run to review at the path given (no store and no results file, or a
    malformed results line)."""


def load_records(target: Path) -> Iterator[Record]:
    """The records of a run, one at a time: the newest run of ``target/store.sqlite`` with
    people's decisions applied, or a results.jsonl.gz or results.jsonl (named, or in a folder without a store).
    See `extractor.outputs.items.read_run`."""
    try:
        items = read_run(target)
    except RunSourceError as e:
        raise ReviewError(str(e)) from e
    return _records(items)


def _records(items: Iterator[Item]) -> Iterator[Record]:
    try:
        for item in items:
            if item.record is not None:
                yield item.record
    except RunSourceError as e:
        raise ReviewError(str(e)) from e


# --- decisions.csv -------------------------------------------------------------------------


def machine_value(cell: Cell) -> str:
    """The run's reading as decisions.csv prints it: the number, "" for a blank cell,
    ``<placeholder>``, ``<missing>`` or ``<unreadable>`` otherwise."""
    if cell.state is CellState.NUMBER:
        return "" if cell.value is None else str(cell.value)
    return "" if cell.state is CellState.BLANK else f"<{cell.state.value}>"


def describe(record: Record, cell: Cell) -> list[str]:
    """The descriptive columns of a decisions row (all but the reviewer's four)."""
    return [record.meta.sha256, record.meta.source_file, cell.path, title(cell.path),
            machine_value(cell), cell.state.value, cell.status.value if cell.status else "",
            " | ".join(cell.reasons)]


def flagged_cells(record: Record) -> list[Cell]:
    """The cells a person must decide, in printed order."""
    return [c for c in iter_cells(record.tables) if c.status is CellStatus.FLAGGED]


def decision_rows(record: Record) -> list[list[str]]:
    """One decisions.csv row per flagged cell, the decision columns empty."""
    blank = [""] * (len(COLUMNS) - 8)
    return [[*describe(record, c), *blank] for c in flagged_cells(record)]


# --- the text cut into segments ----------------------------------------------------------------


def segments(text: str, cell_spans: Iterable[tuple[int, int] | None],
             flag_spans: Iterable[tuple[int, int] | None] = ()) -> list[Segment]:
    """Cut `text` at every span boundary (code-point offsets, [start, end)).

    Returns plain strings for text no span covers and ``[text, cells, flags]`` for text
    covered by the cells and flags listed (their indices in the arguments' order). A
    zero-width span becomes an empty marker at its position. Joining the texts gives back
    `text` exactly; overlapping spans are fine. A marker belongs to every flag whose span
    contains or ends at its position.
    """
    n = len(text)
    starts: dict[int, list[tuple[int, int]]] = {}
    ends: dict[int, list[tuple[int, int]]] = {}
    empty: dict[int, tuple[list[int], list[int]]] = {}
    bounds = {0, n}
    for kind, spans in enumerate((cell_spans, flag_spans)):
        for i, span in enumerate(spans):
            if span is None:
                continue
            lo, hi = max(0, min(span[0], n)), max(0, min(span[1], n))
            if hi < lo:
                continue
            if hi == lo:
                empty.setdefault(lo, ([], []))[kind].append(i)
                bounds.add(lo)
                continue
            starts.setdefault(lo, []).append((kind, i))
            ends.setdefault(hi, []).append((kind, i))
            bounds.update((lo, hi))
    order = sorted(bounds)
    active: tuple[set[int], set[int]] = (set(), set())
    out: list[Segment] = []
    for k, pos in enumerate(order):
        ending = {i for kind, i in ends.get(pos, ()) if kind == 1}
        for kind, i in ends.get(pos, ()):
            active[kind].discard(i)
        for kind, i in starts.get(pos, ()):
            active[kind].add(i)
        if pos in empty:  # a blank cell's marker belongs to the flags around it, ends included
            cells, flags = empty[pos]
            out.append(["", sorted(cells), sorted({*flags, *active[1], *ending})])
        if k + 1 < len(order):
            piece = text[pos:order[k + 1]]
            if active[0] or active[1]:
                out.append([piece, sorted(active[0]), sorted(active[1])])
            elif out and isinstance(out[-1], str):
                out[-1] += piece
            else:
                out.append(piece)
    return out


# --- the page ----------------------------------------------------------------------------------


#: The table view's headings: the template's table titles.
SECTION_TITLES = {"s2": "二、主动公开政府信息情况", "s3": "三、收到和处理政府信息公开申请情况",
                  "s4": "四、政府信息公开行政复议、行政诉讼情况"}

#: Flags no decision on this file can fix: the file is cut off, a table or row is absent.
CANNOT_FIX_RULES = frozenset({"MISSING", "TRUNCATED"})


def flag_group(flag: Issue, by_path: dict[str, Cell]) -> str:
    """What a person can do about a flag: "decide" (its flagged cells need a decision:
    identities, layout, LLM disagreement, placeholders, and any new kind of flag with
    cells), "cannot" (cannot be fixed from this file: cut off, absent tables; acknowledged
    once per report) or "info" (names no flagged cell: nothing to decide, e.g. META)."""
    if flag.rule in CANNOT_FIX_RULES:
        return "cannot"
    flagged = [by_path[p] for p in flag.paths
               if p in by_path and by_path[p].status is CellStatus.FLAGGED]
    if not flagged:
        return "info"
    if all(c.state is CellState.MISSING for c in flagged):
        return "cannot"
    return "decide"


#: The source pane of a report read from a results line without its text (the default
#: results.jsonl.gz lines leave it out; the store keeps it).
NO_TEXT = ("The source text is not included in this results file, so the spans cannot be "
           "shown here: review the run's output folder (its store keeps the text), or "
           "re-export with the text: `extractor export OUT --format jsonl --with-text`.")


def report_data(record: Record) -> dict[str, Any]:
    """What the page needs of one report: every cell of its template (for the table view;
    their reasons as indices into a table of distinct reasons), its flags with the group a
    person acts in, and the text as segments.

    A flag is a dict the page renders by its fields, so a new kind of flag needs no change
    to the page: ``r`` rule, ``k`` key, ``m`` message, ``v`` verdict, ``c`` cell indices,
    ``s`` sections, ``sp`` span, ``g`` group; optional ``links`` (other documents, each
    ``{"sha", "file", "label"}``) and ``image`` (a ``data:image/…`` URI, e.g. a page crop).
    """
    cells = list(iter_cells(record.tables))
    by_path = {c.path: c for c in cells}
    index = {c.path: i for i, c in enumerate(cells)}
    flag_spans = [_issue_span(f, by_path) for f in record.flags]
    reasons_table: dict[str, int] = {}  # a reason is often shared by a whole missing table
    cell_rows = []
    for c in cells:
        _, _, path, _, value, state, status, reasons = describe(record, c)
        row: dict[str, Any] = {"p": path, "v": value, "s": state, "st": status}
        if reasons:
            row["r"] = reasons_table.setdefault(reasons, len(reasons_table))
        if c.span is not None:
            row["sp"] = list(c.span)
        if c.page is not None:
            row["pg"] = c.page
        if c.raw is not None and c.raw != value:
            row["raw"] = c.raw
        if c.unit:
            row["u"] = c.unit
        if c.placement != "direct":
            row["pl"] = c.placement
        if c.correction is not None:
            k = c.correction
            row["k"] = " ".join(x for x in (
                k.decision, "" if k.value is None else str(k.value),
                f"(machine: {'' if k.machine_value is None else k.machine_value} {k.machine_state.value})",
                f"by {k.reviewer}" if k.reviewer else "", k.note or "") if x)
        cell_rows.append(row)
    flags = [{"r": f.rule, "k": f.key, "m": f.message, "v": f.verdict,
              "c": [index[p] for p in f.paths if p in index], "s": sections_of(f.paths),
              "sp": list(span) if span is not None else None, "g": flag_group(f, by_path)}
             for f, span in zip(record.flags, flag_spans, strict=True)]
    return {
        "sha": record.meta.sha256,
        "file": record.meta.source_file,
        "t": record.tables.template,
        "cells": cell_rows,
        "reasons": list(reasons_table),
        "flags": flags,
        "seg": (segments(record.text, [c.span for c in cells], flag_spans) if record.text
                else [NO_TEXT]),
    }


def progress_units(data: dict[str, Any]) -> tuple[list[list[str]], int]:
    """What counts towards "N of M flags decided" for a report: the flagged cell paths of
    each flag to decide (decided when all are), and how many flagged cells the one
    "cannot be fixed from this file" line acknowledges (0: no such line)."""
    cells = data["cells"]
    units, decide, cannot = [], set(), set()
    for f in data["flags"]:
        flagged = [c for c in f["c"] if cells[c]["st"] == CellStatus.FLAGGED.value]
        if f["g"] == "decide" and flagged:
            units.append([cells[c]["p"] for c in flagged])
            decide.update(flagged)
        elif f["g"] == "cannot":
            cannot.update(flagged)
    return units, len(cannot - decide)


def index_entry(record: Record, data: dict[str, Any]) -> dict[str, Any]:
    """A report's line in the report list, with what the filters and the progress need."""
    s = record.summary
    combos = sorted({f"{f['r']} {sec}" for f in data["flags"] for sec in f["s"]})
    units, cannot = progress_units(data)
    return {
        "f": record.meta.source_file,
        "sha": record.meta.sha256,
        "a": "" if record.meta.agency.value is None else str(record.meta.agency.value),
        "y": "" if record.meta.year.value is None else str(record.meta.year.value),
        "t": record.meta.template or "",
        "n": {"cells": s.cells, "numbers": s.numbers, "verified": s.verified,
              "inferred": s.inferred, "grounded": s.grounded, "flagged": s.flagged, "corrected": s.corrected},
        "flags": len(data["flags"]),
        "fc": sum(1 for c in data["cells"] if c["st"] == CellStatus.FLAGGED.value),
        "rs": combos,
        "tr": record.truncated,
        "u": units,
        "cf": cannot,
    }


def grid_layouts() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The table view's frame, from the template data: per template version and section,
    blocks of consecutive rows sharing their columns, as [name, printed label] pairs."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for template, sections in LAYOUTS.items():
        out[template] = {}
        for section, rows in sections.items():
            blocks: list[dict[str, Any]] = []
            for row, cols in rows.items():
                if not blocks or blocks[-1]["k"] != list(cols):
                    blocks.append({"k": list(cols), "cols": [
                        [c, title(f"{section}.{row}.{c}").rsplit("·", 1)[-1]] for c in cols],
                        "rows": []})
                blocks[-1]["rows"].append([row, ROW_TITLES.get(f"{section}.{row}", row)])
            for b in blocks:
                del b["k"]
            out[template][section] = blocks
    return out


@dataclass
class ReviewResult:
    page: Path
    decisions: Path
    reports: int  # reports on the page
    skipped: int  # reports left out because they have no flags (without --all)
    flags: int
    rows: int  # decisions rows (flagged cells)
    #: the decisions file that was there and held work, renamed (never overwritten)
    kept_aside: Path | None = None
    carried: int = 0  # its decisions carried into the new file's rows
    appended: int = 0  # its rows with work on cells no longer to decide, appended as they were


def _open_tmp(path: Path, bom: bool = False) -> IO[str]:
    return open(path.parent / f".{path.name}.tmp", "w", newline="",  # noqa: SIM115
                encoding="utf-8-sig" if bom else "utf-8",
                errors="replace" if bom else "backslashreplace")


def _commit(fh: IO[str], path: Path) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()
    os.replace(path.parent / f".{path.name}.tmp", path)


def write_review(records: Iterable[Record], dest: Path, include_all: bool = False,
                 source: str = "", cross: dict[str, list[dict[str, Any]]] | None = None,
                 source_of: Callable[[str], str | None] | None = None) -> ReviewResult:
    """Write ``dest/index.html`` and ``dest/decisions.csv`` from `records`, streaming (one
    report in memory at a time). Reports without flags are left out unless `include_all`.
    `cross`: cross-document flags by document sha256 (`cross_flags`), shown with the
    report's own flags and linking the other document. `source_of`: a document's input path
    by sha256, for the scan crops of reports read by OCR (`with_crops`).

    Both files are written under temporary names and renamed when complete.
    """
    dest.mkdir(parents=True, exist_ok=True)
    page_path, csv_path = dest / "index.html", dest / "decisions.csv"
    script, style = asset("review.js"), asset("review.css")
    prior = prior_work(csv_path)
    keep = prior.keep  # decided before the rows are taken out of it
    carried = 0
    page, table = _open_tmp(page_path), _open_tmp(csv_path, bom=True)
    try:
        writer = csv.writer(table)
        writer.writerow(COLUMNS)
        page.write(page_head(f"Review · {source}" if source else "Review", script, style))
        entries: list[dict[str, Any]] = []
        shas = hashlib.sha256()
        skipped = flags = rows = 0
        cross = cross or {}
        for record in records:
            xflags = cross.get(record.meta.sha256, [])
            if not record.flags and not xflags and not include_all:
                skipped += 1
                continue
            data = report_data(record)
            with_cross(data, xflags)
            where = source_of(record.meta.sha256) if source_of and record.meta.ocr else None
            if where:
                with_crops(data, record, Path(where))
            page.write(f'<script type="application/json" id="r{len(entries)}">'
                       f"{script_json(data)}</script>\n")
            entries.append(index_entry(record, data))
            found = decision_rows(record)
            for r in found:
                done = prior.rows.pop((r[0], r[2]), None)
                if done is not None:  # the reviewer's decision on this cell, kept
                    r[8:] = [unneutralise(x) for x in done[8:]]
                    carried += 1
                writer.writerow(safe_row(r))
            rows += len(found)
            flags += len(record.flags) + len(xflags)
            shas.update(record.meta.sha256.encode())
        index = {
            # The page keeps decisions in the browser's storage under this key: the run's
            # folder (or results file), so a page regenerated for the same run finds them.
            "id": hashlib.sha256(str(Path(source or dest).resolve()).encode()).hexdigest()[:16],
            "reports_id": shas.hexdigest()[:16],
            "source": source,
            "columns": list(COLUMNS),
            "labels": {p: title(p) for p in ALL_PATHS},
            "words": {p: f"{SECTION_NAMES[p.split('.')[0]]}·{title(p)}" for p in ALL_PATHS},
            "grid": grid_layouts(),
            "sectionTitles": SECTION_TITLES,
            "sections": {k: f"{v} ({k})" for k, v in SECTION_NAMES.items()},
            "reports": entries,
            "skipped": skipped,
            "all": include_all,
        }
        page.write(f'<script type="application/json" id="index">{script_json(index)}</script>\n')
        page.write(f"<script>{script}</script>\n</body>\n</html>\n")
        # Work on cells no longer to decide (imported already, or of another run): kept as it was.
        writer.writerows(prior.rows.values())
    except BaseException:
        for fh, path in ((page, page_path), (table, csv_path)):
            fh.close()
            (path.parent / f".{path.name}.tmp").unlink(missing_ok=True)
        raise
    backup = set_aside(csv_path) if keep else None
    _commit(table, csv_path)
    _commit(page, page_path)
    return ReviewResult(page=page_path, decisions=csv_path, reports=len(entries),
                        skipped=skipped, flags=flags, rows=rows, kept_aside=backup,
                        carried=carried, appended=len(prior.rows))


def review(target: Path, dest: Path | None = None, include_all: bool = False) -> ReviewResult:
    """`extractor review OUT`: the page and decisions file for a run (see `load_records`),
    written to `dest`, by default ``review/`` in the run's folder (beside a results file
    named directly)."""
    try:
        items = read_run(target)
    except RunSourceError as e:
        raise ReviewError(str(e)) from e
    paths: dict[str, str] = {}
    folder = target if target.is_dir() else target.parent
    return write_review(_records(_noting(items, paths)), dest or folder / "review", include_all,
                        source=str(target), cross=cross_flags(folder), source_of=paths.get)


def _noting(items: Iterator[Item], paths: dict[str, str]) -> Iterator[Item]:
    """The items as they come, noting each record's input path by sha256 on the way."""
    for item in items:
        if item.record is not None and item.input_path:
            paths[item.record.meta.sha256] = item.input_path
        yield item


__all__ = ["COLUMNS", "ReviewError", "ReviewResult", "cross_flags", "decision_rows", "flag_group", "grid_layouts",
           "load_records", "prior_work", "report_data", "review", "script_json", "segments",
           "write_review"]
