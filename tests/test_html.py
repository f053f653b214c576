"""HTML: a real parser, rowspan labels expanded, offsets into the file as stored."""

from pathlib import Path

from extractor.ingest.html_reader import render_html
from extractor.mapping.report import extract
from extractor.run.pipeline import process, read_document
from extractor.schema import Record, iter_cells

TABLE = (
    "<p>三、收到和处理政府信息公开申请情况</p><table><tr><td rowspan='2'>（三）不予公开</td>"
    "<td>1.属于国家秘密</td><td>14</td><td>&nbsp;</td></tr>"
    "<tr><td>2.其他法律行政法规禁止公开</td><td><span>1</span><span>2</span></td><td>3</td></tr>"
    "</table>"
)


def test_rowspan_labels_are_repeated_in_every_row_they_span() -> None:
    text, _ = render_html(TABLE)
    lines = text.strip().split("\n")
    assert lines[1].split("\t") == ["（三）不予公开", "1.属于国家秘密", "14", ""]
    assert lines[2].split("\t") == ["（三）不予公开", "2.其他法律行政法规禁止公开", "12", "3"]


def test_every_rendered_character_maps_to_its_source_offset() -> None:
    text, offsets = render_html(TABLE)
    i = text.index("14")
    assert TABLE[offsets[i]:offsets[i] + 2] == "14"
    j = text.index("12")  # split over two <span>s
    assert TABLE[offsets[j]] == "1" and TABLE[offsets[j + 1]] == "2"


def test_offsets_hold_after_a_presentational_attribute_that_spans_lines() -> None:
    # Word exports break long style attributes over lines; the parser reads them blanked.
    page = ("<p style='margin:0;\nmso-line-height:12pt'\nalign=center>标题</p>\n"
            "<table><tr><td width=72\nstyle='border:solid\n1.0pt'>（一）予以公开</td><td>14</td></tr></table>")
    text, offsets = render_html(page)
    for word in ("标题", "（一）予以公开", "14"):
        i = text.index(word)
        assert "".join(page[o] for o in offsets[i:i + len(word)]) == word


def test_scripts_and_styles_are_not_text() -> None:
    text, _ = render_html("<script>var x = '行政许可';</script><style>p{}</style><p>正文</p>")
    assert text.strip() == "正文"


def test_gbk_encoded_html_page(tmp_path: Path, golden_inputs: Path) -> None:
    source = (golden_inputs / "shanghai_office_2019.html").read_text("utf-8")
    page = '<html><head><meta charset="gbk"></head><body>' + source + "</body></html>"
    f = tmp_path / "page.htm"
    f.write_bytes(page.encode("gbk"))
    doc = read_document(f)
    assert doc.encoding == "gb18030" and doc.format == "html"
    cells = {c.path: c for c in _cells(extract(doc))}
    assert cells["s3.new_received.natural_person"].value == 821
    c = cells["s2.procurement.amount"]
    start, end = c.source_span  # type: ignore[misc]
    assert page[start:end] == "251000元"


def _cells(extraction):
    from extractor.schema import iter_cells

    return iter_cells(extraction.tables)


WORD_EXPORT = """<html><head><meta charset="gbk"><title>x</title></head><body>
<div class="nav"><ul><li><a href="/">首页</a></li><li>政务公开 12</li><li>2023 新闻</li></ul></div>
<table><tr><td>
<p class=MsoNormal><span>某某县卫生健康局</span><span>20</span><span>23</span><span>年政府信息公开工作年度报告</span></p>
<p>二、主动公开政府信息情况</p>
<table border=1>
<tr><td colspan=4><p><span style='font-size:10.5pt'>第二十条第（一）项</span></p></td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td><span>规章</span></td><td><span lang=EN-US>1</span><span lang=EN-US>2</span></td><td>&nbsp;</td><td><span>3</span></td></tr>
</table>
<p>五、存在的主要问题及改进情况</p>
</td></tr></table>
<div class="footer">版权所有 2023 联系电话 12345678</div>
</body></html>
"""


def test_a_word_export_inside_a_layout_table_with_site_navigation(tmp_path: Path) -> None:
    """Numbers split over <span>s, &nbsp; cells, inline styles, a GBK page, the report in a
    layout table nested in the page, navigation and footer with numbers around it."""
    f = tmp_path / "page.html"
    f.write_bytes(WORD_EXPORT.encode("gbk"))
    record = process(f)
    assert isinstance(record, Record), record
    cells = {c.path: c for c in iter_cells(record.tables)}
    assert (record.meta.agency.value, record.meta.year.value) == ("某某县卫生健康局", 2023)
    got = [(cells[f"s2.regulations.{c}"].state.value, cells[f"s2.regulations.{c}"].value)
           for c in ("issued", "repealed", "in_force")]
    assert got == [("number", 12), ("blank", None), ("number", 3)]
    s, e = cells["s2.regulations.issued"].source_span
    assert WORD_EXPORT[s:e].startswith("1") and "2" in WORD_EXPORT[s:e]  # spans the two <span>s
