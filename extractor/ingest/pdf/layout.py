"""A page's characters and ruling edges -> its lines of text: ruled tables as tab rows.

Both backends hand this step the same thing, pdfplumber's object dicts: characters with
`text`, `x0`, `x1`, `top`, `bottom`, `doctop`, `upright`, `size`, and edges (`x0`, `x1`, `top`,
`bottom`, `width`, `height`, `orientation`, `object_type`). Tables are found by pdfplumber's
own table finder and text lines by its own line extraction, so the two backends render
byte-identical text whenever they read identical characters and edges.

Three of pdfplumber's steps (`TableFinder`'s cells, `Table.extract`, `extract_text` of a
cell) are repeated here step for step with less Python work per character; they follow
pdfplumber 0.11.10 (pinned), and tests hold them to pdfplumber's own functions.

Tables with at least two columns are kept; a cell's text broken over lines is joined
("商业企\\n业" -> "商业企业"); a label spanning rows is printed once, in its first row. Text
outside tables is read line by line; page footers ("- 4 -") are dropped. Lines and table
rows are ordered by their vertical position.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from pdfplumber.table import (
    Table,
    TableFinder,
    TableSettings,
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
)
from pdfplumber.utils.clustering import cluster_objects
from pdfplumber.utils.geometry import obj_to_bbox
from pdfplumber.utils.text import (
    DEFAULT_X_TOLERANCE,
    DEFAULT_Y_TOLERANCE,
    LIGATURES,
    WordExtractor,
    chars_to_textmap,
    get_line_cluster_key,
)

from extractor.ingest.footer import is_footer

Obj = dict[str, Any]
Bbox = tuple[float, float, float, float]

_SETTINGS = TableSettings.resolve(None)  # pdfplumber's defaults: ruled ("lines") tables


@dataclass
class PageObjects:
    """What pdfplumber's table finder reads from a page: characters, edges and the box.

    `TableFinder` and `Table.extract` only read these attributes, so this stands in for a
    `pdfplumber.page.Page`.
    """

    chars: list[Obj]
    edges: list[Obj]
    bbox: Bbox

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


Point = tuple[float, float]


def _intersections_to_cells(intersections: dict[Point, dict[str, list[Obj]]]) -> list[Bbox]:
    """pdfplumber's `intersections_to_cells`, the same cells in the same order, faster.

    For each intersection (in sorted order) pdfplumber scans every later point for those
    directly below and directly right, and rebuilds the sets of edges through both points
    for every pair it tests; here the points of each column and row are listed once (sorted
    points of one x, or one y, keep their order) and each point's edge sets are built once.
    """
    points = sorted(intersections)
    if any(x != x or y != y for x, y in points):  # NaN: pdfplumber's comparisons decide
        return intersections_to_cells(intersections)  # type: ignore[arg-type]
    v = {p: {obj_to_bbox(e) for e in d["v"]} for p, d in intersections.items()}
    h = {p: {obj_to_bbox(e) for e in d["h"]} for p, d in intersections.items()}

    def connects(p1: Point, p2: Point) -> bool:
        if p1[0] == p2[0] and not v[p1].isdisjoint(v[p2]):
            return True
        return p1[1] == p2[1] and not h[p1].isdisjoint(h[p2])

    columns: dict[float, list[Point]] = {}
    rows: dict[float, list[Point]] = {}
    later: list[tuple[int, int]] = []  # each point's position in its column and row, + 1
    for p in points:
        col, row = columns.setdefault(p[0], []), rows.setdefault(p[1], [])
        col.append(p)
        row.append(p)
        later.append((len(col), len(row)))
    cells: list[Bbox] = []
    for pt, (below_at, right_at) in zip(points, later, strict=True):
        below = columns[pt[0]][below_at:]
        right = rows[pt[1]][right_at:]
        cell = _smallest_cell(pt, below, right, intersections, connects)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(pt: Point, below: list[Point], right: list[Point],
                   intersections: dict[Point, Any], connects: Any) -> Bbox | None:
    for below_pt in below:
        if not connects(pt, below_pt):
            continue
        for right_pt in right:
            if not connects(pt, right_pt):
                continue
            bottom_right = (right_pt[0], below_pt[1])
            if (bottom_right in intersections and connects(bottom_right, right_pt)
                    and connects(bottom_right, below_pt)):
                return (pt[0], pt[1], bottom_right[0], bottom_right[1])
    return None


class _TableFinder(TableFinder):
    """pdfplumber's `TableFinder` (its 0.11.10 constructor, step for step) with the faster
    `_intersections_to_cells`."""

    def __init__(self, page: PageObjects, settings: TableSettings) -> None:
        self.page = page  # type: ignore[assignment]  # duck-typed page
        self.settings = settings
        self.edges = self.get_edges()
        self.intersections = edges_to_intersections(
            self.edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance
        )
        self.cells = _intersections_to_cells(self.intersections)  # type: ignore[arg-type]
        self.tables = [Table(page, group) for group in cells_to_tables(self.cells)]  # type: ignore[arg-type]


def _cell_text(cell: str | None) -> str:
    if cell is None:
        return ""
    lines = [ln.strip() for ln in cell.split("\n")]
    return "".join(ln for ln in lines if ln).replace("\t", " ")


def _table_lines(rows: list[list[str | None]]) -> list[str]:
    out: list[str] = []
    for row in rows:
        cells = [_cell_text(c) for c in row if c is not None]
        if any(cells):
            out.append("\t".join(cells))
    return out


def _text_lines(chars: list[Obj], page: PageObjects) -> list[Obj]:
    """pdfplumber's `Page.extract_text_lines()` over these characters (its default settings)."""
    if not chars:
        return []
    textmap = chars_to_textmap(
        chars, layout_bbox=page.bbox, layout_width=page.width, layout_height=page.height
    )
    return textmap.extract_text_lines(strip=True, return_chars=False)


_WORDS = WordExtractor()  # pdfplumber's defaults; it keeps no state between calls
_LINE_KEY = get_line_cluster_key(_WORDS.line_dir)


def _cell_chars_text_reference(chars: list[Obj]) -> str:
    """pdfplumber's `extract_text(chars)` (0.11.10, default settings), step for step, with
    the word extractor built once and without the `TextMap` it wraps the string in (which
    gives the string back unchanged for top-to-bottom, left-to-right text)."""
    words = _WORDS.extract_words(chars)
    lines = cluster_objects(words, _LINE_KEY, DEFAULT_Y_TOLERANCE)
    return "\n".join(" ".join(word["text"] for word in line) for line in lines)


def _clusters(objs: list[Any], keys: list[float]) -> list[list[Any]]:
    """pdfplumber's `cluster_objects(objs, key, DEFAULT_Y_TOLERANCE)` given each object's
    key: the distinct keys, sorted, chained while each is within the tolerance of the one
    before; the objects of each cluster in their given order, the clusters in key order."""
    values = sorted(set(keys))
    index: dict[float, int] = {}
    i = 0
    last = values[0]
    for v in values:
        if not v <= last + DEFAULT_Y_TOLERANCE:
            i += 1
        index[v] = i
        last = v
    if i == 0:
        return [objs]
    out: list[list[Any]] = [[] for _ in range(i + 1)]
    for o, k in zip(objs, keys, strict=True):
        out[index[k]].append(o)
    return out


_X0 = itemgetter("x0")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _cell_chars_text(chars: list[Obj]) -> str:
    """`_cell_chars_text_reference` (pdfplumber's `extract_text`), the same string, with
    less Python work per character: the same steps (characters clustered into lines by
    `top`, each line sorted by `x0` and cut into words where a character is blank, empty,
    starts left of the previous one's `x0`, more than 3 pt right of its `x1` or more than
    3 pt above or below its `top`; words clustered into lines by their `top`, the least
    of their characters'), without pdfplumber's word dicts and generators.

    Upright (left-to-right) characters only, with no NaN `top`; anything else is read by
    the reference."""
    if not chars:
        return ""
    tops = [c["top"] for c in chars]
    if any(c["upright"] is not True for c in chars) or any(t != t for t in tops):
        return _cell_chars_text_reference(chars)
    texts: list[str] = []
    word_tops: list[float] = []
    for line in _clusters(chars, tops):
        if len(line) > 1:
            line = sorted(line, key=_X0)
        word: list[str] = []
        top = prev_x0 = prev_x1 = prev_top = 0.0
        for c in line:
            text = c["text"]
            if text.isspace():
                if word:
                    texts.append("".join(word))
                    word_tops.append(top)
                    word = []
                continue
            if text == "":
                # pdfplumber's `text in split_at_punctuation` ("" in ""): a word of its own
                if word:
                    texts.append("".join(word))
                    word_tops.append(top)
                    word = []
                texts.append("")
                word_tops.append(c["top"])
                continue
            x0, ctop = c["x0"], c["top"]
            if word and (x0 < prev_x0 or x0 > prev_x1 + DEFAULT_X_TOLERANCE
                         or abs(ctop - prev_top) > DEFAULT_Y_TOLERANCE):
                texts.append("".join(word))
                word_tops.append(top)
                word = []
            if word:
                if ctop < top:
                    top = ctop
            else:
                top = ctop
            word.append(LIGATURES.get(text, text))
            prev_x0, prev_x1, prev_top = x0, c["x1"], ctop
        if word:
            texts.append("".join(word))
            word_tops.append(top)
    if not texts:
        return ""
    return "\n".join(" ".join(line) for line in _clusters(texts, word_tops))


def _extract(table: Table, page: PageObjects,
             rows: list[Any] | None = None) -> list[list[str | None]]:
    """`table.extract()` (pdfplumber's `Table.extract`, default settings), step for step.

    pdfplumber tests every character of the page against every row, calling a function and
    recomputing the character's centre each time; here each character's centre is computed
    once, and only the characters whose centre is inside the table are tested against the
    rows (one outside the table's box is in none of its rows), with the same comparisons,
    in the same order, so the cells hold the same characters in the same order. A row's
    characters are looked up by their vertical centre (sorted once, bisected per row) and
    put back in page order before the same four comparisons.
    """
    x0, top, x1, bottom = table.bbox
    centres = []
    for c in page.chars:
        h = (c["x0"] + c["x1"]) / 2
        v = (c["top"] + c["bottom"]) / 2
        if h >= x0 and h < x1 and v >= top and v < bottom:
            centres.append((v, len(centres), h, c))
    by_v = sorted(centres, key=_FIRST)
    vs = [hvc[0] for hvc in by_v]
    out: list[list[str | None]] = []
    for row in table.rows if rows is None else rows:
        rx0, rtop, rx1, rbottom = row.bbox
        # the characters with rtop <= v < rbottom (none when a bound is NaN: the
        # comparisons below reject them all, as pdfplumber's do)
        band = by_v[bisect_left(vs, rtop):bisect_left(vs, rbottom)]
        band.sort(key=_SECOND)  # page order
        row_chars = [(h, v, c) for v, _, h, c in band
                     if h >= rx0 and h < rx1 and v >= rtop and v < rbottom]
        arr: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                arr.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            cell_chars = [c for h, v, c in row_chars
                          if h >= cx0 and h < cx1 and v >= ctop and v < cbottom]
            arr.append(_cell_chars_text(cell_chars) if cell_chars else "")
        out.append(arr)
    return out


def page_lines(page: PageObjects) -> list[str]:
    """The page's content in reading order: text lines and table rows, by vertical position."""
    finder = _TableFinder(page, _SETTINGS)
    # `Table.rows` is computed anew at each use: once per table here
    with_rows = [(t, rows) for t in finder.tables
                 if (rows := t.rows) and len(rows[0].cells) >= 2]
    tables = [t for t, _ in with_rows]
    items: list[tuple[float, int, list[str]]] = []
    for t, rows in with_rows:
        items.append((t.bbox[1], 1, _table_lines(_extract(t, page, rows))))
    boxes = [t.bbox for t in tables]

    def outside(obj: Obj) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        for x0, top, x1, bottom in boxes:
            if x0 <= x <= x1 and top <= y <= bottom:
                return False
        return True

    rest = [c for c in page.chars if outside(c)] if boxes else page.chars
    for line in _text_lines(rest, page):
        text = line["text"].strip()
        if text and not is_footer(text):
            items.append((line["top"], 0, [text]))
    items.sort(key=lambda it: (it[0], it[1]))
    return [ln for _, _, lines in items for ln in lines]
