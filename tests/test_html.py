"""HTML: a real parser, rowspan labels expanded, offsets into the file as stored."""

from pathlib import Path

from extractor.html_reader import render_html
from extractor.ingest import load
from extractor.parse import extract

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


def test_scripts_and_styles_are_not_text() -> None:
    text, _ = render_html("<script>var x = '行政许可';</script><style>p{}</style><p>正文</p>")
    assert text.strip() == "正文"


def test_gbk_encoded_html_page(tmp_path: Path, golden_inputs: Path) -> None:
    source = (golden_inputs / "shanghai_office_2019.html").read_text("utf-8")
    page = '<html><head><meta charset="gbk"></head><body>' + source + "</body></html>"
    f = tmp_path / "page.htm"
    f.write_bytes(page.encode("gbk"))
    doc = load(f)
    assert doc.encoding == "gb18030" and doc.format == "html"
    cells = {c.path: c for c in _cells(extract(doc))}
    assert cells["s3.new_received.natural_person"].value == 821
    c = cells["s2.procurement.amount"]
    start, end = c.source_span  # type: ignore[misc]
    assert page[start:end] == "251000元"


def _cells(extraction):
    from extractor.schema import iter_cells

    return iter_cells(extraction.tables)
