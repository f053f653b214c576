"""Recover table rows from a text dump.

Handles the layouts seen in exported reports:
- tab-separated rows (trailing tabs are padding);
- one cell per line, each line starting with a tab, rows separated by empty lines, a cell's
  text sometimes continued on the next line without a tab ("本年新\\n制作数量"), blank cells
  as lines holding only a tab;
- markdown-like pipe rows with ragged cell counts;
- space-separated rows of numbers;
everything else is a plain line (narrative, headings).
"""

from __future__ import annotations

import re

from extractor.document import Row, TextCell
from extractor.values import read_value

_SPACE_SPLIT = re.compile(r"\S+")
_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.]")


def _cell(text: str, base: int, lo: int, hi: int) -> TextCell:
    """A cell for text[lo:hi] (offsets relative to the line at `base`), stripped."""
    seg = text[lo:hi]
    stripped = seg.strip()
    if not stripped:
        return TextCell("", base + lo, base + lo)
    s = lo + (len(seg) - len(seg.lstrip()))
    return TextCell(stripped, base + s, base + s + len(stripped))


def _split(line: str, base: int, sep: str) -> list[TextCell]:
    cells: list[TextCell] = []
    lo = 0
    for i, ch in enumerate(line):
        if ch == sep:
            cells.append(_cell(line, base, lo, i))
            lo = i + 1
    cells.append(_cell(line, base, lo, len(line)))
    return cells


def _pipe_row(line: str, base: int) -> list[TextCell]:
    cells = _split(line, base, "|")
    if line.lstrip().startswith("|") and cells and not cells[0].text:
        cells = cells[1:]
    if line.rstrip().endswith("|") and cells and not cells[-1].text:
        cells = cells[:-1]
    return cells


def _space_row(line: str, base: int) -> list[TextCell] | None:
    """A line of three or more whitespace-separated values ("0 0 0 1 2")."""
    tokens = list(_SPACE_SPLIT.finditer(line))
    if len(tokens) < 3:
        return None
    if not all(read_value(t.group()) is not None for t in tokens):
        return None
    return [TextCell(t.group(), base + t.start(), base + t.end()) for t in tokens]


def recover_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    block: list[TextCell] = []  # the current one-cell-per-line row
    last_was_cell = False

    def flush() -> None:
        nonlocal block
        if block:
            rows.append(Row(block, "cells", block[0].start, block[-1].end))
            block = []

    pos = 0
    for raw in text.split("\n"):
        base = pos
        pos += len(raw) + 1
        line = raw.rstrip("\r")
        if line.startswith("\t") and "\t" not in line[1:]:
            block.append(_cell(line, base, 1, len(line)))
            last_was_cell = True
            continue
        if not line.strip():
            flush()
            last_was_cell = False
            continue
        if (
            last_was_cell
            and block
            and "\t" not in line
            and "|" not in line
            and len(line.strip()) <= 12
            and not _HEADING.match(line)
        ):
            # A header cell continued on the next line: "本年新" / "制作数量".
            prev = block[-1]
            cont = _cell(line, base, 0, len(line))
            block[-1] = TextCell(prev.text + cont.text, prev.start, cont.end)
            continue
        flush()
        last_was_cell = False
        if "\t" in line:
            cells = _split(line, base, "\t")
            rows.append(Row(cells, "tab", base, base + len(line)))
        elif line.count("|") >= 1 and len(line) < 400:
            rows.append(Row(_pipe_row(line, base), "pipe", base, base + len(line)))
        elif (cells := _space_row(line, base)) is not None:
            rows.append(Row(cells, "space", base, base + len(line)))
        else:
            rows.append(Row([_cell(line, base, 0, len(line))], "line", base, base + len(line)))
    flush()
    return rows
