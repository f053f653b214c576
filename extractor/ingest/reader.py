"""Read an input file into a `Document`: decode, render, normalize, recover rows.

Every failure is an `IngestError` with a reason a person can act on; the batch runner
records it and moves on.
"""

from __future__ import annotations

import codecs
import hashlib
from bisect import bisect_left
from dataclasses import replace
from pathlib import Path

import charset_normalizer

from extractor.ingest.document import Document
from extractor.ingest.docx_reader import DocxError, render_docx
from extractor.ingest.hanzi import simplified_map
from extractor.ingest.html_reader import declared_charset, looks_like_html, render_html
from extractor.ingest.normalize import Normalized, normalize
from extractor.ingest.ocr import (
    OcrError,
    OcrText,
    OcrUnavailable,
    ocr_image,
    ocr_mode,
    ocr_pdf,
    pdf_pages_to_read,
)
from extractor.ingest.pdf_budget import PdfBudgetError, check_text_budget
from extractor.ingest.pdf_reader import NoTextLayer, PdfError, RenderedPdf, render_pdf

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
#: Scans as image files, read by OCR (`extractor.ingest.ocr`).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
#: Formats recognised but not read: a clear error says what to do.
UNSUPPORTED_SUFFIXES = {
    ".doc": "Word 97-2003 .doc input is not supported; save it as .docx (or convert it with "
    "LibreOffice: soffice --headless --convert-to docx)",
    ".wps": "WPS input is not supported; save it as .docx",
}
INPUT_SUFFIXES = (
    TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES | IMAGE_SUFFIXES
    | set(UNSUPPORTED_SUFFIXES)
)

#: Larger inputs are refused rather than read into memory.
MAX_BYTES = 50 * 1024 * 1024
#: More text than this is not one annual report (they run to tens of thousands of
#: characters; a 4 MB single line is about 2.5 million): refused before the layout and
#: mapping stages spend minutes and gigabytes on it.
MAX_TEXT_CHARS = 5_000_000


class IngestError(Exception):
    """An input that cannot be processed, with the reason."""


#: A UTF-8 file with at most this many undecodable bytes (and at most one per thousand) is
#: read with each such byte replaced by U+FFFD (REPLACED): a cell whose span touches one
#: cannot be read as a number, so it is flagged; the rest of the report stands.
MAX_STRAY_BYTES = 64
REPLACED = "\ufffd"

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
         (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_UTF8 = {"utf-8", "utf8", "utf_8"}


def _codec(name: str | None) -> str | None:
    """A Python codec for a declared charset, or None (unknown names such as 'undefined')."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gb2312", "gbk") else codec  # supersets: same bytes, more chars


def _detect(raw: bytes, among: list[str] | None = None) -> tuple[str, str] | None:
    """charset-normalizer's best reading of the bytes (optionally among some codecs)."""
    best = charset_normalizer.from_bytes(raw, cp_isolation=among).best()
    if best is None:
        return None
    return str(best), best.encoding


def decode(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes: a byte-order mark, UTF-8, the declared charset if it decodes, else what
    charset-normalizer detects (GB18030/GBK, Big5, UTF-16 without BOM, …); a UTF-8 text with a
    few stray bytes keeps its text with each such byte replaced by U+FFFD. Returns (text,
    encoding)."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc), enc
            except UnicodeDecodeError:
                break
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    codec = _codec(declared)
    if codec is not None and codec not in _UTF8:
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            pass
    text = raw.decode("utf-8", errors="replace")
    bad = text.count(REPLACED) - raw.count(REPLACED.encode())
    if bad <= min(MAX_STRAY_BYTES, max(3, len(raw) // 1000)):
        return text, f"utf-8 ({bad} undecodable bytes replaced by {REPLACED})"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        found = _detect(raw)
    else:  # GB18030 accepts most two-byte text: Big5 too (as nonsense); ask which it is
        found = _detect(raw, ["gb18030", "big5"]) or (raw.decode("gb18030"), "gb18030")
    if found is None:
        raise IngestError("cannot decode the file as text (not UTF-8, GB18030/GBK, Big5, "
                          "UTF-16 or another encoding charset-normalizer recognises)")
    return found


def _is_wide_unicode(raw: bytes) -> bool:
    """UTF-16/32 without a byte-order mark (NUL bytes are part of its text)."""
    found = _detect(raw[:65536])
    return found is not None and found[1].startswith(("utf_16", "utf_32"))


#: Control bytes no text file holds (all below 32 except tab, line feed, form feed,
#: carriage return and escape).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _is_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL))
    return control > max(8, len(head) // 100)


def load(path: Path, ocr: str | None = None) -> Document:
    """The document of a file (its rows are recovered by the layout stage). `ocr`: off, auto
    or on (default $EXTRACTOR_OCR, else auto), see `extractor.ingest.ocr`."""
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise IngestError(UNSUPPORTED_SUFFIXES[suffix])
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise IngestError(f"file is {size / 1e6:.0f} MB, over the {MAX_BYTES // 2**20} MB limit")
        raw = path.read_bytes()
    except IngestError:
        raise
    except OSError as e:
        raise IngestError(f"cannot read the file: {e.strerror or e}") from e
    return load_bytes(raw, path.name, str(path), ocr=ocr)


def load_bytes(raw: bytes, name: str, path: str = "", ocr: str | None = None) -> Document:
    """The document of a file's content; `name`'s suffix hints at the format (the content
    decides where it is unambiguous: %PDF, a ZIP, HTML markup)."""
    suffix = Path(name).suffix.lower()
    if len(raw) > MAX_BYTES:
        raise IngestError(f"input is {len(raw) / 1e6:.0f} MB, over the {MAX_BYTES // 2**20} MB limit")
    if not raw.strip():
        raise IngestError("empty file")
    where = Path(path or name)
    sha = hashlib.sha256(raw).hexdigest()
    if raw[:1024].lstrip().startswith(b"%PDF") or suffix in PDF_SUFFIXES:
        return _load_pdf(where, raw, sha, ocr)
    if raw.startswith(_IMAGE_MAGIC) or suffix in IMAGE_SUFFIXES:
        return _load_image(where, raw, sha, ocr)
    if raw.startswith(b"PK\x03\x04") or suffix in DOCX_SUFFIXES:
        return _load_docx(where, raw, sha)
    wide = raw.startswith((b"\xff\xfe", b"\xfe\xff"))  # NUL bytes are its text, not binary
    if not wide and _is_binary(raw) and not _is_wide_unicode(raw):
        raise IngestError("binary file: not text or HTML")
    text, encoding = decode(raw, declared_charset(raw))
    _check_length(len(text))
    is_html = suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES and looks_like_html(text))
    if is_html:
        rendered, base = render_html(text)
        norm = normalize(rendered, base, source_length=len(text))
        fmt = "html"
    else:
        norm = normalize(text)
        fmt = "markdown" if suffix in (".md", ".markdown") else "text"
    return _document(where, sha, fmt, encoding, norm)


def _document(path: Path, sha: str, fmt: str, encoding: str, norm: Normalized,
              page_starts: list[int] | None = None, pages: int | None = None) -> Document:
    """The document of a normalized text: checked non-empty, simplified (rows are recovered
    by the layout stage)."""
    if not norm.text.strip():
        raise IngestError("no text in the file")
    _check_length(len(norm.text))
    norm, traditional = _simplify(norm)
    return Document(name=path.name, path=str(path), sha256=sha, format=fmt, encoding=encoding,
                    norm=norm, page_starts=page_starts or [],
                    pages=pages, traditional=traditional)


def _check_length(chars: int) -> None:
    if chars > MAX_TEXT_CHARS:
        raise IngestError(f"the file holds {chars:,} characters of text, over the "
                          f"{MAX_TEXT_CHARS:,} an annual report can hold: not one report")


def _simplify(norm: Normalized) -> tuple[Normalized, bool]:
    """Map a traditional-character text to simplified, character for character."""
    table = simplified_map(norm.text)
    if table is None:
        return norm, False
    return replace(norm, text=norm.text.translate(table)), True


def _load_pdf(path: Path, raw: bytes, sha: str, ocr: str | None = None) -> Document:
    if not raw[:1024].lstrip().startswith(b"%PDF"):
        raise IngestError("the file is named .pdf but is not a PDF")
    mode = ocr_mode(ocr)
    no_text: NoTextLayer | None = None
    try:
        check_text_budget(raw)
        pdf = render_pdf(raw)
    except NoTextLayer as e:
        if mode == "off":
            raise IngestError(f"{e} (--ocr off)") from e
        pdf, no_text = None, e
    except (PdfError, PdfBudgetError) as e:
        raise IngestError(str(e)) from e
    if mode != "off":
        doc = _ocr_pdf(path, raw, sha, mode, pdf)
        if doc is not None:
            return doc
    if pdf is None:
        raise IngestError(f"{no_text} (but no page shows an image to read by OCR)")
    norm = normalize(pdf.text)
    # Page starts in the normalized text: the first character at or after each page's start.
    starts = [bisect_left(norm.offsets, s) for s in pdf.page_starts]
    return _document(path, sha, "pdf", "n/a", norm, starts, pdf.pages)


def _ocr_pdf(path: Path, raw: bytes, sha: str, mode: str,
             pdf: RenderedPdf | None) -> Document | None:
    """The document of a PDF with its pages without a text layer (every page with --ocr on)
    read by OCR; None when no page needs it."""
    rendered = None
    if pdf is not None:
        ends = [*pdf.page_starts[1:], len(pdf.text)]
        rendered = [pdf.text[a:b] for a, b in zip(pdf.page_starts, ends, strict=True)]
    try:
        n, pages = pdf_pages_to_read(raw, ocr_mode(mode), rendered)
    except Exception as e:  # noqa: BLE001 - pdfium refuses a file pdfplumber read: no OCR
        if pdf is not None:
            return None
        raise IngestError(f"damaged or invalid PDF: {type(e).__name__}: {e}") from e
    if not pages:
        return None
    try:
        layer = rendered if rendered is not None and len(rendered) == n else [""] * n
        return _ocr_document(path, sha, "pdf", ocr_pdf(raw, layer, pages))
    except (OcrError, OcrUnavailable) as e:
        raise IngestError(str(e)) from e


def _load_image(path: Path, raw: bytes, sha: str, ocr: str | None) -> Document:
    if ocr_mode(ocr) == "off":
        raise IngestError("an image (a scan) can only be read by OCR, and OCR is off (--ocr off)")
    try:
        return _ocr_document(path, sha, "image", ocr_image(raw))
    except (OcrError, OcrUnavailable) as e:
        raise IngestError(str(e)) from e


def _ocr_document(path: Path, sha: str, fmt: str, read: OcrText) -> Document:
    """The document of a text with OCR'd pages: spans of the OCR'd pieces kept as boxes."""
    norm = normalize(read.text)
    starts = [bisect_left(norm.offsets, s) for s in read.page_starts]
    if not norm.text.strip():
        raise IngestError(f"OCR found no text on the {read.pages} page(s) of the scan")
    doc = _document(path, sha, fmt, "n/a", norm, starts, read.pages)
    doc.ocr_pages = read.ocr_pages
    doc.ocr_boxes = [replace(b, start=bisect_left(norm.offsets, b.start),
                             end=bisect_left(norm.offsets, b.end)) for b in read.boxes]
    return doc


def _load_docx(path: Path, raw: bytes, sha: str) -> Document:
    try:
        text = render_docx(raw)
    except DocxError as e:
        raise IngestError(str(e)) from e
    return _document(path, sha, "docx", "n/a", normalize(text))
