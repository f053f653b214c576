"""PDFs built at test time for comparing the two PDF renderers (pdfium, pdfplumber).

- `golden_reports_pdf`: every fully present golden report written back out (render.py's
  blocks) as one multi-page reportlab document, with ruled tables and merged cells;
  `copies` repeats them to make a long document (300 pages for the page limit).
- `calc_xlsx`: the same reports as a bordered, merged-cell workbook, which LibreOffice
  Calc exports to PDF (embedded subset fonts, descriptors with zero ascent/descent).
- `feature_pdf`: one page of a PDF feature the renderers must agree on (standard fonts,
  character/word spacing, horizontal scaling, text rise, form XObjects, curves, dashed and
  filled-rule lines, scaled content, rotated text, a rotated page, /ActualText), then a
  second page.
- `random_tables_pdf`: seeded random ruled grids with row and column spans.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from render import Block, TCell, blocks, pdf_story, place, renderable

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
FONT = "STSong-Light"
FEATURES = ("helvetica", "spacing", "hscale", "rise", "form", "shapes", "scaled",
            "invisible", "clipped", "outside_page", "spaces", "rotated_text", "rotated_page",
            "actual_text", "drawn_twice", "line_end_hyphen", "outside_collection")
#: Features the pdfium backend hands to pdfplumber (it does not reproduce them exactly).
FALLBACK_FEATURES = {"rotated_text", "rotated_page", "actual_text", "drawn_twice",
                     "line_end_hyphen", "outside_collection"}


def golden_reports() -> list[dict[str, Any]]:
    out = []
    for p in sorted((GOLDEN / "expected").glob("*.json")):
        exp = json.loads(p.read_text("utf-8"))
        if renderable(exp):
            out.append(exp)
    return out


def _register() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _story(bs: list[Block]) -> list[Any]:
    return pdf_story(bs, FONT)


def _build(story: list[Any], path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=50, rightMargin=50, topMargin=50,
                      bottomMargin=50).build(story, onFirstPage=footer, onLaterPages=footer)


def golden_reports_pdf(path: Path, copies: int = 1, max_pages: int | None = None) -> Path:
    """The golden reports, `copies` times, each starting on a new page."""
    from reportlab.platypus import PageBreak

    _register()
    story: list[Any] = []
    for _ in range(copies):
        for exp in golden_reports():
            story.extend(_story(blocks(exp)))
            story.append(PageBreak())
    _build(story[:-1], path)
    if max_pages is not None:
        _truncate(path, max_pages)
    return path


def _truncate(path: Path, pages: int) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    for i in range(len(pdf) - 1, pages - 1, -1):
        pdf.del_page(i)
    out = path.with_suffix(".tmp")
    pdf.save(str(out))
    pdf.close()
    out.replace(path)


def calc_xlsx(exp: dict[str, Any], path: Path) -> Path:
    """A golden report as a bordered workbook: tables with merged cells, text in column A."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 2, 30)
    ws.set_column(3, 12, 9)
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter", "font_size": 8})
    row = 0
    for b in blocks(exp):
        if b.kind != "table":
            ws.write_string(row, 0, b.text)
            row += 1
            continue
        assert b.grid is not None
        placed, nrows, _ = place(b.grid)
        for p in placed:
            c, r0, c0 = p.cell, row + p.row, p.col
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_range(r0, c0, r0 + c.rowspan - 1, c0 + c.colspan - 1, c.text, cell)
            else:
                ws.write_string(r0, c0, c.text, cell)
        row += nrows + 1
    wb.close()
    return path


def _grid_lines(c: Any, x: float, y: float, rows: list[list[str]], widths: list[float],
                h: float = 18) -> None:
    for r, row in enumerate(rows):
        cx = x
        for w, text in zip(widths, row, strict=True):
            c.setFont(FONT, 9)
            c.drawString(cx + 3, y - (r + 1) * h + 5, text)
            cx += w
    total = sum(widths)
    for r in range(len(rows) + 1):
        c.line(x, y - r * h, x + total, y - r * h)
    cx = x
    for w in [*widths, 0]:
        c.line(cx, y, cx, y - len(rows) * h)
        cx += w


def feature_pdf(path: Path, kind: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register()
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(FONT, 14)
    c.drawString(72, 800, "某某县2023年政府信息公开工作年度报告")
    if kind == "helvetica":  # standard 14 fonts: pdfminer's Adobe metrics
        c.setFont("Helvetica", 11)
        c.drawString(72, 770, "Total 1,234 items; 56 pending (7.8%)")
        c.setFont("Times-Roman", 10)
        c.drawString(72, 750, "Times text 2023 9 10")
    elif kind == "spacing":
        t = c.beginText(72, 770)
        t.setFont(FONT, 11)
        t.setCharSpace(2.5)
        t.textLine("字间距 本年新收 12 件")
        t.setCharSpace(0)
        t.setWordSpace(6)
        t.textLine("word space 12 34 56")
        c.drawText(t)
    elif kind == "hscale":
        t = c.beginText(72, 770)
        t.setFont(FONT, 11)
        t.setHorizScale(80)
        t.textLine("水平缩放 本年新收 12 件 3 4")
        c.drawText(t)
    elif kind == "rise":
        t = c.beginText(72, 770)
        t.setFont(FONT, 11)
        t.textOut("上标")
        t.setRise(4)
        t.textOut("2")
        t.setRise(0)
        t.textLine("后文")
        c.drawText(t)
    elif kind == "form":  # a table inside a form XObject, drawn twice
        c.beginForm("tbl")
        _grid_lines(c, 72, 700, [["项目", "数量", "备注"], ["行政许可", "12", ""],
                                 ["行政处罚", "3", "无"]], [150, 80, 80])
        c.endForm()
        c.doForm("tbl")
        c.saveState()
        c.translate(0, -150)
        c.doForm("tbl")
        c.restoreState()
    elif kind == "shapes":  # curves, a dashed rectangle, a closed path, a filled rule
        c.roundRect(72, 600, 300, 100, 10)
        c.setDash(3, 2)
        c.rect(72, 450, 300, 100)
        c.setDash()
        p = c.beginPath()
        p.moveTo(72, 400)
        p.lineTo(372, 400)
        p.lineTo(372, 300)
        p.lineTo(72, 300)
        p.close()
        c.drawPath(p, stroke=1, fill=0)
        c.rect(80, 200, 300, 0.5, fill=1, stroke=0)
        c.circle(300, 150, 20)
        c.setFont(FONT, 9)
        for i, y in enumerate((380, 360, 340, 320)):
            c.drawString(80, y, f"第{i + 1}行 {i * 7} 件")
        _grid_lines(c, 72, 290, [["申请人", "自然人", "法人"], ["数量", "5", "0"]],
                    [100, 100, 100])
    elif kind == "scaled":
        c.saveState()
        c.translate(30, 20)
        c.scale(0.8, 0.8)
        _grid_lines(c, 72, 700, [["信息内容", "本年制发件数", "本年废止件数"], ["规章", "1", "0"]],
                    [150, 90, 90])
        c.restoreState()
    elif kind == "rotated_text":
        c.saveState()
        c.translate(300, 400)
        c.rotate(90)
        c.setFont(FONT, 10)
        c.drawString(0, 0, "竖排的标签文字")
        c.restoreState()
        c.drawString(72, 700, "正文 1 2 3")
    elif kind == "invisible":  # an OCR text layer (render mode 3) over a scan
        t = c.beginText(72, 700)
        t.setFont(FONT, 12)
        t.setTextRenderMode(3)
        t.textLine("看不见的文字 OCR 层 123")
        c.drawText(t)
    elif kind == "clipped":
        c.saveState()
        p = c.beginPath()
        p.rect(72, 690, 30, 20)
        c.clipPath(p, stroke=0)
        c.setFont(FONT, 12)
        c.drawString(72, 700, "被裁剪的很长的一行文字")
        c.restoreState()
    elif kind == "outside_page":
        c.setFont(FONT, 12)
        c.drawString(-200, 700, "页面外的文字")
        c.drawString(72, 900, "上方外")
        c.drawString(72, 650, "正常")
    elif kind == "spaces":
        c.setFont("Helvetica", 12)
        c.drawString(72, 700, "many    spaces   here   ")
        c.drawString(72, 680, "  lead")
        c.setFont(FONT, 12)
        c.drawString(72, 660, "中文　全角　空格")
    elif kind == "drawn_twice":  # "fake bold": PDFium's text page keeps one copy
        c.setFont(FONT, 12)
        c.drawString(72, 700, "本年新收 12 件")
        c.drawString(72, 700, "本年新收 12 件")
        c.drawString(72.3, 700, "本年新收 12 件")
    elif kind == "line_end_hyphen":  # PDFium reads the last "-" as U+0002
        c.setFont("Helvetica", 12)
        c.drawString(72, 700, "a hyphen-")
        c.drawString(72, 685, "ated word")
    elif kind == "outside_collection":  # no /ToUnicode: pdfminer reads "½" through Adobe-GB1
        c.setFont(FONT, 12)
        c.drawString(72, 700, "①②③ ½ ™ €")
    elif kind == "actual_text":  # PDFium would read "XYZ", pdfminer reads the glyphs
        c.setFont("Helvetica", 12)
        c._code.append("/Span <</ActualText (XYZ)>> BDC")
        c.drawString(72, 700, "glyphs 123")
        c._code.append("EMC")
    elif kind == "rotated_page":
        c.setPageRotation(90)
        _grid_lines(c, 72, 700, [["信息内容", "本年制发件数"], ["规章", "1"]], [150, 90])
    else:
        raise ValueError(kind)
    c.showPage()
    c.setFont(FONT, 10)
    c.drawString(72, 800, "第二页 正文")
    c.drawString(280, 30, "- 2 -")
    c.showPage()
    c.save()
    return path


_WORDS = ("本年新收", "商业企业", "其他", "合计", "行政许可", "0", "12", "3119", "96171.6",
          "（一）予以公开", "1.属于国家秘密", "", "/", "-47", "Total 5")


def random_tables_pdf(path: Path, seed: int, tables: int = 4) -> Path:
    """Seeded random ruled tables (spans included) between paragraphs."""
    rng = random.Random(seed)
    bs: list[Block] = [Block("title", f"随机表格测试{seed}")]
    for t in range(tables):
        nrows, ncols = rng.randint(2, 7), rng.randint(2, 8)
        taken = [[False] * ncols for _ in range(nrows)]
        grid: list[list[TCell]] = []
        for r in range(nrows):
            row: list[TCell] = []
            for c in range(ncols):
                if taken[r][c]:
                    continue
                rs = rng.choice((1, 1, 1, 2, 3)) if r + 1 < nrows else 1
                cs = rng.choice((1, 1, 1, 2)) if c + 1 < ncols else 1
                rs, cs = min(rs, nrows - r), min(cs, ncols - c)
                while any(taken[r + i][c + j] for i in range(rs) for j in range(cs)):
                    rs, cs = 1, 1
                for i in range(rs):
                    for j in range(cs):
                        taken[r + i][c + j] = True
                row.append(TCell(rng.choice(_WORDS), rowspan=rs, colspan=cs,
                                 header=rng.random() < 0.3))
            grid.append(row)
        bs.append(Block("para", f"表{t + 1}：说明文字 {rng.randint(0, 999)} 件"))
        bs.append(Block("table", grid=grid))
    _register()
    _build(_story(bs), path)
    return path
