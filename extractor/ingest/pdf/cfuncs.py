"""The PDFium functions the per-character and per-object loops call, through cffi.

The same functions of the same library, at the addresses pypdfium2 found, called with
handles as cffi pointers: a call costs about half a ctypes call (0.5 vs 0.9 us), which
counts for the four calls per character and the four per text object (`pdfium._chars`;
some PDFs put each character in a text object of its own) and the calls per page object
(`paths.page_edges`). The functions are bound on first use (`lib()`).
"""

from __future__ import annotations

import ctypes
from functools import cache
from types import SimpleNamespace
from typing import Any

import pypdfium2.raw as pdfium_c

#: name -> (pypdfium2's binding, the C signature; FS_MATRIX is six floats)
_SIGNATURES: dict[str, tuple[Any, str]] = {
    "text_object": (pdfium_c.FPDFText_GetTextObject, "void *(*)(void *, int)"),
    "map_error": (pdfium_c.FPDFText_HasUnicodeMapError, "int (*)(void *, int)"),
    "unicode": (pdfium_c.FPDFText_GetUnicode, "unsigned int (*)(void *, int)"),
    "char_origin": (pdfium_c.FPDFText_GetCharOrigin, "int (*)(void *, int, double *, double *)"),
    "char_matrix": (pdfium_c.FPDFText_GetMatrix, "int (*)(void *, int, float *)"),
    "font_size": (pdfium_c.FPDFText_GetFontSize, "double (*)(void *, int)"),
    "count_marks": (pdfium_c.FPDFPageObj_CountMarks, "int (*)(void *)"),
    "text_font": (pdfium_c.FPDFTextObj_GetFont, "void *(*)(void *)"),
    "count_objects": (pdfium_c.FPDFPage_CountObjects, "int (*)(void *)"),
    "get_object": (pdfium_c.FPDFPage_GetObject, "void *(*)(void *, int)"),
    "form_count": (pdfium_c.FPDFFormObj_CountObjects, "int (*)(void *)"),
    "form_object": (pdfium_c.FPDFFormObj_GetObject, "void *(*)(void *, unsigned long)"),
    "object_type": (pdfium_c.FPDFPageObj_GetType, "int (*)(void *)"),
    "draw_mode": (pdfium_c.FPDFPath_GetDrawMode, "int (*)(void *, int *, int *)"),
    "object_matrix": (pdfium_c.FPDFPageObj_GetMatrix, "int (*)(void *, float *)"),
    "count_segments": (pdfium_c.FPDFPath_CountSegments, "int (*)(void *)"),
    "get_segment": (pdfium_c.FPDFPath_GetPathSegment, "void *(*)(void *, int)"),
    "segment_point": (pdfium_c.FPDFPathSegment_GetPoint, "int (*)(void *, float *, float *)"),
    "segment_type": (pdfium_c.FPDFPathSegment_GetType, "int (*)(void *)"),
    "segment_close": (pdfium_c.FPDFPathSegment_GetClose, "int (*)(void *)"),
}


@cache
def lib() -> Any:
    """Each function of `_SIGNATURES` by name, and `new(decl)` for the arrays the loops pass
    ("float[6]", "double[2]", "int[2]", "float[2]").

    Through cffi's documented API: its C parser (pycparser) costs a process ~40 ms once, on
    its first PDF; a worker reads many.
    """
    import cffi

    ffi = cffi.FFI()
    fns = {name: ffi.cast(sig, ctypes.cast(fn, ctypes.c_void_p).value)
           for name, (fn, sig) in _SIGNATURES.items()}
    return SimpleNamespace(
        new=ffi.new,
        pointer=lambda address: ffi.cast("void *", address),
        address=lambda ptr: int(ffi.cast("uintptr_t", ptr)),
        **fns,
    )


def pointer(raw: Any) -> Any:
    """A pypdfium2 handle (a ctypes pointer) as a cffi pointer."""
    return lib().pointer(ctypes.cast(raw, ctypes.c_void_p).value)
