"""One page image into lines of text: ruled tables as rows of cells, the rest as text lines.

Table cells are read cell by cell: the cell's ink (rules removed) is split into its printed
lines, and each line is recognised on its own, so a lone "0" in a wide cell is read (a page
detector misses such small marks) and a cell without ink is blank, never a guess. Text
outside the tables is found by the engine's detector and grouped into lines by position.
Every piece keeps its box and the engine's confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from extractor.ingest.ocr import engine
from extractor.ingest.ocr.grid import Table, binarise, find_tables, rules

#: Connected ink smaller than this many pixels is specks of a scan, not print.
MIN_SPECK = 6
#: Text outside tables is found on the page at this fraction of its size (print is large
#: enough for the detector at half of a 216 dpi rendering, and detection is 4x faster); each
#: line found is recognised from the full-size page.
DETECT_SCALE = 0.5


@dataclass(frozen=True)
class Piece:
    """A cell of a table row, or a whole text line: its text, box in pixels, confidence."""

    text: str
    bbox: tuple[int, int, int, int]
    confidence: float


@dataclass(frozen=True)
class Line:
    top: float
    kind: str  # "row" (a table row: pieces are its cells) or "text" (one piece)
    pieces: list[Piece]


def skew(ink: np.ndarray) -> float:
    """The angle in degrees by which the page's long horizontal rules lean (0 without rules).

    The rules survive a morphological opening with a long thin kernel even a degree or two
    askew; a line fitted through each long one gives its angle, and the median is the page's.
    """
    horiz, _ = rules(ink)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(horiz, connectivity=8)
    w = ink.shape[1]
    angles: list[float] = []
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_WIDTH] < w // 4:
            continue
        x, y, bw, bh, _ = stats[i]
        ys, xs = np.nonzero(labels[y:y + bh, x:x + bw] == i)
        if xs.size < 10 or np.ptp(xs) == 0:
            continue
        slope = np.polyfit(xs.astype(float), ys.astype(float), 1)[0]
        angles.append(float(np.degrees(np.arctan(slope))))
    return float(np.median(angles)) if angles else 0.0


def deskew(rgb: np.ndarray) -> np.ndarray:
    """The page turned upright when its long rules lean by a small angle (a scan fed askew)."""
    angle = skew(binarise(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)))
    if abs(angle) < 0.1 or abs(angle) > 5:
        return rgb
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))


def _clean(ink: np.ndarray) -> np.ndarray:
    """Ink without specks smaller than MIN_SPECK pixels."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < MIN_SPECK)
    small = small[small > 0]
    if small.size == 0:
        return ink
    out = ink.copy()
    out[np.isin(labels, small)] = 0
    return out


def _bands(profile: np.ndarray, min_gap: int = 2) -> list[tuple[int, int]]:
    """Runs of nonzero entries, runs separated by fewer than `min_gap` zeros joined."""
    idx = np.flatnonzero(profile > 0)
    if idx.size == 0:
        return []
    out: list[tuple[int, int]] = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev > min_gap:
            out.append((start, prev + 1))
            start = i
        prev = i
    out.append((start, prev + 1))
    return out


def _lines(bands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Bands of ink joined into lines of print: the strokes of a character such as 三 are
    separate bands, joined while the line is shorter than the tallest band (a character)."""
    if not bands:
        return []
    tallest = max(b1 - b0 for b0, b1 in bands)
    out: list[tuple[int, int]] = []
    for b0, b1 in bands:
        if out:
            a0, a1 = out[-1]
            if a1 - a0 < 0.7 * tallest and b1 - a0 <= 1.1 * tallest:
                out[-1] = (a0, b1)
                continue
        out.append((b0, b1))
    return out


def _cell_crops(rgb: np.ndarray, text_ink: np.ndarray,
                box: tuple[int, int, int, int]) -> list[np.ndarray]:
    """The printed lines of a table cell, top to bottom, each cropped for recognition."""
    x0, y0, x1, y1 = box
    pad = 4
    sub = text_ink[y0 + pad:y1 - pad, x0 + pad:x1 - pad]
    if sub.size == 0:
        return []
    sub = _clean(sub)
    crops: list[np.ndarray] = []
    for b0, b1 in _lines(_bands(sub.sum(axis=1))):
        if b1 - b0 < 4:  # a stray mark, not a line of print
            continue
        cols = np.flatnonzero(sub[b0:b1].sum(axis=0) > 0)
        c0, c1 = int(cols[0]), int(cols[-1]) + 1
        m = max(4, (b1 - b0) // 4)
        ya, yb = max(0, y0 + pad + b0 - m), min(rgb.shape[0], y0 + pad + b1 + m)
        xa, xb = max(0, x0 + pad + c0 - m), min(rgb.shape[1], x0 + pad + c1 + m)
        crop = rgb[ya:yb, xa:xb].copy()
        # Rules that reach into the margin of the crop are painted white.
        crop[(text_ink[ya:yb, xa:xb] == 0) & (crop.min(axis=2) < 128)] = 255
        crops.append(crop)
    return crops


def _table_lines(rgb: np.ndarray, text_ink: np.ndarray, table: Table) -> list[Line]:
    cells = [c for row in table.rows for c in row]
    crops: list[np.ndarray] = []
    owner: list[int] = []
    for k, c in enumerate(cells):
        for crop in _cell_crops(rgb, text_ink, (c.x0, c.y0, c.x1, c.y1)):
            crops.append(crop)
            owner.append(k)
    readings = engine.recognize(crops)
    texts: dict[int, list[engine.Reading]] = {}
    for k, r in zip(owner, readings, strict=True):
        texts.setdefault(k, []).append(r)
    pieces: dict[int, Piece] = {}
    for k, c in enumerate(cells):
        rs = texts.get(k, [])
        text = "".join(r.text.strip() for r in rs).replace("\t", " ")
        conf = min((r.confidence() for r in rs), default=1.0)
        pieces[k] = Piece(text, (c.x0, c.y0, c.x1, c.y1), conf)
    out: list[Line] = []
    k = 0
    for row in table.rows:
        row_pieces = [pieces[k + i] for i in range(len(row))]
        k += len(row)
        if any(p.text for p in row_pieces):
            out.append(Line(float(row[0].y0), "row", row_pieces))
    return out


def _text_lines(boxes: list[engine.Box]) -> list[Line]:
    """Detected text boxes grouped into lines by vertical overlap, left to right."""
    groups: list[list[engine.Box]] = []
    for b in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        for g in groups:
            top = min(x.y0 for x in g)
            bottom = max(x.y1 for x in g)
            overlap = min(bottom, b.y1) - max(top, b.y0)
            if overlap >= 0.5 * min(bottom - top, b.y1 - b.y0):
                g.append(b)
                break
        else:
            groups.append([b])
    out: list[Line] = []
    for g in groups:
        g.sort(key=lambda b: b.x0)
        height = max(b.y1 - b.y0 for b in g)
        text = g[0].reading.text.strip()
        for prev, b in zip(g, g[1:], strict=False):
            gap = b.x0 - prev.x1
            text += (" " if gap > 0.6 * height else "") + b.reading.text.strip()
        bbox = (int(min(b.x0 for b in g)), int(min(b.y0 for b in g)),
                int(max(b.x1 for b in g)), int(max(b.y1 for b in g)))
        conf = min(b.reading.confidence() for b in g)
        out.append(Line(float(bbox[1]), "text", [Piece(text, bbox, conf)]))
    return out


def read_page(rgb: np.ndarray) -> list[Line]:
    """The lines of one page image (RGB), top to bottom."""
    rgb = deskew(rgb)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ink = binarise(gray)
    horiz, vert = rules(ink)
    text_ink = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.bitwise_or(horiz, vert)))
    tables = find_tables(ink)
    lines: list[Line] = []
    rest = rgb
    if tables:
        rest = rgb.copy()
        for t in tables:
            lines += _table_lines(rgb, text_ink, t)
            rest[max(0, t.y0 - 3):t.y1 + 4, max(0, t.x0 - 3):t.x1 + 4] = 255
    lines += _text_lines(engine.detect(rest, DETECT_SCALE))
    lines.sort(key=lambda ln: (ln.top, ln.kind == "row"))
    return lines
