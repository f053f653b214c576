"""Each font's descent as pdfminer reads it, by the font's BaseFont name.

pdfminer puts a character's bottom at the baseline plus the font descriptor's /Descent
(0 when the descriptor has none; the Adobe metrics for the 14 standard fonts). PDFium,
when a descriptor's /Ascent and /Descent are both 0, takes them from the font program
instead (LibreOffice writes such descriptors), so the descent is read here from the
file's font dictionaries, with pdfminer's parser (no content stream is parsed).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdffont import FontMetricsDB
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import dict_value, list_value, num_value, resolve1, stream_value
from pdfminer.psparser import PSLiteral, literal_name

#: A font whose characters pdfminer boxes in a way the pdfium backend does not reproduce.
UNSUPPORTED = None


def _name(value: Any) -> str:
    value = resolve1(value)
    try:
        return literal_name(value)
    except Exception:  # noqa: BLE001 - a malformed name
        return str(value)


_SUBSET_TAG = re.compile(rb"^[A-Z]{6}\+")


def font_key(name: bytes) -> bytes:
    """A BaseFont name without its subset tag ("ABCDEF+"), which PDFium may drop."""
    return _SUBSET_TAG.sub(b"", name)


def _raw_name(value: Any) -> bytes:
    value = resolve1(value)
    name = value.name if isinstance(value, PSLiteral) else value
    if isinstance(name, bytes):
        return name
    return str(name).encode("utf-8", "surrogateescape")


def _vertical(encoding: Any) -> bool:
    """Whether a Type0 font's CMap writes vertically (a "-V" name, or /WMode 1)."""
    encoding = resolve1(encoding)
    if isinstance(encoding, PSLiteral):
        return _name(encoding).endswith("-V")
    attrs = getattr(encoding, "attrs", None)
    if isinstance(attrs, dict):
        return resolve1(attrs.get("WMode", 0)) == 1
    return False


def _descent(spec: Mapping[str, Any]) -> float | None:
    """pdfminer's `PDFFont.descent` for the font dictionary `spec` (1/1000 units, <= 0)."""
    subtype = _name(spec.get("Subtype", "Type1"))
    if subtype == "Type3":
        return UNSUPPORTED  # pdfminer boxes Type3 glyphs by the font's bbox
    if subtype == "Type0":
        if _vertical(spec.get("Encoding")):
            return UNSUPPORTED  # pdfminer boxes vertical writing differently
        fonts = list_value(spec.get("DescendantFonts", []))
        if not fonts:
            return UNSUPPORTED
        descriptor = dict_value(dict_value(fonts[0]).get("FontDescriptor", {}))
    elif subtype in ("CIDFontType0", "CIDFontType2"):
        descriptor = dict_value(spec.get("FontDescriptor", {}))
    else:  # Type1, MMType1, TrueType and anything else pdfminer reads as Type1
        try:
            descriptor, _ = FontMetricsDB.get_metrics(_name(spec.get("BaseFont", "unknown")))
            if "Widths" in spec:
                return UNSUPPORTED  # pdfminer uses the standard metrics, PDFium the file's
        except KeyError:
            descriptor = dict_value(spec.get("FontDescriptor", {}))
    descent = num_value(descriptor.get("Descent", 0))
    return -descent if descent > 0 else descent


def _resources(resources: Mapping[str, Any], seen: set[int]) -> Iterator[Mapping[str, Any]]:
    """The font dictionaries of `resources` and of the form XObjects they hold."""
    for ref in dict_value(resources.get("Font", {})).values():
        yield dict_value(ref)
    for ref in dict_value(resources.get("XObject", {})).values():
        key = getattr(ref, "objid", None) or id(ref)
        if key in seen:
            continue
        seen.add(key)
        xobj = stream_value(ref)
        if _name(xobj.get("Subtype")) == "Form" and "Resources" in xobj:
            yield from _resources(dict_value(xobj["Resources"]), seen)


def descents(raw: bytes) -> dict[bytes, float | None]:
    """`font_key(BaseFont)` -> descent; `UNSUPPORTED` for a font, or a name two fonts with
    different descents share. Raises whatever pdfminer raises on a file it cannot parse."""
    doc = PDFDocument(PDFParser(io.BytesIO(raw)))
    out: dict[bytes, float | None] = {}
    seen: set[int] = set()
    for page in PDFPage.create_pages(doc):
        for spec in _resources(page.resources or {}, seen):
            name = font_key(_raw_name(spec.get("BaseFont", "unknown")))
            d = _descent(spec)
            if name in out and out[name] != d:
                d = UNSUPPORTED
            out[name] = d
    return out
