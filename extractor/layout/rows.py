"""Recover table rows from a text dump.

Handles the layouts seen in exported reports:
- tab-separated rows (trailing tabs are padding);
- one cell per line, each line starting with a tab, rows separated by empty lines, a cell's
  text sometimes continued on the next line without a tab ("本年新\\n制作数量"), blank cells
  as lines holding only a tab;
- markdown-like pipe rows with ragged cell counts;
- space-separated rows of numbers, with or without a label before them (PDF text);
- one cell per line with no marker at all: a short label line followed by lines that each
  hold one value, cells separated by nothing, by empty lines or by lone "|" lines; blank
  cells leave no trace there ("stack" rows: only the template and identities can place
  their values);
- page footers ("— 4 —", "- 4 -", "第 4 页") inside tables are dropped from the rows;
everything else is a plain line (narrative, headings).
"""

from __future__ import annotations

import re

from extractor.ingest.document import Row, TextCell, new_row, text_cell
from extractor.ingest.footer import is_footer
from extractor.layout.glued import MIN_LENGTH as MIN_GLUED_LENGTH
from extractor.layout.glued import looks_glued, split_glued
from extractor.schema import CellState
from extractor.schema.values import may_be_value, read_value

_BLANK = CellState.BLANK  # a module constant: an enum member looked up on its class costs a call
_SPACE_SPLIT = re.compile(r"\S+")
_SPACE = re.compile(r"\s")
_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.]")
#: A label printed before the values on a line of PDF text: short, not a sentence.
_MAX_LABEL = 60
#: Row labels on a line of their own may carry a long explanatory note in brackets.
_MAX_STACKED_LABEL = 160
_SENTENCE = re.compile(r"[。；;！？]")
#: What a page number line (`is_footer`) starts with, after white space: a dash, 第, or a
#: decimal digit (`str.isdecimal`, what the pattern's \d matches).
_FOOTER_STARTS = frozenset("-—–―~第")


def _cell(text: str, base: int, lo: int, hi: int) -> TextCell:
    """A cell for text[lo:hi] (offsets relative to the line at `base`), stripped."""
    seg = text[lo:hi]
    stripped = seg.strip()
    if not stripped:
        return text_cell(("", base + lo, base + lo))
    s = lo + seg.find(stripped[0])  # the first character that is not white space
    return text_cell((stripped, base + s, base + s + len(stripped)))


def _split(line: str, base: int, sep: str) -> list[TextCell]:
    """The cells of a line split at `sep`, each stripped (what `_cell` makes of each part)."""
    cells: list[TextCell] = []
    at = base
    for part in line.split(sep):
        stripped = part.strip()
        if not stripped:
            cells.append(text_cell(("", at, at)))
        else:
            s = at + part.find(stripped[0])
            cells.append(text_cell((stripped, s, s + len(stripped))))
        at += len(part) + 1
    return cells


def _pipe_row(line: str, base: int) -> list[TextCell]:
    cells = _split(line, base, "|")
    if line.lstrip().startswith("|") and cells and not cells[0].text:
        cells = cells[1:]
    if line.rstrip().endswith("|") and cells and not cells[-1].text:
        cells = cells[:-1]
    return cells


def _is_value(text: str) -> bool:
    if not may_be_value(text):
        return False
    r = read_value(text)
    return r is not None and r.state is not _BLANK


def _space_row(line: str, base: int) -> list[TextCell] | None:
    """A line of three or more whitespace-separated values ("0 0 0 1 2"), or a short label
    followed by one or more of them ("规章 1 0 11"), as PDF text extractors write rows (a
    line of one token is neither: a lone value is not a row of three, a lone label has
    none; the caller tests for white space inside the line first)."""
    if not may_be_value(line.rsplit(None, 1)[-1]):
        return None  # the last token is no value (a sentence): no values, no row
    tokens = list(_SPACE_SPLIT.finditer(line))
    n = len(tokens)
    while n > 0 and _is_value(tokens[n - 1].group()):
        n -= 1
    values = [text_cell((t.group(), base + t.start(), base + t.end())) for t in tokens[n:]]
    if n == 0:
        return values if len(values) >= 3 else None
    if not values:
        return None
    label = line[: tokens[n - 1].end()].strip()
    if len("".join(label.split())) > _MAX_LABEL or _SENTENCE.search(label) or _is_value(label):
        return None
    return [_cell(line, base, 0, tokens[n - 1].end()), *values]


def _is_label_line(row: Row) -> bool:
    if row.kind not in ("line", "stack"):
        return False
    text = row.cells[0].text
    return (
        len("".join(text.split())) <= _MAX_STACKED_LABEL
        and not _SENTENCE.search(text)
        and not _is_value(text)
    )


def _bare_values(row: Row | None) -> bool:
    """A row of values with no label: a "space" row whose every cell is a value."""
    return row is not None and row.kind == "space" and all(_is_value(c.text) for c in row.cells)


def _stack(rows: list[Row]) -> list[Row]:
    """Attach lines that hold only values to the short label line above them.

    A converter that split a table's labels off prints them as a block of label lines
    followed by a block of value rows; the last label line then need not belong to the first
    value row ("…1.申请人无正当理由逾期不补正、" above （五）4's values). A label line that follows
    another label line is not attached to a value row followed by another value row: the rows
    stay without a label, for the template order and the identities to place.
    """
    out: list[Row] = []
    for i, row in enumerate(rows):
        if row.kind == "pipe":
            printed = [c for c in row.cells if c.text]
            if not printed:
                continue  # a lone "|" or "||" line between cells: a separator
            if len(printed) == 1 and len(row.cells) <= 2:
                row = new_row((printed, "line", row.start, row.end))
        prev = out[-1] if out else None
        if row.kind == "line" and _is_value(row.cells[0].text):
            if prev is not None and _is_label_line(prev):
                out[-1] = new_row(([*prev.cells, row.cells[0]], "stack", prev.start, row.end))
                continue
            row = new_row((row.cells, "space", row.start, row.end))  # a lone value: a row of one
        elif (
            row.kind == "space"
            and prev is not None
            and prev.kind == "line"
            and _is_label_line(prev)
            and not _is_label_line(new_row((row.cells[:1], "line", row.start, row.end)))
            and not (len(out) > 1 and out[-2].kind == "line" and _is_label_line(out[-2])
                     and _bare_values(row)
                     and _bare_values(rows[i + 1] if i + 1 < len(rows) else None))
        ):
            # A label line the PDF text put above its values.
            out[-1] = new_row(([*prev.cells, *row.cells], "space", prev.start, row.end))
            continue
        out.append(row)
    return out


def _stream_kind(line: str) -> str | None:
    s = line.strip()
    if s and not s.replace("|", "").strip():
        return "pipes"
    if s.endswith("|") and s.count("|") == 1:
        return "cell"
    return None


def _stream_end(lines: list[tuple[str, int]], i: int) -> int:
    """End (exclusive) of a "cell stream" starting at line i, or i if there is none.

    A cell stream is one cell per line, each cell closed by a "|" at its end or by a line of
    only pipes ("|", "||": each pipe closes one more, empty, cell). Such dumps keep empty
    cells, so unlike the "stack" layout their blanks are known.
    """
    if _stream_kind(lines[i][0]) is None:
        return i  # a stream starts with a cell or pipes (a pipe row of cells is no stream)
    j = i
    cells = 0
    while j < len(lines):
        line = lines[j][0]
        kind = _stream_kind(line)
        if kind is None:
            if "|" in line or len(line.strip()) > _MAX_LABEL:
                break
        elif kind == "cell" or kind == "pipes":
            cells += line.count("|")
        j += 1
    # Trailing plain lines belong to what follows, not to the stream.
    while j > i and _stream_kind(lines[j - 1][0]) is None:
        j -= 1
    return j if cells >= 6 else i


def _stream_rows(lines: list[tuple[str, int]]) -> list[Row]:
    """Rows from a cell stream: a label cell starts a row, values and empty cells follow it."""
    cells: list[TextCell] = []
    parts: list[TextCell] = []  # pieces of the cell being read (a label broken over lines)
    for line, base in lines:
        lo = 0
        pieces = line.split("|")
        last = len(pieces) - 1
        for i, seg in enumerate(pieces):  # each piece ends at a "|", the last at the line's end
            k = lo + len(seg)
            stripped = seg.strip()
            if stripped:  # what _cell(line, base, lo, k) makes of it
                s = base + lo + seg.find(stripped[0])
                parts.append(text_cell((stripped, s, s + len(stripped))))
            if i < last:
                if parts:
                    cells.append(text_cell(("".join(p.text for p in parts), parts[0].start,
                                            parts[-1].end)))
                else:
                    cells.append(text_cell(("", base + k, base + k)))
                parts = []
            lo = k + 1
    if parts:
        cells.append(text_cell(("".join(p.text for p in parts), parts[0].start, parts[-1].end)))
    rows: list[Row] = []
    current: list[TextCell] = []
    for c in cells:
        if c.text and not _is_value(c.text) and current:
            rows.append(new_row((current, "pipe", current[0].start, current[-1].end)))
            current = []
        current.append(c)
    if current:
        rows.append(new_row((current, "pipe", current[0].start, current[-1].end)))
    return rows


def recover_rows(text: str) -> list[Row]:  # long: one dispatch over the line kinds, in order
    """The rows of a normalized text: pipe streams, one-cell-per-line blocks (with header
    cells continued on the next line), glued digit runs, tab, pipe and space-aligned rows,
    and plain lines; stacked label rows are joined at the end."""
    rows: list[Row] = []
    block: list[TextCell] = []  # the current one-cell-per-line row
    last_was_cell = False

    def flush() -> None:
        nonlocal block
        if block:
            rows.append(new_row((block, "cells", block[0].start, block[-1].end)))
            block = []

    lines: list[tuple[str, int]] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append((raw.rstrip("\r"), pos))
        pos += len(raw) + 1
    n = len(lines)
    i = 0
    while i < n:
        line, base = lines[i]
        pipe = "|" in line
        if pipe and (end := _stream_end(lines, i)) > i:
            flush()
            last_was_cell = False
            rows.extend(_stream_rows(lines[i:end]))
            i = end
            continue
        i += 1
        tab = line.find("\t")
        if tab == 0 and line.find("\t", 1) < 0:
            block.append(_cell(line, base, 1, len(line)))
            last_was_cell = True
            continue
        stripped = line.strip()
        if not stripped or ((stripped[0] in _FOOTER_STARTS or stripped[0].isdecimal())
                            and is_footer(line)):
            if block:
                flush()
            last_was_cell = False
            continue
        if (
            last_was_cell
            and block
            and tab < 0
            and not pipe
            and len(stripped) <= 12
            and not _HEADING.match(line)
        ):
            # A header cell continued on the next line: "本年新" / "制作数量".
            prev = block[-1]
            cont = _cell(line, base, 0, len(line))
            block[-1] = text_cell((prev.text + cont.text, prev.start, cont.end))
            continue
        if block:
            flush()
        last_was_cell = False
        if tab < 0 and len(line) >= MIN_GLUED_LENGTH and looks_glued(line):
            rows.extend(split_glued(line, base))
        elif tab >= 0:
            rows.append(new_row((_split(line, base, "\t"), "tab", base, base + len(line))))
        elif pipe and len(line) < 400:
            rows.append(new_row((_pipe_row(line, base), "pipe", base, base + len(line))))
        elif _SPACE.search(stripped) and (cells := _space_row(line, base)) is not None:
            rows.append(new_row((cells, "space", base, base + len(line))))
        else:
            at = base + line.find(stripped[0])  # what _cell(line, base, 0, len(line)) makes
            rows.append(new_row(([text_cell((stripped, at, at + len(stripped)))], "line", base,
                             base + len(line))))
    flush()
    return _stack(rows)
