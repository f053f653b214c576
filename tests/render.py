"""Write a golden report's values back out as a complete synthetic report, in several layouts.

The layout-invariance test renders every fully present golden file (no "MISSING" or
"UNREADABLE" cell) as HTML, DOCX, PDF and three text dumps, and expects the extractor to
read the golden values back from each. The tables are the official template tables of the
report's template version ("2019" or "2021"), with the printed labels, header rows and merged
cells of the templates published by the State Council General Office.

Cells are written as their golden reading says they were printed:

- a count as its digits ("-47" for a negative 2019 本年增/减);
- a blank as an empty cell;
- a placeholder as printed ("/");
- an amount: the header prints the official template's text (2021: 本年收费金额（单位：万元）,
  2019: 采购总金额 with no unit). A unit the header does not state is printed in the cell, in
  that unit ("1082.33万", "251000元"); an amount with no unit is printed bare (and, in 2021,
  under a header without the unit, so that no unit is read from it).

Tables are built once as a grid of anchored cells (`TCell` with rowspan/colspan, HTML-style:
each row lists only the cells that start in it) and each writer turns the grid into its
format. The text dumps write a grid row the way a word processor exports it: a merged cell
once, and one empty cell in every later row a rowspan covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

# -- the document model ---------------------------------------------------------------


@dataclass(frozen=True)
class TCell:
    """One printed table cell: its text and how many grid rows/columns it spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False  # a label or header cell: wrapped as a paragraph in PDF


Grid = list[list[TCell]]


@dataclass(frozen=True)
class Block:
    """A piece of the report: a paragraph ("title", "heading", "para") or a table."""

    kind: str
    text: str = ""
    grid: Grid | None = None


# -- printed labels of the official templates -----------------------------------------

S3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
S3_APPLICANTS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
S3_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("denied", "（三）不予公开", (
        "1.属于国家秘密",
        "2.其他法律行政法规禁止公开",
        "3.危及“三安全一稳定”",
        "4.保护第三方合法权益",
        "5.属于三类内部事务信息",
        "6.属于四类过程性信息",
        "7.属于行政执法案卷",
        "8.属于行政查询事项",
    )),
    ("unable", "（四）无法提供", (
        "1.本机关不掌握相关政府信息",
        "2.没有现成信息需要另行制作",
        "3.补正后申请内容仍不明确",
    )),
    ("not_processed", "（五）不予处理", (
        "1.信访举报投诉类申请",
        "2.重复申请",
        "3.要求提供公开出版物",
        "4.无正当理由大量反复申请",
        "5.要求行政机关确认或重新出具已获取信息",
    )),
)
S3_OTHER_2021 = (
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
)
S4_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)
NARRATIVE = (
    "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开工作。",
    "本机关按照条例要求主动公开政府信息，具体情况见下表。",
    "本机关依法办理政府信息公开申请，具体情况见下表。",
    "本年度政府信息公开行政复议、行政诉讼情况见下表。",
    "本机关将进一步完善工作机制，提升政务公开工作水平。",
    "本年度本机关未收取信息处理费，无其他需要报告的事项。",
)

#: Money units and their factor to 万元 (as GOLDEN.md normalises amounts).
_TO_WAN = {"万元": Decimal(1), "万": Decimal(1), "元": Decimal("0.0001")}

LAYOUT_NAMES = ("html", "docx", "pdf", "pipe", "tab", "cells")


# -- values -------------------------------------------------------------------------------


def renderable(exp: dict[str, Any]) -> bool:
    """True when every cell of the golden file is present and readable."""

    def bad(v: object) -> bool:
        if isinstance(v, dict) and "value" not in v:
            return any(bad(x) for x in v.values())
        if isinstance(v, list):
            return any(bad(x) for x in v)
        return v in ("MISSING", "UNREADABLE")

    return not bad(exp["values"])


def _plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 2.51E+5 -> "251000", 73.820 -> "73.82"."""
    return format(d.normalize(), "f")


def cell_text(v: object, header_unit: str | None = None) -> str:
    """How a golden value is printed in its cell (header_unit: the unit its header states)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v  # a placeholder, as printed
    if isinstance(v, dict):
        unit = v["unit"]
        if unit is None or unit == header_unit:
            return str(v["value"])
        return _plain(Decimal(v["value"]) / _TO_WAN[unit]) + unit
    return str(v)


def _fees_header_unit(exp: dict[str, Any]) -> str | None:
    """The unit the 2021 fees header prints: the official 万元, unless the amount has none."""
    fees = exp["values"]["s2"]["fees"]["amount"]
    if isinstance(fees, dict) and fees["unit"] is None:
        return None
    return "万元"


# -- tables ---------------------------------------------------------------------------------


def _row(label: str, values: list[object], widths: tuple[int, ...] | None = None,
         header_unit: str | None = None) -> list[TCell]:
    cells = [TCell(label, header=True)]
    for i, v in enumerate(values):
        span = widths[i] if widths else 1
        cells.append(TCell(cell_text(v, header_unit), colspan=span))
    return cells


def _head(texts: tuple[str, ...], widths: tuple[int, ...] | None = None) -> list[TCell]:
    return [TCell(t, colspan=widths[i] if widths else 1, header=True) for i, t in enumerate(texts)]


def _title_row(text: str, cols: int) -> list[TCell]:
    return [TCell(text, colspan=cols, header=True)]


def s2_grid(exp: dict[str, Any]) -> Grid:
    s2 = exp["values"]["s2"]

    def vals(row: str) -> list[object]:
        return list(s2[row].values())

    if exp["template"] == "2019":
        item = ("信息内容", "上一年项目数量", "本年增/减", "处理决定数量")
        return [
            _title_row("第二十条第（一）项", 4),
            _head(("信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量")),
            _row("规章", vals("regulations")),
            _row("规范性文件", vals("normative_documents")),
            _title_row("第二十条第（五）项", 4),
            _head(item),
            _row("行政许可", vals("licensing")),
            _row("其他对外管理服务事项", vals("other_services")),
            _title_row("第二十条第（六）项", 4),
            _head(item),
            _row("行政处罚", vals("punishment")),
            _row("行政强制", vals("coercion")),
            _title_row("第二十条第（八）项", 4),
            _head(("信息内容", "上一年项目数量", "本年增/减"), (1, 1, 2)),
            _row("行政事业性收费", vals("fees"), (1, 2)),
            _title_row("第二十条第（九）项", 4),
            _head(("信息内容", "采购项目数量", "采购总金额"), (1, 1, 2)),
            _row("政府集中采购", vals("procurement"), (1, 2)),
        ]
    unit = _fees_header_unit(exp)
    fees_head = "本年收费金额（单位：万元）" if unit else "本年收费金额"
    decisions = _head(("信息内容", "本年处理决定数量"), (1, 3))
    return [
        _title_row("第二十条第（一）项", 4),
        _head(("信息内容", "本年制发件数", "本年废止件数", "现行有效件数")),
        _row("规章", vals("regulations")),
        _row("行政规范性文件", vals("normative_documents")),
        _title_row("第二十条第（五）项", 4),
        decisions,
        _row("行政许可", vals("licensing"), (3,)),
        _title_row("第二十条第（六）项", 4),
        decisions,
        _row("行政处罚", vals("punishment"), (3,)),
        _row("行政强制", vals("coercion"), (3,)),
        _title_row("第二十条第（八）项", 4),
        _head(("信息内容", fees_head), (1, 3)),
        _row("行政事业性收费", vals("fees"), (3,), header_unit=unit),
    ]


def s3_grid(exp: dict[str, Any]) -> Grid:
    s3 = exp["values"]["s3"]

    def v(row: str) -> list[TCell]:
        return [TCell(cell_text(x)) for x in s3[row]]

    def lab(text: str, rowspan: int = 1, colspan: int = 1) -> TCell:
        return TCell(text, rowspan=rowspan, colspan=colspan, header=True)

    outcomes: Grid = [
        [lab("（一）予以公开", colspan=2), *v("granted")],
        [lab("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2),
         *v("partially_granted")],
    ]
    for key, group, subs in S3_GROUPS:
        for i, sub in enumerate(subs):
            first = [lab(group, rowspan=len(subs))] if i == 0 else []
            outcomes.append([*first, lab(sub), *v(f"{key}_{i + 1}")])
    if exp["template"] == "2019":
        outcomes.append([lab("（六）其他处理", colspan=2), *v("other_processing")])
    else:
        for i, sub in enumerate(S3_OTHER_2021):
            first = [lab("（六）其他处理", rowspan=3)] if i == 0 else []
            outcomes.append([*first, lab(sub), *v(f"other_processing_{i + 1}")])
    outcomes.append([lab("（七）总计", colspan=2), *v("total_processed")])
    outcomes[0].insert(0, lab("三、本年度办理结果", rowspan=len(outcomes)))
    return [
        [lab(S3_CORNER, rowspan=3, colspan=3), lab("申请人情况", colspan=7)],
        [lab("自然人", rowspan=2), lab("法人或其他组织", colspan=5), lab("总计", rowspan=2)],
        [lab(t) for t in S3_APPLICANTS],
        [lab("一、本年新收政府信息公开申请数量", colspan=3), *v("new_received")],
        [lab("二、上年结转政府信息公开申请数量", colspan=3), *v("carried_over")],
        *outcomes,
        [lab("四、结转下年度继续办理", colspan=3), *v("carried_forward")],
    ]


def s4_grid(exp: dict[str, Any]) -> Grid:
    s4 = exp["values"]["s4"]
    values = [
        TCell(cell_text(x))
        for row in ("review", "litigation_direct", "litigation_after_review")
        for x in s4[row]
    ]
    return [
        [TCell("行政复议", colspan=5, header=True), TCell("行政诉讼", colspan=10, header=True)],
        [*(TCell(t, rowspan=2, header=True) for t in S4_RESULTS),
         TCell("未经复议直接起诉", colspan=5, header=True),
         TCell("复议后起诉", colspan=5, header=True)],
        [TCell(t, header=True) for t in S4_RESULTS * 2],
        values,
    ]


def blocks(exp: dict[str, Any]) -> list[Block]:
    """The whole report: title, lead sentence, six sections with their tables."""
    year = exp["year"]
    out = [
        Block("title", f"{exp['agency']}{year}年政府信息公开工作年度报告"),
        Block("para", f"本年报中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"),
    ]
    tables = {1: s2_grid(exp), 2: s3_grid(exp), 3: s4_grid(exp)}
    for i, (heading, sentence) in enumerate(zip(HEADINGS, NARRATIVE, strict=True)):
        out.append(Block("heading", heading))
        out.append(Block("para", sentence))
        if i in tables:
            out.append(Block("table", grid=tables[i]))
    return out


# -- grid geometry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """An anchored cell at its grid position."""

    cell: TCell
    row: int
    col: int


def place(grid: Grid) -> tuple[list[Placed], int, int]:
    """Grid positions of every anchored cell, and the grid's (rows, columns)."""
    taken: set[tuple[int, int]] = set()
    placed: list[Placed] = []
    ncols = 0
    for r, row in enumerate(grid):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append(Placed(cell, r, c))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
            ncols = max(ncols, c)
    return placed, len(grid), ncols


def exported_rows(grid: Grid) -> list[list[str]]:
    """Each grid row as a word processor exports it to text: a merged cell once, an empty
    cell for every anchor a rowspan carries into a later row."""
    placed, nrows, _ = place(grid)
    rows: list[list[tuple[int, str]]] = [[] for _ in range(nrows)]
    for p in placed:
        rows[p.row].append((p.col, p.cell.text))
        for dr in range(1, p.cell.rowspan):
            rows[p.row + dr].append((p.col, ""))
    return [[text for _, text in sorted(r)] for r in rows]


# -- writers --------------------------------------------------------------------------------


def write_html(bs: list[Block], path: Path) -> None:
    parts = ['<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>年度报告</title></head>',
             "<body>"]
    for b in bs:
        if b.kind == "title":
            parts.append(f"<h1>{escape(b.text)}</h1>")
        elif b.kind == "heading":
            parts.append(f"<h2>{escape(b.text)}</h2>")
        elif b.kind == "para":
            parts.append(f"<p>{escape(b.text)}</p>")
        else:
            assert b.grid is not None
            parts.append('<table border="1" cellspacing="0">')
            for row in b.grid:
                tds = []
                for c in row:
                    attrs = ""
                    if c.rowspan > 1:
                        attrs += f' rowspan="{c.rowspan}"'
                    if c.colspan > 1:
                        attrs += f' colspan="{c.colspan}"'
                    tds.append(f"<td{attrs}>{escape(c.text)}</td>")
                parts.append("<tr>" + "".join(tds) + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")


def write_docx(bs: list[Block], path: Path) -> None:
    from docx import Document as DocxDocument

    doc = DocxDocument()
    for b in bs:
        if b.kind != "table":
            doc.add_paragraph(b.text)
            continue
        assert b.grid is not None
        placed, nrows, ncols = place(b.grid)
        table = doc.add_table(rows=nrows, cols=ncols)
        table.style = "Table Grid"
        for p in placed:
            if p.cell.rowspan > 1 or p.cell.colspan > 1:
                end = (p.row + p.cell.rowspan - 1, p.col + p.cell.colspan - 1)
                table.cell(p.row, p.col).merge(table.cell(*end))
        # Text after all merges (merging moves content); row.cells once per row, because
        # table.cell() walks the whole table on every call.
        cells = [row.cells for row in table.rows]
        for p in placed:
            if p.cell.text:
                cells[p.row][p.col].text = p.cell.text
        doc.add_paragraph("")
    doc.save(str(path))


_PDF_FONT = "STSong-Light"


def pdf_story(bs: list[Block], font: str = _PDF_FONT) -> list[Any]:
    """The blocks as a reportlab story (the font registered by the caller): paragraphs, and
    ruled tables with merged cells spanned."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=20, spaceBefore=6)
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5,
                                wordWrap="CJK")
    styles = {"title": title, "heading": heading, "para": body}
    width = A4[0] - 2 * 50

    story: list[Any] = []
    for b in bs:
        if b.kind != "table":
            story.append(Paragraph(escape(b.text), styles[b.kind]))
            continue
        assert b.grid is not None
        placed, nrows, ncols = place(b.grid)
        data: list[list[Any]] = [["" for _ in range(ncols)] for _ in range(nrows)]
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ]
        for p in placed:
            c = p.cell
            data[p.row][p.col] = Paragraph(escape(c.text), cell_style) if c.header else c.text
            if c.rowspan > 1 or c.colspan > 1:
                commands.append(("SPAN", (p.col, p.row),
                                 (p.col + c.colspan - 1, p.row + c.rowspan - 1)))
        if ncols == 10:  # section 三: three label columns, seven values
            widths = [36.0, 60.0, 150.0] + [(width - 246.0) / 7] * 7
        elif ncols == 4:  # section 二
            widths = [width * 0.31] + [width * 0.23] * 3
        else:
            widths = [width / ncols] * ncols
        story.append(Table(data, colWidths=widths, style=TableStyle(commands)))
        story.append(Spacer(1, 8))
    return story


def write_pdf(bs: list[Block], path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=50, rightMargin=50,
                      topMargin=50, bottomMargin=50,
                      title="政府信息公开工作年度报告").build(pdf_story(bs))


def _text_writer(row_line: Callable[[list[str]], str], table_end: str) -> Callable[..., None]:
    def write(bs: list[Block], path: Path) -> None:
        lines: list[str] = []
        for b in bs:
            if b.kind != "table":
                lines.append(b.text)
                continue
            assert b.grid is not None
            lines.extend(row_line(r) for r in exported_rows(b.grid))
            lines.append(table_end)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return write


def _pipe_line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _tab_line(cells: list[str]) -> str:
    return "\t".join(cells)


def _cells_lines(cells: list[str]) -> str:
    """One cell per line, each line starting with a tab; an empty line closes the row."""
    return "".join(f"\t{c}\n" for c in cells)


WRITERS: dict[str, tuple[str, Callable[[list[Block], Path], None]]] = {
    "html": (".html", write_html),
    "docx": (".docx", write_docx),
    "pdf": (".pdf", write_pdf),
    "pipe": (".txt", _text_writer(_pipe_line, "")),
    "tab": (".txt", _text_writer(_tab_line, "")),
    "cells": (".txt", _text_writer(_cells_lines, "")),
}


def render(exp: dict[str, Any], layout: str, directory: Path) -> Path:
    """Write the golden report `exp` in `layout` into `directory`; return the file's path."""
    if not renderable(exp):
        raise ValueError(f"{exp['file']}: golden file has missing or unreadable cells")
    suffix, writer = WRITERS[layout]
    stem = exp["file"].rsplit(".", 1)[0]
    path = directory / f"{stem}.{layout}{suffix}"
    writer(blocks(exp), path)
    return path
