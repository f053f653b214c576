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
import threading
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extractor.ingest.pdf import miner
from extractor.ingest.pdf.cfuncs import lib, pointer
from extractor.ingest.pdf.errors import check_page_count, encrypted
from extractor.ingest.pdf.fonts import UNSUPPORTED, FontInfo, font_infos, font_key
from extractor.ingest.pdf.layout import Obj, PageObjects, page_lines
from extractor.ingest.pdf.paths import Unsupported, clean, page_edges


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
_count_marks = _c(pdfium_c.FPDFPageObj_CountMarks, _I, _P)
_get_mark = _c(pdfium_c.FPDFPageObj_GetMark, _P, _P, ctypes.c_ulong)
_param_type = _c(pdfium_c.FPDFPageObjMark_GetParamValueType, _I, _P, ctypes.c_char_p)
_font_name = _c(pdfium_c.FPDFFont_GetBaseFontName, ctypes.c_ulong, _P, _P, ctypes.c_ulong)
_glyph_width = _c(pdfium_c.FPDFFont_GetGlyphWidth, _I, _P, ctypes.c_uint, ctypes.c_float, _P)


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
        a, b, c, d = m[0], m[1], m[2], m[3]  # FS_MATRIX as six floats
        if b != 0 or c != 0:
            raise Unsupported("rotated or skewed text")
        self.a, self.d = clean(a), clean(d)
        self.size = clean(size)
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
           infos: dict[bytes, FontInfo | None], read: set[int],
           cleaned: dict[float, float]) -> list[Obj]:
    """The page's characters; the text objects they come from are added to `read`.
    `cleaned`: `clean`'s values already computed (shared by a document's pages)."""
    fns = lib()
    tp = pointer(textpage)
    chars: list[Obj] = []
    append = chars.append
    fonts: dict[int, _Font] = {}
    styles: dict[tuple[Any, ...], _Style] = {}
    objects: dict[Any, _Style] = {}  # text object -> the style of its first character
    to_address = fns.address
    m = fns.new("float[6]")  # FS_MATRIX
    char_matrix, font_size, count_marks, text_font = (
        fns.char_matrix, fns.font_size, fns.count_marks, fns.text_font)
    xy = fns.new("double[2]")
    p_ox, p_oy = xy, xy + 1
    w = ctypes.c_float()
    p_w = ctypes.addressof(w)
    text_object, map_error, unicode, char_origin = (
        fns.text_object, fns.map_error, fns.unicode, fns.char_origin)
    last: Any = None  # text objects are cffi pointers here (compared, hashed by address)
    t: _Style | None = None
    origin: tuple[Any, float, float] = (None, 0.0, 0.0)
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
                char_matrix(tp, i, m)
                size = font_size(tp, i)
                obj_int = to_address(obj)
                if count_marks(obj) and _has_actual_text(obj_int):
                    raise Unsupported("marked content with /ActualText (PDFium reads that text)")
                font_ptr = text_font(obj)
                if not font_ptr:
                    raise Unsupported("a text object without a font or size")
                handle = to_address(font_ptr)
                key = (handle, m[0], m[1], m[2], m[3], size)
                t = styles.get(key)
                if t is None:
                    font = fonts.get(handle)
                    if font is None:
                        font = fonts[handle] = _Font(handle, infos)
                    t = styles[key] = _Style(m, size, font)
                objects[obj] = t
                read.add(obj_int)
            last = obj
        font = t.font
        a, d, size = t.a, t.d, t.size
        # The advance as pdfminer computes it: the font's width (1/1000 text space units,
        # from the file's width table; not PDFium's loose box, which uses the glyph's own
        # metrics) x the font size.
        width = font.widths.get(u)
        if width is None:
            # the font's first `u`: whether pdfminer reads it as PDFium does (a width is
            # kept only for characters that passed)
            accepts = font.accepts
            if accepts is not None and not accepts(u):
                raise Unsupported(f"the character U+{u:04X}, which pdfminer reads otherwise")
            if not _glyph_width(font.handle, u, t.c_size, p_w):
                raise Unsupported("a character whose width PDFium does not give")
            width = font.widths[u] = round(w.value / size * 1000, 2)
        char_origin(tp, i, p_ox, p_oy)
        e, f = xy[0], xy[1]
        # `clean` of each coordinate, memoized per document in a plain dict (cheaper to
        # ask than `clean`'s own cache)
        ce = cleaned.get(e)
        if ce is None:
            ce = cleaned[e] = clean(e)
        cf = cleaned.get(f)
        if cf is None:
            cf = cleaned[f] = clean(f)
        e, f = ce, cf
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
        cleaned: dict[float, float] = {}  # `clean`'s values, for the document's characters
        doctop = 0.0
        for index in range(n):
            with PDFIUM_LOCK:
                try:
                    page = pdf[index]
                except pdfium.PdfiumError as e:
                    raise Unsupported(f"PDFium cannot load page {index + 1}: {e}") from e
                try:
                    objects = _page_objects(page, doctop, infos, cleaned)
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
                  infos: dict[bytes, FontInfo | None],
                  cleaned: dict[float, float]) -> PageObjects:
    if page.get_rotation() != 0:
        raise Unsupported("a rotated page")
    x0, y0, x1, y1 = (clean(v) for v in page.get_mediabox())
    if x0 != 0 or y0 != 0:
        raise Unsupported("a media box that does not start at the origin")
    textpage = page.get_textpage()
    read: set[int] = set()
    try:
        chars = _chars(textpage.raw, y1, doctop, infos, read, cleaned)
    finally:
        textpage.close()
    drawn: set[int] = set()
    edges = page_edges(page.raw, y1, doctop, drawn)
    if drawn - read:
        # PDFium's text page leaves out a text object drawn again over itself ("fake
        # bold"); pdfminer keeps every copy.
        raise Unsupported("a text object without characters in PDFium's text page")
    return PageObjects(chars, edges, (0, 0, x1, y1))
