"""The two PDF renderers (pdfium, the default, and pdfplumber, the fallback) read every PDF
we can get to the same text, byte for byte, with the same page starts.

The reference is pdfplumber's own page API (`Page.find_tables`, `Page.extract_text_lines`),
written out here as the renderer read pages before the pdfium backend existed; both
renderers must equal it. The PDFs: the real golden PDF, the golden reports rendered by
reportlab (one 18-page document), LibreOffice Calc's PDF export of them, one PDF per
feature (fonts, spacing, scaling, forms, curves, rotation) and seeded random tables.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdf_samples import (
    FALLBACK_FEATURES,
    FEATURES,
    calc_xlsx,
    feature_pdf,
    golden_reports,
    golden_reports_pdf,
    random_tables_pdf,
)

from extractor.ingest.footer import is_footer
from extractor.ingest.pdf import pdfium, plumber
from extractor.ingest.pdf_reader import RENDERER_ENV, PdfError, render_pdf

GOLDEN_PDF = Path(__file__).resolve().parent.parent / "golden" / "inputs" / "huaian_gov_2024.pdf"


# -- the reference: pdfplumber's page API, as the renderer used it ------------------------


def _cell(cell: str | None) -> str:
    if cell is None:
        return ""
    return "".join(ln.strip() for ln in cell.split("\n") if ln.strip()).replace("\t", " ")


def _reference_page(page: pdfplumber.page.Page) -> list[str]:
    tables = [t for t in page.find_tables() if t.rows and len(t.rows[0].cells) >= 2]
    items: list[tuple[float, int, list[str]]] = []
    for t in tables:
        rows = ["\t".join(_cell(c) for c in row if c is not None) for row in t.extract()]
        items.append((t.bbox[1], 1, [r for r in rows if r.strip("\t")]))

    def outside(o: dict) -> bool:
        x, y = (o["x0"] + o["x1"]) / 2, (o["top"] + o["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in (t.bbox for t in tables))

    rest = page.filter(lambda o: o.get("object_type") != "char" or outside(o)) if tables else page
    for line in rest.extract_text_lines(return_chars=False):
        text = line["text"].strip()
        if text and not is_footer(text):
            items.append((line["top"], 0, [text]))
    items.sort(key=lambda it: (it[0], it[1]))
    return [ln for _, _, lines in items for ln in lines]


def reference(raw: bytes) -> tuple[str, list[int]]:
    parts, starts, pos = [], [], 0
    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        for page in pdf.pages:
            starts.append(pos)
            chunk = "\n".join(_reference_page(page)) + "\n"
            parts.append(chunk)
            pos += len(chunk)
    return "".join(parts), starts


def assert_both_renderers_read(path: Path, via: str = "pdfium", fallback: bool = True) -> str:
    """Both renderers read `path` as the reference does; `fallback=False` checks only the
    pdfium one (the pdfplumber renderer differs from the reference only in the shared
    layout step, checked on the smaller PDFs)."""
    raw = path.read_bytes()
    text, starts = reference(raw)
    for renderer in ("pdfium", "pdfplumber") if fallback else ("pdfium",):
        got = render_pdf(raw, renderer)
        assert got.text == text, f"{renderer} renders {path.name} differently"
        assert got.page_starts == starts, f"{renderer}: page starts of {path.name}"
        assert got.pages == len(starts)
        # pdfium read it itself (no silent fallback), or handed it over on purpose
        assert got.renderer == (via if renderer == "pdfium" else "pdfplumber")
    return text


# -- the PDFs -------------------------------------------------------------------------------


def test_the_golden_pdf_reads_the_same_through_pdfium() -> None:
    text = assert_both_renderers_read(GOLDEN_PDF)
    assert "3119" in text and text.count("\n") > 100


def assert_pdfminers_boxes(raw: bytes) -> int:
    """Every pdfium character box and ruling edge within 0.001 pt of pdfminer's, in order.

    Watched: the width is the font's advance (not the glyph's ink or PDFium's loose box),
    the height one font size x the text matrix, the bottom the baseline plus the descent
    of the font descriptor (0 when it says 0, as LibreOffice's do).
    """
    pages = list(zip(pdfium.page_objects(raw), plumber.page_objects(raw), strict=True))
    for ours, theirs in pages:
        assert [c["text"] for c in ours.chars] == [c["text"] for c in theirs.chars]
        for a, b in zip(ours.chars, theirs.chars, strict=True):
            for key in ("x0", "x1", "top", "bottom", "size", "doctop"):
                assert a[key] == pytest.approx(b[key], abs=1e-3), (a["text"], key)
            assert a["upright"] == b["upright"]
        assert len(ours.edges) == len(theirs.edges)
        for a, b in zip(ours.edges, theirs.edges, strict=True):
            assert (a["object_type"], a["orientation"]) == (b["object_type"], b["orientation"])
            for key in ("x0", "x1", "top", "bottom", "width", "height"):
                assert a[key] == pytest.approx(b[key], abs=1e-3)
    return len(pages)


def test_pdfium_characters_and_edges_have_pdfminers_boxes() -> None:
    assert assert_pdfminers_boxes(GOLDEN_PDF.read_bytes()) == 6


def test_the_golden_reports_rendered_by_reportlab(tmp_path: Path) -> None:
    path = golden_reports_pdf(tmp_path / "reports.pdf")
    text = assert_both_renderers_read(path, fallback=False)
    assert render_pdf(path.read_bytes()).pages >= 2 * len(golden_reports())
    assert text.count("本年新收政府信息公开申请数量") == len(golden_reports())


@pytest.mark.parametrize("kind", FEATURES)
def test_a_pdf_feature(kind: str, tmp_path: Path) -> None:
    path = feature_pdf(tmp_path / f"{kind}.pdf", kind)
    text = assert_both_renderers_read(
        path, via="pdfplumber" if kind in FALLBACK_FEATURES else "pdfium"
    )
    if kind == "actual_text":
        assert "glyphs 123" in text and "XYZ" not in text


@pytest.mark.parametrize("seed", range(6))
def test_random_ruled_tables(seed: int, tmp_path: Path) -> None:
    text = assert_both_renderers_read(random_tables_pdf(tmp_path / "t.pdf", seed))
    assert "\t" in text  # the tables were found


def test_libreoffice_calc_pdfs(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing in CI")
        pytest.skip("LibreOffice is not installed")
    books = [calc_xlsx(exp, tmp_path / f"{i}.xlsx") for i, exp in enumerate(golden_reports())]
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, books)],
        check=True, timeout=300, capture_output=True,
    )
    pdfs = sorted((tmp_path / "pdf").glob("*.pdf"))
    assert len(pdfs) == len(books)
    for path in pdfs:
        text = assert_both_renderers_read(path, fallback=False)
        assert "\t" in text
    assert_pdfminers_boxes(pdfs[0].read_bytes())


# -- limits and errors ----------------------------------------------------------------------


def _pages_pdf(path: Path, n: int) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for i in range(n):
        c.setFont("Helvetica", 12)
        c.drawString(72, 700, f"page {i + 1} of the report")
        c.showPage()
    c.save()
    return path


def test_three_hundred_pages_are_read_with_their_page_starts(tmp_path: Path) -> None:
    got = render_pdf(_pages_pdf(tmp_path / "long.pdf", 300).read_bytes())
    assert got.renderer == "pdfium" and got.pages == 300
    for i, start in enumerate(got.page_starts):
        assert got.text[start:].startswith(f"page {i + 1} of the report\n")


@pytest.mark.parametrize("renderer", ["pdfium", "pdfplumber"])
def test_over_three_hundred_pages_are_refused(renderer: str, tmp_path: Path) -> None:
    raw = _pages_pdf(tmp_path / "long.pdf", 301).read_bytes()
    with pytest.raises(PdfError, match="301 pages, over the 300-page limit"):
        render_pdf(raw, renderer)


def test_errors_through_the_pdfium_renderer(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    locked = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(locked), encrypt="secret")
    c.drawString(72, 700, "a report behind a password")
    c.showPage()
    c.save()
    with pytest.raises(PdfError, match="encrypted with a password"):
        render_pdf(locked.read_bytes(), "pdfium")
    with pytest.raises(PdfError, match="damaged or invalid PDF"):
        render_pdf(b"%PDF-1.7\n" + b"garbage " * 200, "pdfium")
    scan = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(scan))
    c.rect(72, 500, 300, 200, fill=1)
    c.showPage()
    c.save()
    with pytest.raises(PdfError, match="OCR is needed"):
        render_pdf(scan.read_bytes(), "pdfium")


def test_the_renderer_is_chosen_by_argument_or_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = GOLDEN_PDF.read_bytes()
    monkeypatch.delenv(RENDERER_ENV, raising=False)
    assert render_pdf(raw).renderer == "pdfium"
    monkeypatch.setenv(RENDERER_ENV, "pdfplumber")
    assert render_pdf(raw).renderer == "pdfplumber"
    assert render_pdf(raw, "pdfium").renderer == "pdfium"
    with pytest.raises(ValueError, match="unknown PDF renderer"):
        render_pdf(raw, "mupdf")


def test_pdfs_read_in_threads_read_as_one_at_a_time(tmp_path: Path) -> None:
    """PDFium is not thread-safe; a batch with the LLM pass reads its inputs in threads."""
    import concurrent.futures as cf

    raws = [GOLDEN_PDF.read_bytes(), feature_pdf(tmp_path / "form.pdf", "form").read_bytes()]
    alone = [render_pdf(raw).text for raw in raws]
    with cf.ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda raw: render_pdf(raw).text, raws * 3))
    assert together == alone * 3


def test_the_pdf_bench_runs_and_finds_the_renderers_agree() -> None:
    """A smoke test of `bench/pdf.py` (its figures are read by hand, never asserted)."""
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(root / "bench" / "pdf.py"), "--pages", "3",
                           "--repeat", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("huaian_gov_2024.pdf: 6 pages; pdfium ")
    assert lines[1].startswith("generated_3.pdf: 3 pages; pdfium ")
    assert all(ln.endswith("identical text and page starts: True") for ln in lines[:2])
    assert lines[2].startswith("pdf: pdfium ") and lines[2].endswith("on generated_3.pdf")


# -- the pieces written for speed, against pdfplumber's own --------------------------------


_COORDS = st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 7.25])


@st.composite
def _ruled_edges(draw: st.DrawFn) -> list[dict]:
    """Horizontal and vertical rules on a small grid: shared corners, spans, gaps, overlaps."""
    edges = []
    for _ in range(draw(st.integers(4, 16))):
        fixed, a, b = draw(_COORDS), draw(_COORDS), draw(_COORDS)
        lo, hi = min(a, b), max(a, b)
        if draw(st.booleans()):
            edges.append({"orientation": "h", "x0": lo, "x1": hi, "top": fixed,
                          "bottom": fixed, "width": hi - lo, "height": 0.0})
        else:
            edges.append({"orientation": "v", "x0": fixed, "x1": fixed, "top": lo,
                          "bottom": hi, "width": 0.0, "height": hi - lo})
    return edges


@settings(max_examples=300, deadline=None)
@given(_ruled_edges())
def test_the_cells_of_ruled_lines_are_pdfplumbers(edges: list[dict]) -> None:
    from pdfplumber.table import edges_to_intersections, intersections_to_cells

    from extractor.ingest.pdf.layout import _intersections_to_cells

    intersections = edges_to_intersections(edges, 1, 1)
    assert _intersections_to_cells(intersections) == intersections_to_cells(intersections)


def test_the_budget_checks_parse_serves_only_its_own_document(tmp_path: Path) -> None:
    """The text budget check keeps its pdfminer parse for the fonts of the document read
    next; another document is read with its own fonts (not handed to pdfplumber)."""
    from extractor.ingest.pdf_budget import check_text_budget

    other = feature_pdf(tmp_path / "helvetica.pdf", "helvetica").read_bytes()
    expected = reference(other)
    check_text_budget(GOLDEN_PDF.read_bytes())
    got = render_pdf(other)
    assert (got.renderer, got.text, got.page_starts) == ("pdfium", *expected)
    check_text_budget(other)
    got = render_pdf(other)
    assert (got.renderer, got.text, got.page_starts) == ("pdfium", *expected)


_CHAR_TEXTS = st.sampled_from(["本", "年", "a", "1", " ", "\u3000", "", "ﬁ", "fi", "-", "\t"])
_CHAR_COORDS = st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.9, 3.0, 3.1, 5.0, 6.0, 9.5, 12.0, 30.0])


@st.composite
def _cell_chars(draw: st.DrawFn) -> list[dict]:
    """Characters of a table cell: near and far in both directions, overlapping, out of
    order, blank, empty, ligatures; now and then one not upright."""
    chars = []
    for _ in range(draw(st.integers(0, 14))):
        x0, top = draw(_CHAR_COORDS), draw(_CHAR_COORDS)
        w, h = draw(st.sampled_from([0.0, 1.0, 2.5, 10.0])), draw(st.sampled_from([1.0, 10.0]))
        upright = draw(st.sampled_from([True, True, True, True, False]))
        chars.append({"text": draw(_CHAR_TEXTS), "x0": x0, "x1": x0 + w, "top": top,
                      "bottom": top + h, "doctop": 100.0 + top, "size": h,
                      "upright": upright})
    return chars


@settings(max_examples=600, deadline=None)
@given(_cell_chars())
def test_the_text_of_a_cells_characters_is_pdfplumbers(chars: list[dict]) -> None:
    from pdfplumber.utils.text import extract_text

    from extractor.ingest.pdf.layout import _cell_chars_text

    assert _cell_chars_text(chars) == extract_text(chars)


def test_the_text_of_a_cells_characters_on_the_sample_pdfs(tmp_path: Path) -> None:
    """Every table cell of the golden PDF and of random ruled tables: the fast cell text is
    pdfplumber's `extract_text` of the same characters."""
    from pdfplumber.utils.text import extract_text

    from extractor.ingest.pdf import layout

    calls: list[list[dict]] = []
    fast = layout._cell_chars_text

    def spy(chars: list[dict]) -> str:
        calls.append(chars)
        return fast(chars)

    raws = [GOLDEN_PDF.read_bytes()] + [
        random_tables_pdf(tmp_path / f"r{seed}.pdf", seed).read_bytes() for seed in (1, 2)]
    layout._cell_chars_text = spy
    try:
        for raw in raws:
            for objects in pdfium.page_objects(raw):
                layout.page_lines(objects)
    finally:
        layout._cell_chars_text = fast
    assert len(calls) > 100
    for chars in calls:
        assert fast(chars) == extract_text(chars)


_GRID = (0.0, 10.0, 20.0, 30.0)


@st.composite
def _table_page(draw: st.DrawFn) -> object:
    """A page of rules on a 4 x 4 grid (some left out: spanning cells) and characters whose
    centres fall inside cells, on their borders and outside the table."""
    from extractor.ingest.pdf.layout import PageObjects

    edges = []
    for fixed in _GRID:
        for a, b in zip(_GRID, _GRID[1:], strict=False):
            if draw(st.integers(0, 4)):
                edges.append({"orientation": "h", "x0": a, "x1": b, "top": fixed, "bottom": fixed,
                              "width": b - a, "height": 0.0, "object_type": "line"})
            if draw(st.integers(0, 4)):
                edges.append({"orientation": "v", "x0": fixed, "x1": fixed, "top": a, "bottom": b,
                              "width": 0.0, "height": b - a, "object_type": "line"})
    centres = st.sampled_from([-5.0, 0.0, 4.0, 5.0, 9.5, 10.0, 15.0, 20.0, 25.0, 30.0, 31.0])
    chars = []
    for _ in range(draw(st.integers(0, 30))):
        h, v = draw(centres), draw(centres)
        chars.append({"text": draw(st.sampled_from("本年12 ")), "x0": h - 1.0, "x1": h + 1.0,
                      "top": v - 1.0, "bottom": v + 1.0, "doctop": v - 1.0, "size": 2.0,
                      "upright": True})
    return PageObjects(chars, edges, (0, 0, 40.0, 40.0))


@settings(max_examples=300, deadline=None)
@given(_table_page())
def test_the_text_of_a_tables_cells_is_pdfplumbers(page: object) -> None:
    from extractor.ingest.pdf.layout import _SETTINGS, _extract, _TableFinder

    for table in _TableFinder(page, _SETTINGS).tables:  # type: ignore[arg-type]
        assert _extract(table, page) == table.extract()  # type: ignore[arg-type]


def _c_name(ctype: object) -> str:
    """A ctypes type of pypdfium2's bindings as the C declaration's words: a pointer to a
    PDFium handle is `void *`, FS_MATRIX is six floats."""
    import ctypes

    simple = {ctypes.c_int: "int", ctypes.c_uint: "unsigned int", ctypes.c_ulong: "unsigned long",
              ctypes.c_double: "double", ctypes.c_float: "float"}
    if ctype in simple:
        return simple[ctype]
    target = ctype._type_  # type: ignore[attr-defined]
    if target in simple:
        return simple[target] + " *"
    if target.__name__ == "struct__FS_MATRIX_":
        assert [f[1] for f in target._fields_] == [ctypes.c_float] * 6
        return "float *"
    assert target.__name__.startswith("struct_fpdf_"), target  # an opaque handle
    return "void *"


def test_each_pdfium_function_called_through_cffi_has_pypdfium2s_signature() -> None:
    """`cfuncs` declares each PDFium function's C signature by hand; pypdfium2's ctypes
    binding of the same function (generated from PDFium's headers) must say the same, so a
    float read as a double or an int as a pointer turns this red."""
    from extractor.ingest.pdf.cfuncs import _SIGNATURES, lib

    fns = lib()
    for name, (fn, signature) in _SIGNATURES.items():
        args = ", ".join(_c_name(t) for t in fn.argtypes)
        result = _c_name(fn.restype)
        assert signature == f"{result}{'' if result.endswith('*') else ' '}(*)({args})", name
        assert getattr(fns, name) is not None
    # two by hand from PDFium's fpdf_text.h and fpdf_edit.h
    assert _SIGNATURES["char_origin"][1] == "int (*)(void *, int, double *, double *)"
    assert _SIGNATURES["segment_point"][1] == "int (*)(void *, float *, float *)"
