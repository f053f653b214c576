"""Render HTML to text while remembering the source offset of every character.

Built on the standard library's `html.parser`, which reports the source position of every
token; lxml and selectolax build better trees but do not expose the offsets of text nodes,
and provenance has to point into the file as stored.

Tables become one line per `<tr>` with cells separated by tabs, so the text layout reader
sees an ordinary tab-separated table. A `rowspan` label cell is repeated in every row it
spans (so "（三）不予公开" stands beside each of its eight sub-rows); a *value* cell that spans
rows stands in its first row, and each row below it gets the ditto mark `MERGED` ("〃",
mapped to the merged cell's position), so the cell reads as unreadable there, never as a
blank or as a shifted column; cells are otherwise
written once, in order, whatever their `colspan`: publishers' colspans in data rows often
disagree with the header's, and values are placed by template order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.entities import name2codepoint
from html.parser import HTMLParser

from extractor.ingest.html_feed import feed
from extractor.schema.values import MERGED, read_value

_BLOCK = {
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section",
    "article", "header", "footer", "blockquote", "pre", "table", "tbody", "thead", "tfoot",
    "caption", "hr", "dt", "dd", "title",
}
_SKIP = {"script", "style", "noscript", "template", "head"}

#: Rendered text with its source offsets: (a character, its offset), or (a run of characters
#: that are not white space, the offset of its first), the run's characters standing at
#: consecutive offsets (text copied from the page: one entry per run, not per character).
#: A white space character is always an entry of its own.
Chars = list[tuple[str, int]]
#: Tables nested deeper than this are read as plain blocks of text: real pages nest layout
#: tables a few levels deep, and each level copies its content into the one above.
MAX_TABLE_DEPTH = 32
#: Stands for a "<" that opens no tag (no ">" before the next "<"): html.parser rescans the
#: rest of the page for every such "<", which is quadratic; it is printed as "<" again.
_STRAY_LT = "\ue000"
#: A block break inside a table cell: a space in a data cell, a line in a layout cell.
_BREAK = "\x1e"
#: What `_emit` reads a text as: a run of the white space HTML collapses (group 1), a run of
#: characters that are not white space (`str.isspace`), or one other white space character.
_PIECES = re.compile("([ \t\r\n\f]+)|\\S+|\\s")
#: What a cell break is not printed after (`_newline`).
_SPACE_OR_BREAK = " " + _BREAK
#: What a space is not printed after (`_emit`).
_AFTER_SPACE = frozenset((" ", "\n", _BREAK))


@dataclass
class _Cell:
    chars: Chars = field(default_factory=list)
    rowspan: int = 1
    colspan: int = 1
    container: bool = False  # holds a nested table: a layout cell, not a data cell


@dataclass
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)
    row: list[_Cell] | None = None
    cell: _Cell | None = None
    start: int = 0


def _span_attr(attrs: list[tuple[str, str | None]], name: str) -> int:
    for k, v in attrs:
        if k == name and v:
            try:
                return max(1, min(int(v.strip().rstrip(";")), 1000))
            except ValueError:
                return 1
    return 1


class _Renderer(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.at = 0  # the source offset of what the parser reads (see `updatepos`)
        self.out: Chars = []
        self.tables: list[_Table] = []
        self.skip = 0
        self.flat = 0  # open tables nested beyond MAX_TABLE_DEPTH (read as text blocks)

    # -- positions ---------------------------------------------------------------------
    def updatepos(self, i: int, j: int) -> int:
        """The parser consumed rawdata[i:j]: advance the source offset. The parser calls
        this for every piece it consumes, in order, each starting where the last ended, and
        a callback runs before its piece is consumed, so `at` is where the piece starts.
        (The parser's own line and column count the newlines of the text it is fed, in
        which noise attributes are blanked, newlines included: they could not be mapped
        back to the source.)"""
        if i < j:
            self.at += j - i
        return j

    # `at` is read directly by the callbacks below (a method call per token costs ~5% of
    # a page).

    # -- output ------------------------------------------------------------------------
    def _sink(self) -> Chars:
        if self.tables and self.tables[-1].cell is not None:
            return self.tables[-1].cell.chars
        return self.out

    def _emit(self, text: str, pos: int) -> None:
        """Append `text` from source offset `pos`; a run of whitespace becomes one space at
        its first character, none after a space, a line break or a cell break."""
        sink = self._sink()
        for m in _PIECES.finditer(text):
            if m.group(1) is None:
                sink.append((m.group(), pos + m.start()))
            elif not (sink and sink[-1][0] in _AFTER_SPACE):
                sink.append((" ", pos + m.start()))

    def _newline(self, pos: int) -> None:
        tables = self.tables
        if tables and (cell := tables[-1].cell) is not None:  # the sink is the cell's
            sink = cell.chars
            if sink and sink[-1][0] not in _SPACE_OR_BREAK:
                sink.append((_BREAK, pos))  # a space in a data cell, a line in a layout cell
            return
        sink = self.out
        while sink and sink[-1][0] == " ":
            sink.pop()
        if sink and sink[-1][0] != "\n":
            sink.append(("\n", pos))

    # -- parser callbacks --------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        pos = self.at
        if self.flat or (tag == "table" and len(self.tables) >= MAX_TABLE_DEPTH):
            if tag in ("table", "tr", "td", "th") or tag in _BLOCK:
                self.flat += tag == "table"
                self._newline(pos)
            return
        if tag == "table":
            self._newline(pos)
            if self.tables and self.tables[-1].cell is not None:
                self.tables[-1].cell.container = True
            self.tables.append(_Table(start=pos))
        elif tag == "tr" and self.tables:
            t = self.tables[-1]
            self._close_row(t, pos)
            t.row = []
        elif tag in ("td", "th") and self.tables:
            t = self.tables[-1]
            if t.row is None:
                t.row = []
            self._close_cell(t)
            t.cell = _Cell(rowspan=_span_attr(attrs, "rowspan"), colspan=_span_attr(attrs, "colspan"))
        elif tag in _BLOCK:
            self._newline(pos)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK and not self.skip:
            self._newline(self.at)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        pos = self.at
        if self.flat:
            self.flat -= tag == "table"
            if tag in ("table", "tr", "td", "th") or tag in _BLOCK:
                self._newline(pos)
            return
        if tag == "table" and self.tables:
            t = self.tables.pop()
            self._close_row(t, pos)
            self._render_table(t, pos)
        elif tag == "tr" and self.tables:
            self._close_row(self.tables[-1], pos)
        elif tag in ("td", "th") and self.tables:
            self._close_cell(self.tables[-1])
        elif tag in _BLOCK:
            self._newline(pos)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self._emit(data, self.at)

    def handle_entityref(self, name: str) -> None:
        if self.skip:
            return
        cp = name2codepoint.get(name)
        if cp is None:  # unknown entity: keep it as printed
            self._emit(f"&{name};", self.at)
        else:  # kept as one character even if it is a space (&nbsp; marks a blank cell)
            self._sink().append((chr(cp), self.at))

    def handle_charref(self, name: str) -> None:
        if self.skip:
            return
        try:
            cp = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            self._sink().append((chr(cp), self.at))
        except (ValueError, OverflowError):
            pass

    # -- tables ------------------------------------------------------------------------
    def _close_cell(self, t: _Table) -> None:
        if t.cell is not None and t.row is not None:
            t.row.append(t.cell)
        t.cell = None

    def _close_row(self, t: _Table, pos: int) -> None:
        self._close_cell(t)
        if t.row is not None:
            t.rows.append(t.row)
        t.row = None

    def _render_table(self, t: _Table, pos: int) -> None:
        pending: dict[int, tuple[int, _Cell]] = {}  # column -> (rows left, label cell)
        sink = self._sink()
        for row in t.rows:
            placed: list[tuple[int, Chars]] = []
            col = 0
            carried = dict(pending)
            pending = {}
            for c, (left, cell) in carried.items():
                placed.append((c, _carried(cell)))
                if left > 1:
                    pending[c] = (left - 1, cell)
            for cell in row:
                while col in carried:
                    col += carried[col][1].colspan
                placed.append((col, cell.chars))
                text = "".join(ch for ch, _ in cell.chars).strip()
                if cell.rowspan > 1 and text:
                    pending[col] = (cell.rowspan - 1, cell)
                col += cell.colspan
            placed.sort(key=lambda p: p[0])
            if sink and sink[-1][0] not in "\n" + _BREAK:
                sink.append(("\n", pos))
            if any(cell.container for cell in row):
                # A layout table around the content (CMS pages, Word exports): its cells'
                # text and nested tables are lines, not one row of cells.
                for _, chars in placed:
                    sink.extend((("\n" if ch == _BREAK else ch), p) for ch, p in chars)
                    sink.append(("\n", pos))
                continue
            for i, (_, chars) in enumerate(placed):
                cell_chars = _strip(chars)
                if i:
                    sink.append(("\t", cell_chars[0][1] if cell_chars else pos))
                sink.extend(cell_chars)
            sink.append(("\n", pos))


def _carried(cell: _Cell) -> Chars:
    """What a cell spanning rows prints in a row below its first: a label again, a value's
    ditto mark (at the value's position in the source)."""
    text = "".join(ch for ch, _ in cell.chars).strip()
    if read_value(text) is None:
        return list(cell.chars)
    at = next((p for ch, p in cell.chars if not ch.isspace()), cell.chars[0][1])
    return [(MERGED, at)]


def _strip(chars: Chars) -> Chars:
    lo, hi = 0, len(chars)
    while lo < hi and (chars[lo][0].isspace() or chars[lo][0] == _BREAK):
        lo += 1
    while hi > lo and (chars[hi - 1][0].isspace() or chars[hi - 1][0] == _BREAK):
        hi -= 1
    return [(("\u00a0" if ch in "\t\n" else " " if ch == _BREAK else ch), p) for ch, p in chars[lo:hi]]


#: Presentational attributes, blanked out (same length, so offsets hold) before parsing:
#: Word exports carry one on every cell and they dominate the parser's time.
_NOISE_ATTR = re.compile(
    r"""\s(?:style|class|width|height|align|valign|nowrap|border|cellspacing|cellpadding|lang|"""
    r"""face|size|color|bgcolor|id|name|x:[\w-]+|mso-[\w-]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""",
    re.IGNORECASE,
)


#: A start tag with white space in it: only such a tag can hold an attribute (one without
#: is left as it is, and is not even matched).
_TAG = re.compile(r"<[a-zA-Z][^<>\s]*\s[^<>]*>")


def _blank(m: re.Match[str]) -> str:
    return " " * (m.end() - m.start())


def _quiet(tag: re.Match[str]) -> str:
    """The tag with its presentational attributes blanked out."""
    return _quieted(tag.group())


@lru_cache(maxsize=4096)
def _quieted(tag: str) -> str:
    # Pages repeat a few tags hundreds of times (a Word export's <td width=… style=…>).
    return _NOISE_ATTR.sub(_blank, tag)


def _mark_stray_lt(source: str) -> str:
    """`source` with every "<" that cannot open a tag or a comment (the next "<" comes before
    any ">", or no ">" follows) replaced by `_STRAY_LT`, in one pass (same length)."""
    stray: list[int] = []
    n = len(source)
    gt = -2  # the next ">" at or after the current position (-1: none left)
    i = source.find("<")
    while i >= 0:
        nxt = source.find("<", i + 1)
        if source.startswith("<!--", i):
            end = source.find("-->", i + 4)
            if end >= 0:
                i = source.find("<", end + 3)
                continue
        if gt != -1 and gt <= i:
            gt = source.find(">", i + 1)
        if gt == -1:  # no ">" in the rest of the page: every "<" from here is text
            stray.extend(j for j in range(i, n) if source[j] == "<")
            break
        if 0 <= nxt < gt:
            stray.append(i)
        i = nxt
    if not stray:
        return source
    chars = list(source)
    for j in stray:
        chars[j] = _STRAY_LT
    return "".join(chars)


def render_html(source: str) -> tuple[str, list[int]]:
    """Text of an HTML document, tables as tab-separated rows, and each char's source offset."""
    r = _Renderer(source)
    cleaned = _mark_stray_lt(source)
    feed(r, _TAG.sub(_quiet, cleaned))
    r.close()
    while r.tables:  # unclosed tables in a truncated page
        t = r.tables.pop()
        r._close_row(t, len(source))
        r._render_table(t, len(source))
    if not r.out:
        return "", []
    offsets: list[int] = []
    for piece, at in r.out:
        if len(piece) == 1:
            offsets.append(at)
        else:  # a run: its characters stand at consecutive offsets
            offsets.extend(range(at, at + len(piece)))
    text = "".join([piece for piece, _ in r.out]).replace(_BREAK, "\n").replace(_STRAY_LT, "<")
    return text, offsets


def looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return any(tag in head for tag in ("<html", "<body", "<p", "<table", "<div", "<!doctype"))


def declared_charset(raw: bytes) -> str | None:
    head = raw[:4096].decode("ascii", errors="ignore").lower()
    i = head.find("charset=")
    if i < 0:
        return None
    j = i + len("charset=")
    name = head[j:j + 20].strip("\"' ").split('"')[0].split("'")[0].split(";")[0].split(">")[0]
    return name.strip() or None

