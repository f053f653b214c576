"""Read an input file into a `Document`: decode, render, normalize, recover rows.

Every failure is an `IngestError` with a reason a person can act on; the batch runner
records it and moves on.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from dataclasses import replace
from pathlib import Path

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


class IngestError(Exception):
    """An input that cannot be processed, with the reason."""


def decode(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM) or GB18030/GBK; return (text, encoding)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = ["gb18030"]
    if declared and declared.lower() not in ("utf-8", "utf8", "gb2312", "gbk", "gb18030"):
        candidates.insert(0, declared)
    for enc in candidates:
        try:
            return raw.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise IngestError("cannot decode the file as UTF-8 or GB18030/GBK text")


def _is_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
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
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))  # NUL bytes are its text, not binary
    if not utf16 and _is_binary(raw):
        raise IngestError("binary file: not text or HTML")
    text, encoding = decode(raw, declared_charset(raw))
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
    norm, traditional = _simplify(norm)
    return Document(name=path.name, path=str(path), sha256=sha, format=fmt, encoding=encoding,
                    norm=norm, page_starts=page_starts or [],
                    pages=pages, traditional=traditional)


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
        pdf = render_pdf(raw)
    except NoTextLayer as e:
        if mode == "off":
            raise IngestError(f"{e} (--ocr off)") from e
        pdf, no_text = None, e
    except PdfError as e:
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
    try:
        n, pages = pdf_pages_to_read(raw, ocr_mode(mode))
    except Exception as e:  # noqa: BLE001 - pdfium refuses a file pdfplumber read: no OCR
        if pdf is not None:
            return None
        raise IngestError(f"damaged or invalid PDF: {type(e).__name__}: {e}") from e
    if not pages:
        return None
    try:
        layer = [""] * n
        if pdf is not None and pdf.pages == n:
            ends = [*pdf.page_starts[1:], len(pdf.text)]
            layer = [pdf.text[a:b] for a, b in zip(pdf.page_starts, ends, strict=True)]
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
