"""OCR of scanned reports (issue 19): scanned fixtures are made at test time from the golden
PDF (pages rendered to images with pypdfium2, one turned by a degree and speckled), and
every cell must equal the hand-written golden value or be flagged: 0 silent.

OCR is slow on a shared CPU: the default suite reads two page images (one mixed PDF, read
once per module) and one small synthetic image; bench/ocr.py measures whole reports.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

import extractor
from extractor.evaluate.expected import cell_reading, expected_cells, load_expected
from extractor.ingest.ocr.crop import crop_data_uri
from extractor.ingest.reader import IngestError, load_bytes
from extractor.layout import with_rows
from extractor.mapping.report import extract as extract_cells
from extractor.schema import CellState, CellStatus, OcrReading, iter_cells
from verify import verify

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_PDF = ROOT / "golden" / "inputs" / "huaian_gov_2024.pdf"
GOLDEN = ROOT / "golden" / "expected" / "huaian_gov_2024.pdf.json"
#: 1-based pages of the golden PDF turned into images: section 二 and most of section 三.
SCANNED = (3, 4)


def _scan(page: pdfium.PdfPage, tilt: float = 0.0, noise: bool = False) -> Image.Image:
    """A page as a scanner would give it: 200 dpi, optionally askew and speckled."""
    img = page.render(scale=200 / 72).to_pil().convert("L")
    if tilt:
        img = img.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if noise:
        rng = np.random.default_rng(19)
        a = np.asarray(img).astype(np.int16)
        a = a + rng.normal(0, 6, a.shape).astype(np.int16)
        specks = rng.random(a.shape) < 0.0005
        a[specks] = 0
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return img.convert("RGB")


def _mixed_pdf() -> bytes:
    """The golden PDF with pages 3 and 4 replaced by their scans (page 4 turned by 1° and
    speckled); the other pages keep their text layer."""
    src = pdfium.PdfDocument(GOLDEN_PDF)
    scans = [_scan(src[SCANNED[0] - 1]), _scan(src[SCANNED[1] - 1], tilt=1.0, noise=True)]
    buf = io.BytesIO()
    scans[0].save(buf, format="PDF", save_all=True, append_images=scans[1:], resolution=200)
    scanned = pdfium.PdfDocument(buf.getvalue())
    out = pdfium.PdfDocument.new()
    out.import_pages(src, [0, 1])
    out.import_pages(scanned, [0, 1])
    out.import_pages(src, list(range(SCANNED[1], len(src))))
    result = io.BytesIO()
    out.save(result)
    return result.getvalue()


@pytest.fixture(scope="module")
def mixed() -> tuple[bytes, extractor.Record]:
    raw = _mixed_pdf()
    return raw, extractor.extract(raw, name="huaian_mixed.pdf")


def test_mixed_pdf_every_cell_is_the_golden_value_or_flagged(mixed):
    _, record = mixed
    expected = expected_cells(load_expected(GOLDEN))
    silent = []
    correct = 0
    for cell in iter_cells(record.tables):
        if cell_reading(cell) == expected[cell.path]:
            correct += cell.status is not CellStatus.FLAGGED
        elif cell.status is not CellStatus.FLAGGED:
            silent.append((cell.path, cell.raw, expected[cell.path]))
    assert silent == []
    # OCR that flagged everything would be useless: the clean tables read right.
    assert correct >= 190, correct


def test_mixed_pdf_marks_its_ocr_pages_and_cells(mixed):
    _, record = mixed
    assert record.meta.ocr is True
    assert record.meta.ocr_pages == list(SCANNED)
    assert bool(extractor.to_frame(record)["ocr"].iloc[0]) is True  # the exports say so
    for cell in iter_cells(record.tables):
        if cell.page in SCANNED and cell.state is not CellState.MISSING:
            assert cell.ocr is not None, cell.path
            assert cell.ocr.page == cell.page
            x0, y0, x1, y1 = cell.ocr.bbox
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
        else:
            assert cell.ocr is None, cell.path
    # Section 二 is on page 3 (a scan), section 四 on page 5 (text).
    assert record.tables.s2.regulations.issued.ocr is not None
    assert record.tables.s4.review.total.ocr is None
    assert record.tables.s3.new_received.total.ocr is not None


def test_an_ocr_cell_is_verified_only_where_an_identity_holds(mixed):
    _, record = mixed
    passed = {p for c in record.checks if c.outcome == "pass" for p in c.paths}
    ocr_cells = [c for c in iter_cells(record.tables) if c.ocr is not None]
    assert ocr_cells
    for cell in ocr_cells:
        if cell.status is CellStatus.VERIFIED:
            assert cell.path in passed
    # Section 二 has no identity: its OCR'd numbers are at best grounded.
    assert record.tables.s2.licensing.decisions.status in (CellStatus.GROUNDED, CellStatus.FLAGGED)
    assert record.tables.s2.licensing.decisions.status is not CellStatus.VERIFIED


def test_the_crop_of_a_cell_is_its_box_on_the_page_image(mixed):
    raw, record = mixed
    cell = record.tables.s2.licensing.decisions
    uri = crop_data_uri(raw, cell)
    assert uri is not None and uri.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    w, h = img.size
    assert 0 < h < w < 600  # a cell of one row, not the page
    assert crop_data_uri(raw, record.tables.s4.review.total) is None


def test_the_review_page_shows_the_scan_beside_a_flag_on_ocr_cells(mixed, tmp_path):
    """A flag on cells read by OCR carries the crop of the scan around them; a flag on text-
    layer cells carries none."""
    from extractor.review.extras import with_crops
    from extractor.review.page import report_data
    from extractor.schema import CellStatus, Issue

    raw, record = mixed
    record = record.model_copy(deep=True)
    ocr_cell = record.tables.s2.licensing.decisions  # page 3: a scanned page
    text_cell = record.tables.s4.review.total  # a text page
    assert ocr_cell.ocr is not None and text_cell.ocr is None
    for cell in (ocr_cell, text_cell):
        cell.status = CellStatus.FLAGGED
    record.flags = [Issue(rule="OCR", key="OCR:x", message="m", paths=[ocr_cell.path]),
                    Issue(rule="I1", key="I1:x", message="m", paths=[text_cell.path])]
    source = tmp_path / "scan.pdf"
    source.write_bytes(raw)
    data = report_data(record)
    with_crops(data, record, source)
    on_scan, on_text = data["flags"]
    assert on_scan["image"].startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(on_scan["image"].split(",", 1)[1])))
    assert 0 < img.size[1] < img.size[0] < 600  # the cell, not the page
    assert "image" not in on_text


def _table_png() -> bytes:
    """A ruled table of numbers drawn with PIL: a header cell spanning two columns, a blank
    cell, a lone 0."""
    font = ImageFont.load_default(size=30)
    img = Image.new("RGB", (900, 400), "white")
    d = ImageDraw.Draw(img)
    xs, ys = [50, 350, 600, 850], [50, 150, 250, 350]
    for y in ys:
        d.line([(xs[0], y), (xs[-1], y)], fill="black", width=3)
    for i, x in enumerate(xs):
        # the rule between columns 2 and 3 stops below the header row: a merged header cell
        d.line([(x, ys[1] if i == 2 else ys[0]), (x, ys[-1])], fill="black", width=3)
    d.text((380, 80), "TOTAL", font=font, fill="black")
    for row, values in ((1, ("3001", "53", "")), (2, ("447228", "0", "96171.6"))):
        for col, v in enumerate(values):
            d.text((xs[col] + 30, ys[row] + 30), v, font=font, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_an_image_input_is_read_as_tab_rows_with_boxes():
    doc = load_bytes(_table_png(), "scan.png")
    assert doc.format == "image" and doc.ocr_pages == [1]
    lines = doc.text.splitlines()
    assert lines == ["\tTOTAL", "3001\t53\t", "447228\t0\t96171.6"]
    start = doc.text.index("447228")
    box = next(b for b in doc.ocr_boxes if b.start == start)
    assert box.end == start + 6 and box.page == 1
    assert box.bbox[0] == pytest.approx(50 / 900, abs=0.01)
    assert box.bbox[2] == pytest.approx(350 / 900, abs=0.01)


def test_without_the_extra_a_scan_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    with pytest.raises(IngestError, match=r"pip install 'report-extractor\[ocr\]'"):
        load_bytes(_table_png(), "scan.png")


def test_ocr_off_keeps_a_scan_an_input_error():
    buf = io.BytesIO()
    Image.open(io.BytesIO(_table_png())).save(buf, format="PDF")
    with pytest.raises(IngestError, match="no text layer.*--ocr off"):
        load_bytes(buf.getvalue(), "scan.pdf", ocr="off")
    with pytest.raises(IngestError, match="OCR is off"):
        load_bytes(_table_png(), "scan.png", ocr="off")


def _text_report_extraction():
    doc = with_rows(load_bytes((ROOT / "golden/inputs/pinghu_health_2024.txt").read_bytes(),
                               "pinghu_health_2024.txt"))
    return extract_cells(doc), doc.text


def test_a_low_confidence_digit_is_flagged_unless_an_identity_holds():
    extraction, text = _text_report_extraction()
    unsure = OcrReading(page=1, bbox=(0.1, 0.1, 0.2, 0.2), confidence=0.6)
    sure = OcrReading(page=1, bbox=(0.1, 0.1, 0.2, 0.2), confidence=0.99)
    s2 = extraction.tables.s2.licensing.decisions  # no identity covers section 二
    s3 = extraction.tables.s3.new_received.total  # I3 holds in this report
    s2b = extraction.tables.s2.punishment.decisions
    assert s2.state is CellState.NUMBER and s3.state is CellState.NUMBER
    s2.ocr, s3.ocr, s2b.ocr = unsure, unsure, sure
    record = verify(extraction, text)
    assert record.tables.s2.licensing.decisions.status is CellStatus.FLAGGED
    assert any(r.startswith("OCR:") for r in record.tables.s2.licensing.decisions.reasons)
    assert "OCR:s2.licensing.decisions" in {f.key for f in record.flags}
    assert record.tables.s3.new_received.total.status is CellStatus.VERIFIED
    assert record.tables.s2.punishment.decisions.status is CellStatus.GROUNDED


def test_a_failed_identity_over_ocr_digits_is_an_extraction_error():
    extraction, text = _text_report_extraction()
    cell = extraction.tables.s3.new_received.natural_person
    # What a misread digit looks like: the text at the span says it (OCR's own text), the
    # page does not; the identity breaks.
    start, end = cell.span
    text = text[:start] + "9" * (end - start) + text[end:]
    cell.raw = "9" * (end - start)
    cell.value = int(cell.raw)
    cell.ocr = OcrReading(page=1, bbox=(0.1, 0.1, 0.2, 0.2), confidence=0.99)
    record = verify(extraction, text)
    failed = [f for f in record.flags if f.rule == "I3" and cell.path in f.paths]
    assert failed and all(f.verdict == "extraction_error" for f in failed)


def test_page_count_limit_refuses_before_reading(monkeypatch):
    from extractor.ingest import ocr
    from extractor.ingest.ocr import read

    monkeypatch.setattr(read, "MAX_OCR_PAGES", 1)
    frame = Image.open(io.BytesIO(_table_png()))
    buf = io.BytesIO()
    frame.save(buf, format="TIFF", save_all=True, append_images=[frame])
    with pytest.raises(IngestError, match="2 pages, over the 1-page OCR limit"):
        load_bytes(buf.getvalue(), "scan.tiff")
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 1)
    pdf = io.BytesIO()
    frame.convert("RGB").save(pdf, format="PDF", save_all=True, append_images=[frame.convert("RGB")])
    with pytest.raises(IngestError, match="2 pages need OCR, over the 1-page limit"):
        load_bytes(pdf.getvalue(), "scan.pdf")


def test_a_blank_page_of_a_text_pdf_needs_no_ocr(monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # no engine installed
    src = pdfium.PdfDocument(GOLDEN_PDF)
    out = pdfium.PdfDocument.new()
    out.import_pages(src)
    out.new_page(595, 842)  # a blank last page: no text, no image
    buf = io.BytesIO()
    out.save(buf)
    doc = load_bytes(buf.getvalue(), "with_blank.pdf")
    assert doc.ocr_pages == [] and doc.ocr_boxes == []
    assert doc.pages == 7
