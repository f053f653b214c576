"""The layout's hand-made loops (issue 17) against the per-character code they replace:
the same rows, cells and spans on every golden input and on generated lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import extractor.layout.rows as layout_rows
from extractor.ingest.document import Row, TextCell, new_row
from extractor.ingest.reader import load
from extractor.layout.rows import (
    _MAX_LABEL,
    _bare_values,
    _cell,
    _is_label_line,
    _is_value,
    _stack,
    _stream_end,
    _stream_kind,
    _stream_rows,
)

ROOT = Path(__file__).resolve().parent.parent


def reference_stream_rows(lines: list[tuple[str, int]]) -> list[Row]:
    """`_stream_rows` as it was written first: every character of every line visited."""
    cells: list[TextCell] = []
    parts: list[TextCell] = []
    for line, base in lines:
        lo = 0
        for k, ch in enumerate(line + "\n"):
            if ch not in "|\n":
                continue
            piece = _cell(line, base, lo, k)
            if piece.text:
                parts.append(piece)
            if ch == "|":
                if parts:
                    cells.append(TextCell("".join(p.text for p in parts), parts[0].start,
                                          parts[-1].end))
                else:
                    cells.append(TextCell("", base + k, base + k))
                parts = []
            lo = k + 1
    if parts:
        cells.append(TextCell("".join(p.text for p in parts), parts[0].start, parts[-1].end))
    rows: list[Row] = []
    current: list[TextCell] = []
    for c in cells:
        if c.text and not _is_value(c.text) and current:
            rows.append(Row(current, "pipe", current[0].start, current[-1].end))
            current = []
        current.append(c)
    if current:
        rows.append(Row(current, "pipe", current[0].start, current[-1].end))
    return rows


def _lines(text: str) -> list[tuple[str, int]]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append((raw.rstrip("\r"), pos))
        pos += len(raw) + 1
    return out


def test_cell_streams_of_the_golden_inputs() -> None:
    streams = 0
    for p in sorted((ROOT / "golden" / "inputs").iterdir()):
        if p.suffix == ".pdf":
            continue
        lines = _lines(load(p).text)
        for i in range(len(lines)):
            end = _stream_end(lines, i)
            if end > i:
                streams += 1
                assert _stream_rows(lines[i:end]) == reference_stream_rows(lines[i:end])
    assert streams  # the golden inputs print tables as cell streams


_PIECE = st.sampled_from(["|", "||", " ", "\t", "　", "1", "23", "0", "—", "予以公开", "（一）", "x"])


@settings(max_examples=800, deadline=None)
@given(st.lists(st.lists(_PIECE, max_size=8).map("".join), max_size=8),
       st.integers(min_value=0, max_value=50))
def test_generated_cell_streams(lines: list[str], base: int) -> None:
    numbered, pos = [], base
    for line in lines:
        numbered.append((line, pos))
        pos += len(line) + 1
    assert _stream_rows(numbered) == reference_stream_rows(numbered)



def reference_stream_end(lines: list[tuple[str, int]], i: int) -> int:
    """`_stream_end` as it was first written: the lines scanned whatever line i is."""
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
    while j > i and _stream_kind(lines[j - 1][0]) is None:
        j -= 1
    return j if cells >= 6 and _stream_kind(lines[i][0]) is not None else i


def reference_stack(rows: list[Row]) -> list[Row]:
    """`_stack` as it was first written: a pipe row's printed cells counted twice."""
    out: list[Row] = []
    for i, row in enumerate(rows):
        if row.kind == "pipe" and not any(c.text for c in row.cells):
            continue
        if row.kind == "pipe" and sum(1 for c in row.cells if c.text) == 1 and len(row.cells) <= 2:
            row = new_row(([next(c for c in row.cells if c.text)], "line", row.start, row.end))
        prev = out[-1] if out else None
        if row.kind == "line" and _is_value(row.cells[0].text):
            if prev is not None and _is_label_line(prev):
                out[-1] = new_row(([*prev.cells, row.cells[0]], "stack", prev.start, row.end))
                continue
            row = new_row((row.cells, "space", row.start, row.end))
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
            out[-1] = new_row(([*prev.cells, *row.cells], "space", prev.start, row.end))
            continue
        out.append(row)
    return out


def _unstacked(text: str) -> list[Row]:
    """The rows `recover_rows` makes of `text` before `_stack` joins them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout_rows, "_stack", lambda rows: rows)
        return layout_rows.recover_rows(text)


def _texts() -> list[str]:
    return [load(p).text for p in sorted((ROOT / "golden" / "inputs").iterdir())
            if p.suffix != ".pdf"]


def test_stream_ends_and_stacked_rows_of_the_golden_inputs_are_the_reference_ones() -> None:
    for text in _texts():
        lines = _lines(text)
        assert [_stream_end(lines, i) for i in range(len(lines))] == [
            reference_stream_end(lines, i) for i in range(len(lines))]
        rows = _unstacked(text)
        assert _stack(rows) == reference_stack(rows)


_LINE_PIECE = st.sampled_from(["|", "||", " | ", "\t", " ", "1", "23", "0", "—", "予以公开", "（一）",
                               "规章", "本年度，", "。", "x"])


@settings(max_examples=600, deadline=None)
@given(st.lists(st.lists(_LINE_PIECE, max_size=6).map("".join), max_size=12).map("\n".join))
def test_generated_stream_ends_and_stacked_rows_are_the_reference_ones(text: str) -> None:
    lines = _lines(text)
    assert [_stream_end(lines, i) for i in range(len(lines))] == [
        reference_stream_end(lines, i) for i in range(len(lines))]
    rows = _unstacked(text)
    assert _stack(rows) == reference_stack(rows)
