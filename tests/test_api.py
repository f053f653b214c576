"""The public Python face: `extractor.extract` on a path, a text, or a file's bytes.

Expected values are the hand-read golden values of pinghu_health_2024 (2021 template):
行政许可 13, 行政处罚 1, 新收 1 自然人, agency 平湖市卫生健康局, year 2024.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import extractor

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "inputs"
PINGHU = GOLDEN / "pinghu_health_2024.txt"


def cells(record: extractor.Record) -> dict[str, extractor.Cell]:
    return {c.path: c for c in extractor.iter_cells(record.tables)}


def check_pinghu(record: extractor.Record) -> None:
    got = cells(record)
    assert record.meta.agency.value == "平湖市卫生健康局"
    assert record.meta.year.value == 2024
    assert record.meta.template == "2021"
    assert got["s2.licensing.decisions"].value == 13
    assert got["s2.punishment.decisions"].value == 1
    assert got["s3.new_received.natural_person"].value == 1
    assert got["s3.new_received.total"].value == 1
    assert got["s3.new_received.total"].status == extractor.CellStatus.VERIFIED


def test_a_path_object() -> None:
    record = extractor.extract(PINGHU)
    check_pinghu(record)
    assert record.meta.source_file == "pinghu_health_2024.txt"


def test_a_string_naming_a_file_is_read_as_that_file() -> None:
    record = extractor.extract(str(PINGHU))
    check_pinghu(record)
    assert record.meta.source_file == "pinghu_health_2024.txt"


def test_the_report_text_itself() -> None:
    record = extractor.extract(PINGHU.read_text(encoding="utf-8"), name="平湖.txt")
    check_pinghu(record)
    assert record.meta.source_file == "平湖.txt"
    # spans index the text the caller gave (normalized text here equals the source)
    c = cells(record)["s2.licensing.decisions"]
    assert c.span is not None
    assert record.text[c.span[0]:c.span[1]] == "13"


def test_bytes_of_a_file() -> None:
    record = extractor.extract(PINGHU.read_bytes(), name="pinghu.txt")
    check_pinghu(record)


def test_html_text_is_recognised_without_a_name() -> None:
    html = (GOLDEN / "shanghai_office_2019.html").read_text(encoding="utf-8")
    record = extractor.extract(html)
    assert record.meta.template == "2019"
    assert record.summary.numbers > 0  # read as a table, not as markup text


def test_not_a_report_raises() -> None:
    with pytest.raises(extractor.NotAReport):
        extractor.extract("今天天气很好。")


def test_an_empty_input_raises_an_ingest_error() -> None:
    with pytest.raises(extractor.IngestError, match="empty"):
        extractor.extract(b"   ", name="x.txt")


def test_a_missing_path_object_raises_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(extractor.IngestError, match="cannot read"):
        extractor.extract(tmp_path / "nope.txt")


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (GOLDEN.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### From Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(GOLDEN.parent.parent)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out.startswith("平湖市卫生健康局 2024 2021\n")


def test_frames_of_a_record_and_of_a_run(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    record = extractor.extract(PINGHU)
    wide = extractor.to_frame(record)
    assert len(wide) == 1
    assert wide.loc[0, "s2.licensing.decisions"] == 13
    assert wide.loc[0, "s2.licensing.decisions:status"] == "grounded"
    assert str(wide["s2.licensing.decisions"].dtype) == "Int64"
    from click.testing import CliRunner

    from extractor.cli import main

    assert CliRunner().invoke(main, ["run", str(PINGHU), "-o", str(tmp_path / "out")]).exit_code == 0
    run = extractor.read_run(tmp_path / "out")
    assert list(run["s2.licensing.decisions"]) == [13]
    long = extractor.read_run(tmp_path / "out", shape="long")
    assert len(long) == 200  # the 2021 template's 200 cells, one row each
