"""Each font's descent, and which characters pdfminer reads as PDFium does, by BaseFont name.

pdfminer puts a character's bottom at the baseline plus the font descriptor's /Descent
(0 when the descriptor has none; the Adobe metrics for the 14 standard fonts). PDFium,
when a descriptor's /Ascent and /Descent are both 0, takes them from the font program
instead (LibreOffice writes such descriptors), so the descent is read here from the
file's font dictionaries, with pdfminer's parser (no content stream is parsed; the pages
are those the text budget check parsed, `miner.pages`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pdfminer.pdffont import FontMetricsDB
from pdfminer.pdfinterp import PDFResourceManager
from pdfminer.pdftypes import PDFStream, dict_value, list_value, num_value, resolve1, stream_value
from pdfminer.psparser import PSLiteral, literal_name

from extractor.ingest.pdf import miner

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
    """The font dictionaries of `resources` and of the form XObjects they hold, each once."""
    for ref in dict_value(resources.get("Font", {})).values():
        key = getattr(ref, "objid", None) or id(ref)
        if key not in seen:
            seen.add(key)
            yield dict_value(ref)
    for ref in dict_value(resources.get("XObject", {})).values():
        key = getattr(ref, "objid", None) or id(ref)
        if key in seen:
            continue
        seen.add(key)
        xobj = stream_value(ref)
        if _name(xobj.get("Subtype")) == "Form" and "Resources" in xobj:
            yield from _resources(dict_value(xobj["Resources"]), seen)


@dataclass(eq=False)
class FontInfo:
    """What the pdfium backend needs to know of a font to read it as pdfminer does.

    `descent`: pdfminer's descent (1/1000 units, <= 0). `accepts(u)`: whether pdfminer
    reads the character PDFium reads as `u` as that same character (None: always; a font
    with a /ToUnicode map, which both follow).
    """

    descent: float
    accepts: Callable[[int], bool] | None = None


def _printable_ascii(u: int) -> bool:
    return 0x20 <= u < 0x7F


def _ucs2_round_trip(spec: Mapping[str, Any]) -> Callable[[int], bool]:
    """For a CID font with a predefined UCS-2/UTF-16 CMap and no /ToUnicode: PDFium takes
    the character code as the character; pdfminer maps it to a CID, then the CID to a
    character through the character collection, which changes characters outside it."""
    font = PDFResourceManager(caching=False).get_font(None, spec)
    memo: dict[int, bool] = {}

    def accepts(u: int) -> bool:
        ok = memo.get(u)
        if ok is None:
            try:
                cids = list(font.decode(u.to_bytes(2, "big")))
                ok = len(cids) == 1 and font.to_unichr(cids[0]) == chr(u)
            except Exception:  # noqa: BLE001 - no CID, or no character for it
                ok = False
            memo[u] = ok
        return ok

    return accepts


def _info(spec: Mapping[str, Any]) -> FontInfo | None:
    descent = _descent(spec)
    if descent is UNSUPPORTED:
        return UNSUPPORTED
    if isinstance(resolve1(spec.get("ToUnicode")), PDFStream):
        return FontInfo(descent)
    if _name(spec.get("Subtype", "Type1")) != "Type0":
        # a simple font without /ToUnicode: both read the encoding's glyph names, which
        # agree for printable ASCII; anything else goes to pdfplumber
        return FontInfo(descent, _printable_ascii)
    encoding = resolve1(spec.get("Encoding"))
    name = _name(encoding) if isinstance(encoding, PSLiteral) else ""
    if "UCS2" in name or "UTF16" in name:
        try:
            return FontInfo(descent, _ucs2_round_trip(spec))
        except Exception:  # noqa: BLE001 - pdfminer cannot read the font
            return UNSUPPORTED
    return UNSUPPORTED  # e.g. Identity-H without /ToUnicode: read from the font program


def font_infos(raw: bytes) -> dict[bytes, FontInfo | None]:
    """`font_key(BaseFont)` -> the font's `FontInfo`; `UNSUPPORTED` for a font, or a name two
    different fonts share. Raises whatever pdfminer raises on a file it cannot parse."""
    out: dict[bytes, FontInfo | None] = {}
    seen: set[int] = set()
    for page in miner.pages(raw):
        for spec in _resources(page.resources or {}, seen):
            name = font_key(_raw_name(spec.get("BaseFont", "unknown")))
            info = _info(spec)
            if name in out:
                old = out[name]
                same = (old is not None and info is not None and old.descent == info.descent
                        and old.accepts is info.accepts
                        and info.accepts in (None, _printable_ascii))
                if not same:
                    info = UNSUPPORTED
            out[name] = info
    return out
