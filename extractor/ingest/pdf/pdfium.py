"""The fast backend: PDFium (pypdfium2) reads characters and ruling lines.

PDFium parses a page in C; this module turns its characters and path objects into the
dicts pdfplumber would have built from pdfminer's layout objects, so that pdfplumber's own
table finder and line extraction (`layout.page_lines`) read them. The boxes follow
pdfminer's definitions, not PDFium's:

- a character's box spans its advance horizontally (origin to origin + advance) and, from
  `descent` below the baseline, exactly one font size vertically (font size x the text
  matrix), whatever the glyph's ink or the font's ascent;
- a path is cut into subpaths at each move; a subpath of one segment is a line, a closed
  axis-aligned four-sided one a rectangle, anything else a curve through its segments' end
  points (pdfplumber's edges of each).

PDFium works in single precision; every number read from it is rounded back to the
shortest decimal that has the same single-precision value (the number as written in the
file, for coordinates written with up to 7 significant digits) before pdfminer's double
arithmetic is repeated on it.

Whatever this module does not reproduce exactly raises `Unsupported`, and the document is
rendered by the pdfplumber backend instead: a file PDFium cannot open (pdfplumber then
reads it or says why not), rotated pages, pages whose media box does not start at the
origin, rotated or skewed text, text in marked content with /ActualText (PDFium reads the
replacement text, pdfminer the glyphs), characters without a Unicode mapping or outside
the Basic Multilingual Plane, and fonts `fonts.font_infos` cannot account for (Type 3,
vertical writing, a standard font with its own widths).
"""

from __future__ import annotations

import ctypes
import re
import struct
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.utils.geometry import curve_to_edges, line_to_edge, rect_to_edges

from extractor.ingest.pdf import miner
from extractor.ingest.pdf.errors import check_page_count, encrypted
from extractor.ingest.pdf.fonts import UNSUPPORTED, FontInfo, font_infos, font_key
from extractor.ingest.pdf.layout import Obj, PageObjects, page_lines


class Unsupported(Exception):
    """A document this backend does not render exactly like pdfplumber; use pdfplumber."""


_F32 = struct.Struct("f")


_CLEAN: dict[float, float] = {}


def _clean(v: float) -> float:
    """The shortest decimal with the same single-precision value as `v` (memoized)."""
    d = _CLEAN.get(v)
    if d is not None:
        return d
    d = v
    for digits in (7, 8, 9):
        shorter = float(f"{v:.{digits}g}")
        if _F32.unpack(_F32.pack(shorter))[0] == v:
            d = shorter
            break
    if len(_CLEAN) > 100_000:
        _CLEAN.clear()  # bounded memory over a long batch
    _CLEAN[v] = d
    return d


def open_document(raw: bytes) -> pdfium.PdfDocument:
    """Open `raw`; a password is a clear error, any other failure is `Unsupported`.

    A file PDFium cannot open goes to pdfplumber, which either reads it or says why not.
    """
    try:
        return pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as e:
        if e.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise encrypted() from e
        raise Unsupported(f"PDFium cannot open the file: {e}") from e


def fonts_of(raw: bytes) -> dict[bytes, FontInfo | None]:
    """The document's fonts as pdfminer reads them (`fonts.font_infos`)."""
    try:
        return font_infos(raw)
    except Exception as e:  # noqa: BLE001 - pdfminer raises many kinds on broken files
        raise Unsupported(f"pdfminer cannot read the fonts: {type(e).__name__}: {e}") from e
    finally:
        miner.forget(raw)  # the text budget check's pages are not needed any more


def _c(fn: Any, restype: Any, *argtypes: Any) -> Any:
    """The PDFium function `fn` (a pypdfium2 raw binding) with handles as plain integers.

    The per-character loop calls PDFium several times per character; integers are cheaper
    to return and compare than pypdfium2's typed pointer objects.
    """
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)


_P, _I = ctypes.c_void_p, ctypes.c_int
_text_object = _c(pdfium_c.FPDFText_GetTextObject, _P, _P, _I)
_map_error = _c(pdfium_c.FPDFText_HasUnicodeMapError, _I, _P, _I)
_unicode = _c(pdfium_c.FPDFText_GetUnicode, ctypes.c_uint, _P, _I)
_char_origin = _c(pdfium_c.FPDFText_GetCharOrigin, _I, _P, _I, _P, _P)
_char_matrix = _c(pdfium_c.FPDFText_GetMatrix, _I, _P, _I, _P)
_font_size = _c(pdfium_c.FPDFText_GetFontSize, ctypes.c_double, _P, _I)
_count_marks = _c(pdfium_c.FPDFPageObj_CountMarks, _I, _P)
_get_mark = _c(pdfium_c.FPDFPageObj_GetMark, _P, _P, ctypes.c_ulong)
_param_type = _c(pdfium_c.FPDFPageObjMark_GetParamValueType, _I, _P, ctypes.c_char_p)
_text_font = _c(pdfium_c.FPDFTextObj_GetFont, _P, _P)
_font_name = _c(pdfium_c.FPDFFont_GetBaseFontName, ctypes.c_ulong, _P, _P, ctypes.c_ulong)
_glyph_width = _c(pdfium_c.FPDFFont_GetGlyphWidth, _I, _P, ctypes.c_uint, ctypes.c_float, _P)
_PTR = ctypes.sizeof(ctypes.c_void_p)


def _key(handle: int) -> bytes:
    """The handle as `bytes(pointer)` of pypdfium2's pointer to it gives it (`_walk`'s key)."""
    return handle.to_bytes(_PTR, sys.byteorder)


class _Font:
    """A font: pdfminer's descent (per unit of font size), `accepts`, and its advances."""

    __slots__ = ("handle", "descent", "accepts", "widths")

    def __init__(self, handle: int, infos: dict[bytes, FontInfo | None]) -> None:
        self.handle = handle
        n = _font_name(handle, None, 0)
        name = ctypes.create_string_buffer(n)
        _font_name(handle, ctypes.addressof(name), n)
        info = infos.get(font_key(name.value), UNSUPPORTED)
        if info is None:
            raise Unsupported(f"the font {name.value!r}")
        self.descent = info.descent * 0.001
        self.accepts = info.accepts
        #: character -> pdfminer's width (1/1000 text space units), read at the font size
        #: of the first text object showing it
        self.widths: dict[int, float] = {}


class _Style:
    """What the characters of text objects with one font, size and matrix share."""

    __slots__ = ("a", "d", "size", "c_size", "font", "descent", "upright")

    def __init__(self, m: Any, size: float, font: _Font) -> None:
        if m.b != 0 or m.c != 0:
            raise Unsupported("rotated or skewed text")
        self.a, self.d = _clean(m.a), _clean(m.d)
        self.size = _clean(size)
        if not self.size:
            raise Unsupported("a text object without a font or size")
        self.font = font
        self.c_size = ctypes.c_float(self.size)
        self.descent = font.descent * self.size
        self.upright = self.a * self.d > 0


def _has_actual_text(obj: int) -> bool:
    """Whether the page object is in marked content with /ActualText."""
    for i in range(_count_marks(obj)):
        if _param_type(_get_mark(obj, i), b"ActualText") != pdfium_c.FPDF_OBJECT_UNKNOWN:
            return True
    return False


def _chars(textpage: Any, height: float, doctop: float,
           infos: dict[bytes, FontInfo | None], read: set[bytes]) -> list[Obj]:
    """The page's characters; the text objects they come from are added to `read`."""
    tp = ctypes.cast(textpage, ctypes.c_void_p).value
    chars: list[Obj] = []
    append = chars.append
    fonts: dict[int, _Font] = {}
    styles: dict[tuple[Any, ...], _Style] = {}
    objects: dict[int, _Style] = {}  # text object -> the style of its first character
    m = pdfium_c.FS_MATRIX()
    p_m = ctypes.addressof(m)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    p_ox, p_oy = ctypes.addressof(ox), ctypes.addressof(oy)
    w = ctypes.c_float()
    p_w = ctypes.addressof(w)
    text_object, map_error, unicode, char_origin, clean = (
        _text_object, _map_error, _unicode, _char_origin, _clean)
    last: int | None = None
    t: _Style | None = None
    origin: tuple[int | None, float, float] = (None, 0.0, 0.0)
    for i in range(pdfium_c.FPDFText_CountChars(textpage)):
        obj = text_object(tp, i)
        if not obj:
            continue  # a space or line break PDFium inferred: not in the file
        if map_error(tp, i):
            raise Unsupported("a character without a Unicode mapping")
        u = unicode(tp, i)
        if u < 0x20 or 0xD800 <= u <= 0xDFFF:
            # a control character (PDFium marks a hyphen ending a line as U+0002) or half
            # of a character outside the Basic Multilingual Plane
            raise Unsupported(f"the character U+{u:04X}")
        if obj != last or t is None:
            t = objects.get(obj)
            if t is None:
                # the text object's first character: its font, size and matrix
                _char_matrix(tp, i, p_m)
                size = _font_size(tp, i)
                if _has_actual_text(obj):
                    raise Unsupported("marked content with /ActualText (PDFium reads that text)")
                handle = _text_font(obj)
                if not handle:
                    raise Unsupported("a text object without a font or size")
                key = (handle, m.a, m.b, m.c, m.d, size)
                t = styles.get(key)
                if t is None:
                    font = fonts.get(handle)
                    if font is None:
                        font = fonts[handle] = _Font(handle, infos)
                    t = styles[key] = _Style(m, size, font)
                objects[obj] = t
                read.add(_key(obj))
            last = obj
        font = t.font
        accepts = font.accepts
        if accepts is not None and not accepts(u):
            raise Unsupported(f"the character U+{u:04X}, which pdfminer reads otherwise")
        a, d, size = t.a, t.d, t.size
        # The advance as pdfminer computes it: the font's width (1/1000 text space units,
        # from the file's width table; not PDFium's loose box, which uses the glyph's own
        # metrics) x the font size.
        width = font.widths.get(u)
        if width is None:
            if not _glyph_width(font.handle, u, t.c_size, p_w):
                raise Unsupported("a character whose width PDFium does not give")
            width = font.widths[u] = round(w.value / size * 1000, 2)
        char_origin(tp, i, p_ox, p_oy)
        e, f = clean(ox.value), clean(oy.value)
        if origin[0] == obj and origin[1] == e and origin[2] == f:
            # one code read as several characters (a ligature's /ToUnicode "fi"): pdfminer
            # makes one character of them
            raise Unsupported("two characters of one text object at one origin")
        origin = (obj, e, f)
        adv = width * 0.001 * size
        desc = t.descent
        x0, x1 = e, a * adv + e
        y0, y1 = d * desc + f, d * (desc + size) + f
        if x1 < x0:
            x0, x1 = x1, x0
        if y1 < y0:
            y0, y1 = y1, y0
        top = height - y1
        # the keys pdfplumber's table finder and text extraction read
        append({
            "text": chr(u),
            "x0": x0,
            "x1": x1,
            "top": top,
            "bottom": height - y0,
            "doctop": doctop + top,
            "size": y1 - y0,
            "upright": t.upright,
        })
    return chars

Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _matrix(obj: Any) -> Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        raise Unsupported("a page object without a matrix")
    return (_clean(m.a), _clean(m.b), _clean(m.c), _clean(m.d), _clean(m.e), _clean(m.f))


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


def _path_ops(obj: Any) -> list[tuple[str, Point]]:
    """The path's operators as pdfminer sees them: m, l, c (end point), h (start point)."""
    ops: list[tuple[str, Point]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    start: Point = (0.0, 0.0)
    bezier = 0
    for j in range(pdfium_c.FPDFPath_CountSegments(obj)):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, j)
        pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
        pt = (_clean(x.value), _clean(y.value))
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
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
        if pdfium_c.FPDFPathSegment_GetClose(seg):
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


def _walk(parent: Any, count: Any, get: Any, outer: Matrix, out: dict[str, list[Obj]],
          texts: set[bytes], height: float, doctop: float) -> None:
    for i in range(count(parent)):
        obj = get(parent, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts.add(bytes(obj))
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            fill, stroke = ctypes.c_int(), ctypes.c_int()
            pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
            if fill.value or stroke.value:
                _paint(_path_ops(obj), _then(_matrix(obj), outer), out, height, doctop)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            _walk(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject,
                  _then(_matrix(obj), outer), out, texts, height, doctop)


def _edges(page: Any, height: float, doctop: float, texts: set[bytes]) -> list[Obj]:
    """pdfplumber's `Page.edges`: the lines', then the rectangles', then the curves' edges.

    The page's text objects are added to `texts`.
    """
    out: dict[str, list[Obj]] = {"line": [], "rect": [], "curve": []}
    _walk(page, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, _IDENTITY, out,
          texts, height, doctop)
    edges = [line_to_edge(o) for o in out["line"]]
    for o in out["rect"]:
        edges.extend(rect_to_edges(o))
    for o in out["curve"]:
        edges.extend(curve_to_edges(o))
    return edges


#: PDFium is not thread-safe, and a batch with the LLM pass reads inputs in threads: every
#: PDFium call of this module runs under this lock (released between pages, while the
#: pages are laid out in Python).
PDFIUM_LOCK = threading.Lock()


def page_objects(raw: bytes) -> Iterator[PageObjects]:
    """Each page's characters and edges, in page order (the page count is checked first)."""
    with PDFIUM_LOCK:
        pdf = open_document(raw)
    try:
        with PDFIUM_LOCK:
            n = len(pdf)
        check_page_count(n)
        infos = fonts_of(raw)
        doctop = 0.0
        for index in range(n):
            with PDFIUM_LOCK:
                try:
                    page = pdf[index]
                except pdfium.PdfiumError as e:
                    raise Unsupported(f"PDFium cannot load page {index + 1}: {e}") from e
                try:
                    objects = _page_objects(page, doctop, infos)
                finally:
                    page.close()
            doctop += objects.height
            yield objects
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def page_texts(raw: bytes) -> Iterator[list[str]]:
    """Each page's lines, in page order."""
    for objects in page_objects(raw):
        yield page_lines(objects)


def _page_objects(page: pdfium.PdfPage, doctop: float,
                  infos: dict[bytes, FontInfo | None]) -> PageObjects:
    if page.get_rotation() != 0:
        raise Unsupported("a rotated page")
    x0, y0, x1, y1 = (_clean(v) for v in page.get_mediabox())
    if x0 != 0 or y0 != 0:
        raise Unsupported("a media box that does not start at the origin")
    textpage = page.get_textpage()
    read: set[bytes] = set()
    try:
        chars = _chars(textpage.raw, y1, doctop, infos, read)
    finally:
        textpage.close()
    drawn: set[bytes] = set()
    edges = _edges(page.raw, y1, doctop, drawn)
    if drawn - read:
        # PDFium's text page leaves out a text object drawn again over itself ("fake
        # bold"); pdfminer keeps every copy.
        raise Unsupported("a text object without characters in PDFium's text page")
    return PageObjects(chars, edges, (0, 0, x1, y1))
