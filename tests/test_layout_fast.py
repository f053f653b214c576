"""The layout's hand-made loops (issue 17) against the per-character code they replace:
the same rows, cells and spans on every golden input and on generated lines."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.ingest.document import Row, TextCell
from extractor.ingest.reader import load
from extractor.layout.rows import _cell, _is_value, _stream_end, _stream_rows

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

