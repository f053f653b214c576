"""Hostile and broken inputs, made at test time from small generators (nothing large is
committed). Used by tests/test_hostile_inputs.py and bench/hostile_battery.py.

Each generator writes one input into a folder and returns its path.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "golden" / "inputs" / "pingtan_office_2021.txt"  # a real report, 2021 template


def report_text() -> str:
    return REPORT.read_text(encoding="utf-8")


def one_long_line(d: Path) -> Path:
    """A text file that is one 4 MB line (digits and words, no newline)."""
    p = d / "one_long_line.txt"
    unit = "政府信息公开 12 件 3,456 "
    p.write_text(unit * (4_000_000 // len(unit.encode())), encoding="utf-8")
    return p


def nested_tables(d: Path, depth: int = 100_000) -> Path:
    p = d / "nested_tables.html"
    p.write_text("<html><body>" + "<table><tr><td>" * depth + "1" + "</td></tr></table>" * depth
                 + "</body></html>", encoding="utf-8")
    return p


def million_open_a(d: Path) -> Path:
    p = d / "million_open_a.html"
    p.write_text("<html><body>" + "<a" * 1_000_000, encoding="utf-8")
    return p


def million_close(d: Path) -> Path:
    p = d / "million_close.html"
    p.write_text("<html><body>" + "</" * 1_000_000, encoding="utf-8")
    return p


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1-based numbering, object 1 the catalog) with a valid xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes) -> bytes:
    z = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z) + z + b"\nendstream"


def _glyph_pdf(glyphs: int, pages: int) -> bytes:
    content = b"BT /F1 1 Tf 0 0 Td (" + b"8" * glyphs + b") Tj ET"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    n_pages = pages
    page_ids = [5 + i for i in range(n_pages)]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids)
        + b"] /Count %d >>" % n_pages,
        font,
        _stream(content),
    ]
    for _ in range(n_pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    return _pdf(objects)


def glyph_bomb_pdf(d: Path) -> Path:
    """A ~2 kB PDF whose one text operator draws 1,000,000 glyphs."""
    p = d / "glyph_bomb.pdf"
    p.write_bytes(_glyph_pdf(1_000_000, 1))
    return p


def shared_stream_pdf(d: Path) -> Path:
    """300 pages sharing one 100,000-glyph content stream."""
    p = d / "shared_stream.pdf"
    p.write_bytes(_glyph_pdf(100_000, 300))
    return p


def zip_bomb_docx(d: Path, expands_to: int = 1 << 30) -> Path:
    """A DOCX whose word/document.xml is declared as 60 kB in the zip directory but inflates
    to `expands_to` bytes (the sizes in both headers are lies; the data is valid deflate)."""
    p = d / "zip_bomb.docx"
    head = (b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body><w:p><w:r>')
    chunk = b"<w:t>0</w:t>" * (1 << 16)  # 768 kB
    # Deflate blocks ended by a full flush are self-contained: one compressed chunk repeated
    # is a valid stream inflating to the chunk repeated (fast to make, ~1000:1).
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    k = max(1, (expands_to - len(head)) // len(chunk))
    crc = zlib.crc32(head)
    for _ in range(k):
        crc = zlib.crc32(chunk, crc)
    parts = [first, block * k, last]
    data = b"".join(parts)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", b"placeholder")
    raw = bytearray(buf.getvalue())
    # Rebuild: the placeholder member replaced by the bomb, declared size 60 kB.
    declared = 60_000
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        types = z.read("[Content_Types].xml")
    out = io.BytesIO()
    entries = []
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="word/document.xml"/></Relationships>')
    for name, body, crc_, size, method in (
            ("[Content_Types].xml", zlib.compress(types)[2:-4], zlib.crc32(types), len(types), 8),
            ("_rels/.rels", zlib.compress(rels)[2:-4], zlib.crc32(rels), len(rels), 8),
            ("word/document.xml", data, crc & 0xFFFFFFFF, declared, 8)):
        off = out.tell()
        fname = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc_,
                              len(body), size, len(fname), 0) + fname + body)
        entries.append((fname, off, crc_, len(body), size, method))
    cd = out.tell()
    for fname, off, crc_, csize, size, method in entries:
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc_,
                              csize, size, len(fname), 0, 0, 0, 0, 0, off) + fname)
    end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                          end - cd, cd, 0))
    p.write_bytes(out.getvalue())
    return p


def fifo_txt(d: Path) -> Path:
    p = d / "fifo.txt"
    os.mkfifo(p)
    return p


def charset_undefined_html(d: Path) -> Path:
    p = d / "charset_undefined.html"
    body = report_text().replace("\n", "<br>\n")
    p.write_bytes(b'<html><head><meta http-equiv="Content-Type" content="text/html; '
                  b'charset=undefined"></head><body>' + body.encode("utf-8") + b"</body></html>")
    return p


def digit_run(d: Path) -> Path:
    """A real report holding a 5,000-digit run where a value stands (after a row's label),
    and one in its narrative."""
    import re

    p = d / "digit_run.txt"
    text, n = re.subn(r"(行政许可\s*)\d+", lambda m: m[1] + "7" * 5000, report_text(), count=1)
    assert n == 1
    p.write_text("编号" + "9" * 5000 + "\n" + text, encoding="utf-8")
    return p


def utf16_bom(d: Path) -> Path:
    p = d / "utf16_bom.txt"
    p.write_bytes(report_text().encode("utf-16"))  # BOM + little endian, as Notepad saves
    return p


def utf16_no_bom(d: Path) -> Path:
    p = d / "utf16_no_bom.txt"
    p.write_bytes(report_text().encode("utf-16-le"))
    return p


def big5(d: Path) -> Path:
    """The report in traditional characters, Big5-encoded (characters Big5 cannot hold
    are dropped)."""

    import opencc

    trad = opencc.OpenCC("s2t").convert(report_text())
    p = d / "big5.txt"
    p.write_bytes(trad.encode("big5", errors="ignore"))
    return p


def stray_bytes(d: Path) -> Path:
    """A UTF-8 report with three stray bytes in its narrative (first paragraph)."""
    raw = report_text().encode("utf-8")
    at = raw.index("。".encode()) + 3
    p = d / "stray_bytes.txt"
    p.write_bytes(raw[:at] + b"\xff\xfe\x80" + raw[at:])
    return p


def big_text(d: Path, mb: int = 40) -> Path:
    """A large text file (a report repeated, `mb` MB)."""
    p = d / "big_text.txt"
    unit = (report_text() + "\n").encode("utf-8")
    with p.open("wb") as f:
        for _ in range(mb * 2**20 // len(unit)):
            f.write(unit)
    return p


#: name -> generator; each makes one input in the given folder.
CASES: dict[str, Callable[[Path], Path]] = {
    "one_long_line": one_long_line,
    "nested_tables": nested_tables,
    "million_open_a": million_open_a,
    "million_close": million_close,
    "glyph_bomb_pdf": glyph_bomb_pdf,
    "shared_stream_pdf": shared_stream_pdf,
    "zip_bomb_docx": zip_bomb_docx,
    "fifo_txt": fifo_txt,
    "charset_undefined_html": charset_undefined_html,
    "digit_run": digit_run,
    "utf16_bom": utf16_bom,
    "utf16_no_bom": utf16_no_bom,
    "big5": big5,
    "stray_bytes": stray_bytes,
    "big_text": big_text,
}
