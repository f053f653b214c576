"""PDFium's numbers and path objects as pdfminer sees them: single-precision numbers rounded
back to the decimal written in the file, page-object matrices, and a page's paths painted
into pdfplumber's lines, rectangles and curves, then its edges (`page_edges`)."""

from __future__ import annotations

import re
import struct
from functools import lru_cache
from typing import Any

import pypdfium2.raw as pdfium_c
from pdfplumber.utils.geometry import curve_to_edges, line_to_edge, rect_to_edges

from extractor.ingest.pdf.cfuncs import lib, pointer
from extractor.ingest.pdf.layout import Obj


class Unsupported(Exception):
    """A document this backend does not render exactly like pdfplumber; use pdfplumber."""


_F32 = struct.Struct("f")


@lru_cache(maxsize=100_000)  # bounded memory over a long batch
def clean(v: float) -> float:
    """The shortest decimal with the same single-precision value as `v` (memoized)."""
    for digits in (7, 8, 9):
        shorter = float(f"{v:.{digits}g}")
        if _F32.unpack(_F32.pack(shorter))[0] == v:
            return shorter
    return v


Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _matrix(obj: Any, fns: Any) -> Matrix:
    m = fns.new("float[6]")
    if not fns.object_matrix(obj, m):
        raise Unsupported("a page object without a matrix")
    return (clean(m[0]), clean(m[1]), clean(m[2]), clean(m[3]), clean(m[4]), clean(m[5]))


def _then(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying `inner`, then `outer` (pdfminer's mult_matrix(inner, outer))."""
    (a1, b1, c1, d1, e1, f1), (a0, b0, c0, d0, e0, f0) = inner, outer
    return (
        a0 * a1 + c0 * b1,
        b0 * a1 + d0 * b1,
        a0 * c1 + c0 * d1,
        b0 * c1 + d0 * d1,
        a0 * e1 + c0 * f1 + e0,
        b0 * e1 + d0 * f1 + f0,
    )


def _path_ops(obj: Any, fns: Any) -> list[tuple[str, Point]]:
    """The path's operators as pdfminer sees them: m, l, c (end point), h (start point)."""
    ops: list[tuple[str, Point]] = []
    xy = fns.new("float[2]")
    x, y = xy, xy + 1
    start: Point = (0.0, 0.0)
    bezier = 0
    get_segment, segment_point, segment_type = fns.get_segment, fns.segment_point, fns.segment_type
    for j in range(fns.count_segments(obj)):
        seg = get_segment(obj, j)
        segment_point(seg, x, y)
        pt = (clean(xy[0]), clean(xy[1]))
        kind = segment_type(seg)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            ops.append(("m", pt))
            start = pt
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            ops.append(("l", pt))
        elif kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier % 3:
                continue  # a control point
            ops.append(("c", pt))
        else:
            raise Unsupported("an unknown path segment")
        if fns.segment_close(seg):
            ops.append(("h", start))
    return ops


def _apply(m: Matrix, pt: Point) -> Point:
    a, b, c, d, e, f = m
    x, y = pt
    return a * x + c * y + e, b * x + d * y + f


def _paint(ops: list[tuple[str, Point]], m: Matrix, out: dict[str, list[Obj]],
           height: float, doctop: float) -> None:
    """pdfminer's `PDFLayoutAnalyzer.paint_path`: lines, rectangles and curves."""
    shape = "".join(op for op, _ in ops)
    if shape[:1] != "m":
        return
    if shape.count("m") > 1:
        for sub in re.finditer(r"m[^m]+", shape):
            _paint(ops[sub.start(0):sub.end(0)], m, out, height, doctop)
        return
    pts = [_apply(m, pt) for _, pt in ops]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in {"mlh", "ml"}:
        out["line"].append(_obj("line", pts[:2], height, doctop))
    elif shape in {"mlllh", "mllll"}:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        closed = pts[0] == pts[4]
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if closed and square:
            out["rect"].append(_obj("rect", [pts[0], pts[2]], height, doctop))
        else:
            out["curve"].append(_obj("curve", pts, height, doctop))
    else:
        out["curve"].append(_obj("curve", pts, height, doctop))


def _obj(kind: str, pts: list[Point], height: float, doctop: float) -> Obj:
    """pdfplumber's dict of a pdfminer line, rectangle or curve through `pts`."""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    top = height - y1
    obj: Obj = {
        "object_type": kind,
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "width": x1 - x0,
        "height": y1 - y0,
        "top": top,
        "bottom": height - y0,
        "doctop": doctop + top,
    }
    if kind == "curve":
        obj["pts"] = [(x, height - y) for x, y in pts]
    return obj


_TEXT, _PATH, _FORM = (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH,
                       pdfium_c.FPDF_PAGEOBJ_FORM)


def _walk(parent: Any, count: Any, get: Any, outer: Matrix, out: dict[str, list[Obj]],
          texts: set[int], height: float, doctop: float, fns: Any) -> None:
    for i in range(count(parent)):
        obj = get(parent, i)
        kind = fns.object_type(obj)
        if kind == _TEXT:
            texts.add(fns.address(obj))
        elif kind == _PATH:
            mode = fns.new("int[2]")  # fill mode, stroke
            fns.draw_mode(obj, mode, mode + 1)
            if mode[0] or mode[1]:
                _paint(_path_ops(obj, fns), _then(_matrix(obj, fns), outer), out, height,
                       doctop)
        elif kind == _FORM:
            _walk(obj, fns.form_count, fns.form_object, _then(_matrix(obj, fns), outer), out,
                  texts, height, doctop, fns)


def page_edges(page: Any, height: float, doctop: float, texts: set[int]) -> list[Obj]:
    """pdfplumber's `Page.edges`: the lines', then the rectangles', then the curves' edges.

    The page's text objects are added to `texts`.
    """
    out: dict[str, list[Obj]] = {"line": [], "rect": [], "curve": []}
    fns = lib()
    _walk(pointer(page), fns.count_objects, fns.get_object, _IDENTITY, out, texts, height,
          doctop, fns)
    edges = [line_to_edge(o) for o in out["line"]]
    for o in out["rect"]:
        edges.extend(rect_to_edges(o))
    for o in out["curve"]:
        edges.extend(curve_to_edges(o))
    return edges
