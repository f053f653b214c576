"""Ruled tables on a page image: the grid of lines, and its cells with merged cells joined.

A scanned report prints its tables with rules. Horizontal and vertical rules are found by
morphological opening of the binarised page (a long thin kernel keeps only lines); each
table is a connected set of rules; its grid rows and columns are where a rule segment runs.
Two neighbouring grid cells are one merged cell when no rule separates them. The result is
what pdfplumber gives for a PDF's ruled table: rows of cells, a merged cell once, at its
top-left grid cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(frozen=True)
class Table:
    x0: int
    y0: int
    x1: int
    y1: int
    rows: list[list[GridCell]]  # grid row by grid row: the cells whose top edge is that row


def binarise(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0: a pixel clearly darker than its neighbourhood (an adaptive threshold
    keeps the thin grey strokes of anti-aliased print, such as 一, that a global threshold
    drops, and copes with a scan's uneven background and shaded header cells)."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 35, 25)


def rules(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The horizontal and the vertical rules of a binarised page."""
    h, w = ink.shape
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 30), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(15, h // 60)))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, hk)
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, vk)
    # Close one-pixel breaks of a scanned rule.
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    # A long stroke of a large character survives the opening too, but on its own: rules
    # are joined into a table's frame, long in one direction at least.
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_or(horiz, vert), connectivity=8)
    long = (stats[:, cv2.CC_STAT_WIDTH] >= w // 8) | (stats[:, cv2.CC_STAT_HEIGHT] >= h // 8)
    long[0] = False
    frame = long[labels]
    horiz[~frame] = 0
    vert[~frame] = 0
    return horiz, vert


def _positions(profile: np.ndarray, min_run: int) -> list[int]:
    """Centres of the runs of indices where `profile` reaches `min_run`."""
    on = profile >= min_run
    out: list[int] = []
    i, n = 0, len(on)
    while i < n:
        if on[i]:
            j = i
            while j < n and on[j]:
                j += 1
            out.append((i + j - 1) // 2)
            i = j
        else:
            i += 1
    return out


def _longest_run(line: np.ndarray) -> int:
    """Length of the longest run of nonzero values of a 1-D array."""
    if not line.any():
        return 0
    padded = np.concatenate(([0], (line > 0).astype(np.int8), [0]))
    d = np.diff(padded)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return int((ends - starts).max())


def find_tables(ink: np.ndarray) -> list[Table]:
    """The ruled tables of a binarised page, top to bottom."""
    horiz, vert = rules(ink)
    grid = cv2.bitwise_or(horiz, vert)
    n, _, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    tables: list[Table] = []
    h, w = ink.shape
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if bw < w // 5 or bh < 20:
            continue
        t = _table(horiz[y:y + bh, x:x + bw], vert[y:y + bh, x:x + bw], x, y)
        if t is not None:
            tables.append(t)
    tables.sort(key=lambda t: t.y0)
    return tables


def _table(horiz: np.ndarray, vert: np.ndarray, ox: int, oy: int) -> Table | None:
    th, tw = horiz.shape
    row_runs = np.array([_longest_run(horiz[y]) for y in range(th)])
    col_runs = np.array([_longest_run(vert[:, x]) for x in range(tw)])
    ys = _positions(row_runs, max(20, tw // 25))
    xs = _positions(col_runs, max(12, th // 60))
    if len(ys) < 2 or len(xs) < 2:
        return None
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    pad = 3
    for r in range(nr):
        y0, y1 = ys[r] + pad, ys[r + 1] - pad
        for c in range(nc - 1):
            x = xs[c + 1]
            seg = vert[max(0, y0):max(y0 + 1, y1), max(0, x - 2):x + 3]
            if y1 <= y0 or float((seg.max(axis=1) > 0).mean()) < 0.5:
                union(r * nc + c, r * nc + c + 1)
    for c in range(nc):
        x0, x1 = xs[c] + pad, xs[c + 1] - pad
        for r in range(nr - 1):
            y = ys[r + 1]
            seg = horiz[max(0, y - 2):y + 3, max(0, x0):max(x0 + 1, x1)]
            if x1 <= x0 or float((seg.max(axis=0) > 0).mean()) < 0.5:
                union(r * nc + c, (r + 1) * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    rows: list[list[GridCell]] = [[] for _ in range(nr)]
    for members in groups.values():
        r0 = min(r for r, _ in members)
        r1 = max(r for r, _ in members)
        c0 = min(c for _, c in members)
        c1 = max(c for _, c in members)
        rows[r0].append(GridCell(r0, c0, ox + xs[c0], oy + ys[r0], ox + xs[c1 + 1], oy + ys[r1 + 1]))
    for row in rows:
        row.sort(key=lambda g: g.col)
    return Table(ox + xs[0], oy + ys[0], ox + xs[-1], oy + ys[-1], rows)
