"""PDF and DOCX inputs: tables read as tables, and every broken file a clear error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from extractor.run.pipeline import process
from extractor.schema import InputError, Record, iter_cells

TITLE = "某某县卫生健康局2022年政府信息公开工作年度报告"


def cells_of(record: Record | InputError) -> dict:
    assert isinstance(record, Record), record
    return {c.path: c for c in iter_cells(record.tables)}


def error_of(path: Path) -> str:
    result = process(path)
    assert isinstance(result, InputError), "expected a per-file error"
    assert result.kind == "input"
    return result.error


# --- DOCX -------------------------------------------------------------------------------


def write_docx(path: Path, nested: bool = False) -> None:
    d = docx.Document()
    d.add_paragraph(TITLE)
    d.add_paragraph("二、主动公开政府信息情况")
    outer = d.add_table(rows=1, cols=1) if nested else None
    host = outer.cell(0, 0) if outer is not None else d
    t = host.add_table(rows=4, cols=4)
    t.cell(0, 0).merge(t.cell(0, 3)).text = "第二十条第（一）项"  # a header spanning 4 columns
    for i, text in enumerate(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]):
        t.cell(1, i).text = text
    for r, row in enumerate([["规章", "1", "", "3"], ["行政规范性文件", "4", "0", "12"]], start=2):
        for i, text in enumerate(row):
            t.cell(r, i).text = text
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    s3 = d.add_table(rows=3, cols=10)
    s3.cell(0, 0).merge(s3.cell(2, 0)).text = "三、本年度办理结果"  # a label spanning 3 rows
    s3.cell(0, 1).merge(s3.cell(1, 1)).text = "（三）不予公开"
    s3.cell(2, 1).text = "（四）无法提供"
    for r, (label, values) in enumerate([
        ("1.属于国家秘密", ["1", "0", "0", "0", "0", "0", "1"]),
        ("2.其他法律行政法规禁止公开", ["0", "0", "0", "0", "0", "0", "0"]),
        ("1.本机关不掌握相关政府信息", ["2", "1", "0", "0", "0", "0", "3"]),
    ]):
        s3.cell(r, 2).text = label
        for i, v in enumerate(values):
            s3.cell(r, 3 + i).text = v
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.save(str(path))


@pytest.mark.parametrize("nested", [False, True], ids=["table", "nested-table"])
def test_docx_tables_are_read_as_tables_with_merged_cells_expanded(tmp_path: Path, nested: bool) -> None:
    f = tmp_path / "r.docx"
    write_docx(f, nested=nested)
    record = process(f)
    cells = cells_of(record)
    assert record.meta.format == "docx" and record.meta.agency.value == "某某县卫生健康局"
    assert [cells[f"s2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == [1, None, 3]
    assert cells["s2.regulations.repealed"].state.value == "blank"
    assert cells["s3.denied_1.total"].value == 1
    assert cells["s3.denied_2.natural_person"].value == 0
    assert [cells[f"s3.unable_1.{c}"].value for c in ("natural_person", "commercial", "total")] == [2, 1, 3]
    for c in iter_cells(record.tables):
        if c.state.value == "number":
            assert record.text[c.span[0]:c.span[1]] == c.raw


def test_a_zip_bomb_docx_is_refused_without_expanding_it(tmp_path: Path) -> None:
    f = tmp_path / "bomb.docx"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(8):  # 8 MB of zeros compress to a few kB: over the ratio bound
                fh.write(chunk)
    assert "zip bomb" in error_of(f)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notzip.docx", b"this is plain text, not a zip archive at all" * 10, "not a ZIP archive"),
        ("empty-zip.docx", None, "no word/document.xml"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "save it as .docx"),
        ("truncated.docx", "cut", "damaged"),
    ],
)
def test_broken_docx_files_get_clear_errors(tmp_path: Path, name: str, content: object, words: str) -> None:
    f = tmp_path / name
    if content is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("hello.txt", "hi")
        f.write_bytes(buf.getvalue())
    elif content == "cut":
        good = tmp_path / "good.docx"
        write_docx(good)
        raw = good.read_bytes()
        # Keep the directory readable but corrupt the compressed body.
        f.write_bytes(raw[:200] + b"\x00" * 400 + raw[600:])
    else:
        f.write_bytes(content)  # type: ignore[arg-type]
    assert words in error_of(f)


# --- PDF --------------------------------------------------------------------------------


def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def write_pdf(path: Path, *, text: bool = True, encrypt: str | None = None) -> None:
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    if text:
        c.setFont(_font(), 12)
        c.drawString(72, 800, TITLE)
        c.drawString(72, 780, "二、主动公开政府信息情况")
    else:
        c.rect(72, 500, 300, 200, fill=1)  # a scanned page: an image, no text layer
    c.showPage()
    c.save()


def test_an_image_only_pdf_says_ocr_is_needed(tmp_path: Path) -> None:
    f = tmp_path / "scan.pdf"
    write_pdf(f, text=False)
    assert "OCR is needed" in error_of(f)


def test_an_encrypted_pdf_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "locked.pdf"
    write_pdf(f, encrypt="secret")
    assert "encrypted" in error_of(f)


def test_a_damaged_pdf_and_a_fake_pdf_are_clear_errors(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\n" + b"garbage " * 200)
    assert "PDF" in error_of(damaged)
    fake = tmp_path / "fake.pdf"
    fake.write_bytes("某某县2022年政府信息公开工作年度报告".encode() * 20)
    assert "not a PDF" in error_of(fake)
