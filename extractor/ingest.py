"""Read an input file into a `Document`: decode, render, normalize, recover rows.

Every failure is an `IngestError` with a reason a person can act on; the batch runner
records it and moves on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from extractor.document import Document
from extractor.html_reader import declared_charset, looks_like_html, render_html
from extractor.layout import recover_rows
from extractor.normalize import normalize

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
LATER_SUFFIXES = {".pdf": "PDF", ".docx": "DOCX", ".doc": "Word .doc", ".wps": "WPS"}
INPUT_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | set(LATER_SUFFIXES)

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


def load(path: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix in LATER_SUFFIXES:
        raise IngestError(
            f"{LATER_SUFFIXES[suffix]} input is not supported yet; convert it to text or HTML"
        )
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise IngestError(f"file is {size / 1e6:.0f} MB, over the {MAX_BYTES // 2**20} MB limit")
        raw = path.read_bytes()
    except IngestError:
        raise
    except OSError as e:
        raise IngestError(f"cannot read the file: {e.strerror or e}") from e
    if not raw.strip():
        raise IngestError("empty file")
    if raw.startswith(b"%PDF"):
        raise IngestError("this is a PDF file; PDF input is not supported yet")
    if raw.startswith(b"PK\x03\x04"):
        raise IngestError("this is a ZIP container (DOCX?); DOCX input is not supported yet")
    if _is_binary(raw):
        raise IngestError("binary file: not text or HTML")
    sha = hashlib.sha256(raw).hexdigest()
    text, encoding = decode(raw, declared_charset(raw))
    is_html = suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES and looks_like_html(text))
    if is_html:
        rendered, base = render_html(text)
        norm = normalize(rendered, base, source_length=len(text))
        fmt = "html"
    else:
        norm = normalize(text)
        fmt = "markdown" if suffix in (".md", ".markdown") else "text"
    if not norm.text.strip():
        raise IngestError("no text in the file")
    return Document(
        name=path.name,
        path=str(path),
        sha256=sha,
        format=fmt,
        encoding=encoding,
        norm=norm,
        rows=recover_rows(norm.text),
    )
