"""Render a Word .docx file to text: paragraphs as lines, tables as tab rows.

Built on python-docx, which reads tables as tables (a cell spanning columns appears once
per grid column, a vertically merged cell repeats its first row's cell); here a cell that
spans columns is written once, and a label spanning rows is repeated in each row it spans
(so "（三）不予公开" stands beside each of its sub-rows), as for HTML. A value spanning rows
is written in its first row; the rows below get the ditto mark "〃" (`MERGED`), which reads
as unreadable, never as a blank. Tables nested in a cell are rendered after its text.

The container is checked before python-docx opens it: a DOCX is a ZIP archive, and a
hostile one (a "zip bomb") can expand to gigabytes, so the declared sizes, the expansion
ratio and the entry count are bounded; then every entry is inflated in small chunks, counting
the bytes that actually come out (a directory can lie about sizes: zipfile would inflate up
to 2 GB in one call before noticing), and the XML is parsed by lxml with entity resolution
off (python-docx's parser).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

import docx
from docx.document import Document as DocxDocument
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from extractor.schema.values import MERGED, read_value

#: Bounds on the archive, checked from its directory before anything is expanded.
MAX_ENTRIES = 2_000
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_DOCUMENT_XML = 64 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for entries over 1 MB


class DocxError(Exception):
    """A DOCX that cannot be read, with the reason."""


def check_container(raw: bytes) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as e:
        raise DocxError("not a valid DOCX file: it is not a ZIP archive (damaged, or another "
                        "format with a .docx name)") from e
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise DocxError(f"refused: the DOCX archive has {len(infos)} entries (limit {MAX_ENTRIES})")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise DocxError(
                f"refused: the DOCX would expand to {total / 2**20:.0f} MB "
                f"(limit {MAX_TOTAL_UNCOMPRESSED // 2**20} MB); possibly a zip bomb"
            )
        for i in infos:
            if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                raise DocxError(
                    f"refused: {i.filename} expands {i.file_size // max(i.compress_size, 1)}× "
                    "(a zip bomb?)"
                )
        names = {i.filename for i in infos}
        if "word/document.xml" not in names:
            raise DocxError("not a Word document: the archive has no word/document.xml")
        if zf.getinfo("word/document.xml").file_size > MAX_DOCUMENT_XML:
            raise DocxError("refused: the document body is over "
                            f"{MAX_DOCUMENT_XML // 2**20} MB of XML")
        _inflate_bounded(zf, infos)


def _inflate_bounded(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate every entry 1 MB at a time, counting what comes out: an entry that yields more
    than its directory says, or an archive over the total bound, is refused before the bytes
    pile up (python-docx then reads entries known to be what they claim)."""
    total = 0
    for info in infos:
        got = 0
        try:
            with zf.open(info) as f:
                while chunk := f.read(1 << 20):
                    got += len(chunk)
                    total += len(chunk)
                    if got > info.file_size or total > MAX_TOTAL_UNCOMPRESSED:
                        raise DocxError(f"refused: {info.filename} inflates to more than its "
                                        "declared size (a zip bomb?)")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                NotImplementedError, RuntimeError) as e:
            hint = " (a zip bomb: the data is larger than declared?)" if "CRC" in str(e) else ""
            raise DocxError(f"damaged DOCX: {info.filename}: {e}{hint}") from e
        except zlib.error as e:
            raise DocxError(f"damaged DOCX: {info.filename}: {e}") from e


def _text(cell: _Cell) -> str:
    lines = [p.text.strip() for p in cell.paragraphs]
    return "".join(ln for ln in lines if ln).replace("\t", " ")


def _is_value(text: str) -> bool:
    return read_value(text) is not None


def _table_lines(table: Table) -> Iterator[str]:
    above: list[object] = []  # the <w:tc> of each grid column in the previous row
    for row in table.rows:
        cells = row.cells
        if any(c.tables for c in cells):
            seen: set[int] = set()
            for c in cells:
                if id(c._tc) not in seen:
                    seen.add(id(c._tc))
                    yield from _blocks(c)
            above = [c._tc for c in cells]
            continue
        out: list[str] = []
        prev_tc = None
        for i, c in enumerate(cells):
            if c._tc is prev_tc:
                continue  # the same cell again: it spans columns
            prev_tc = c._tc
            text = _text(c)
            continued = i < len(above) and above[i] is c._tc
            out.append(MERGED if continued and _is_value(text) else text)
        above = [c._tc for c in cells]
        if any(out):
            yield "\t".join(out)


def _blocks(container: DocxDocument | _Cell) -> Iterator[str]:
    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if text:
                yield text
        elif isinstance(item, Table):
            yield from _table_lines(item)


def render_docx(raw: bytes) -> str:
    check_container(raw)
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as e:  # noqa: BLE001 - python-docx raises many kinds on broken files
        raise DocxError(f"damaged DOCX: {type(e).__name__}: {e}") from e
    return "\n".join(_blocks(document)) + "\n"
