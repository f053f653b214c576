"""Reading one cell: numbers, signed changes, amounts with units, blanks, placeholders."""

from decimal import Decimal

import pytest

from extractor.schema import CellState
from extractor.schema.values import as_amount, read_value


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("1297", 1297), ("减47", -47), ("-55", -55), ("+1", 1), ("增3", 3), ("1,234", 1234),
     (" 2 ", 2)],
)
def test_counts_and_signed_changes(text: str, value: int) -> None:
    r = read_value(text)
    assert r is not None and r.state is CellState.NUMBER and r.value == value


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("73.82万元", Decimal("73.82"), "万元"), ("251000元", Decimal("25.1"), "元"),
     ("1082.33万", Decimal("1082.33"), "万"), ("1424.4万元", Decimal("1424.4"), "万元")],
)
def test_amounts_are_normalised_to_wan_yuan_keeping_the_printed_unit(text, value, unit) -> None:
    r = read_value(text)
    assert r is not None and r.value == value and r.unit == unit
    assert str(r.value) == str(value)  # no exponent form such as 2.51E+1


def test_a_plain_integer_amount_becomes_a_decimal() -> None:
    r = as_amount(read_value("12"))  # type: ignore[arg-type]
    assert r.value == Decimal(12) and isinstance(r.value, Decimal)


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_blank_is_blank_not_zero(text: str) -> None:
    r = read_value(text.strip())
    assert r is not None and r.state is CellState.BLANK and r.value is None


@pytest.mark.parametrize("text", ["/", "—", "——", "无", "-", "\\"])
def test_placeholders_are_not_numbers(text: str) -> None:
    r = read_value(text)
    assert r is not None and r.state is CellState.PLACEHOLDER and r.value is None


@pytest.mark.parametrize("text", ["规章", "（一）予以公开", "1.属于国家秘密", "12a", "第二十条"])
def test_labels_are_not_values(text: str) -> None:
    assert read_value(text) is None


@pytest.mark.parametrize(
    ("text", "value", "note"),
    [("22（其中修订16件）", 22, "其中修订16件"), ("55（含自然失效 29 件）", 55, "含自然失效 29 件"),
     ("3 (含撤回1件)", 3, "含撤回1件")],
)
def test_a_number_with_a_bracketed_note_is_the_number_and_the_note_is_no_value(text, value, note) -> None:
    r = read_value(text)
    assert r is not None and r.state is CellState.NUMBER and r.value == value and r.note == note


def test_a_bracketed_unit_is_a_unit_and_brackets_without_words_are_not_a_note() -> None:
    r = read_value("12.5（万元）")
    assert r is not None and r.value == Decimal("12.5") and r.unit == "万元" and r.note is None
    assert read_value("1(2)") is None
    assert read_value("约2件（估）") is None
