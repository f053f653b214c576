"""Section headings and report metadata, in the forms real reports print them."""

from extractor.ingest.normalize import normalize
from extractor.layout.rows import recover_rows
from extractor.mapping.metadata import find_metadata
from extractor.mapping.sections import find_sections


def sections(text: str) -> list[str]:
    return [h.id for h in find_sections(recover_rows(normalize(text).text))]


def meta(text: str):
    n = normalize(text).text
    agency, year = find_metadata(recover_rows(n), n)
    return agency.value, year.value


def test_headings_found_when_repeated_shuffled_or_misspelt() -> None:
    text = "一、总体情况\n正文\n一、总体情况\n三、收到和处理政府信息公开申请情況\n二、主动公开政府信息情况\n"
    assert sections(text) == ["一", "一", "三", "二"]


def test_a_fragment_reusing_a_numeral_is_not_a_heading() -> None:
    assert sections("二、依申请公开\n") == []


def test_table_row_labels_are_not_headings() -> None:
    assert sections("\t一、本年新收政府信息公开申请数量\n\t0\n\t四、结转下年度继续办理\n\t0\n") == []


def test_title_split_over_lines() -> None:
    assert meta("海宁市卫生健康局2020年信息公开工作\n年度报告\n\n2020年，……") == ("海宁市卫生健康局", 2020)
    assert meta("\n沙河市卫生健康局\n\n2020年政府信息公开工作年度报告\n一、总体情况\n") == ("沙河市卫生健康局", 2020)


def test_title_cut_short_and_year_first() -> None:
    assert meta("普陀区卫生健康局\n\n2020年政府信息公开工作年度报\n") == ("普陀区卫生健康局", 2020)
    assert meta("2019年上海市人民政府办公厅政府信息公开工作年度报告\n") == ("上海市人民政府办公厅", 2019)


def test_a_word_a_converter_prints_above_the_title_is_not_the_agency() -> None:
    text = "正文\n2025 年上海市人民政府办公厅政府信息公开\n工作年度报告\n本年度报告根据……编制。\n"
    assert meta(text) == ("上海市人民政府办公厅", 2025)


def test_agency_and_year_only_in_the_first_sentence() -> None:
    text = "本年报是根据《条例》要求,由平湖市卫生健康局编制的2024年度政府信息公开年度报告。\n"
    assert meta(text) == ("平湖市卫生健康局", 2024)


def test_metadata_spans_point_at_the_printed_text() -> None:
    n = normalize("普陀区卫生健康局\n\n2020年政府信息公开工作年度报\n").text
    agency, year = find_metadata(recover_rows(n), n)
    assert n[agency.span[0]:agency.span[1]] == "普陀区卫生健康局"
    assert n[year.span[0]:year.span[1]] == "2020"
