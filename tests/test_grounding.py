"""Grounding: the source text at a cell's span must say the cell's value; every way it can
fail gives a reason a reviewer can act on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.schema import Cell, CellState
from verify.grounding import ground

TEXT = "行政许可\t13\t\t/\t减47\t251000元\t73.82\tabc"


def at(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def cell(state: CellState, value: int | Decimal | None, raw: str | None,
         span: tuple[int, int] | None, unit: str | None = None,
         path: str = "s2.licensing.decisions") -> Cell:
    return Cell(path=path, state=state, value=value, raw=raw, span=span, unit=unit)


def test_a_number_read_where_it_stands_is_grounded() -> None:
    assert ground(cell(CellState.NUMBER, 13, "13", at("13")), TEXT) is None


def test_a_negative_printed_with_jian_is_grounded() -> None:
    assert ground(cell(CellState.NUMBER, -47, "减47", at("减47")), TEXT) is None


def test_an_amount_in_yuan_is_grounded_in_wanyuan() -> None:
    c = cell(CellState.NUMBER, Decimal("25.1"), "251000元", at("251000元"), unit="元",
             path="s2.procurement.amount")
    assert ground(c, TEXT) is None


def test_an_amount_under_a_header_unit_is_grounded() -> None:
    c = cell(CellState.NUMBER, Decimal("73.82"), "73.82", at("73.82"), unit="万元",
             path="s2.fees.amount")
    assert ground(c, TEXT) is None


def test_missing_and_unreadable_claim_nothing() -> None:
    assert ground(cell(CellState.MISSING, None, None, None), TEXT) is None
    assert ground(cell(CellState.UNREADABLE, None, "abc", at("abc")), TEXT) is None


def test_no_span() -> None:
    assert ground(cell(CellState.NUMBER, 13, "13", None), TEXT) == "no source span"


@pytest.mark.parametrize("span", [(-1, 2), (5, 4), (len(TEXT), len(TEXT) + 1)])
def test_a_span_outside_the_text(span: tuple[int, int]) -> None:
    reason = ground(cell(CellState.NUMBER, 13, "13", span), TEXT)
    assert reason == f"span {span[0]}-{span[1]} lies outside the source text"


def test_the_source_reads_other_text_than_the_cell() -> None:
    s, e = at("13")
    reason = ground(cell(CellState.NUMBER, 12, "12", (s, e)), TEXT)
    assert reason == f"the source at {s}-{e} reads '13', the cell says '12'"


def test_a_blank_cell_over_printed_text() -> None:
    s, e = at("13")
    reason = ground(cell(CellState.BLANK, None, None, (s, e)), TEXT)
    assert reason == "cell is blank but the source reads '13'"


def test_a_blank_cell_over_nothing_is_grounded() -> None:
    s = TEXT.index("\t\t") + 1
    assert ground(cell(CellState.BLANK, None, "", (s, s)), TEXT) is None


def test_a_placeholder_over_a_number() -> None:
    s, e = at("13")
    reason = ground(cell(CellState.PLACEHOLDER, None, None, (s, e)), TEXT)
    assert reason == "cell is a placeholder but the source reads '13'"


def test_a_placeholder_over_a_slash_is_grounded() -> None:
    assert ground(cell(CellState.PLACEHOLDER, None, "/", at("/")), TEXT) is None


def test_a_number_over_text_that_is_not_one() -> None:
    s, e = at("abc")
    reason = ground(cell(CellState.NUMBER, 5, None, (s, e)), TEXT)
    assert reason == f"the source at {s}-{e} reads 'abc', which is not a number"


def test_a_value_the_text_does_not_say() -> None:
    s, e = at("13")
    reason = ground(cell(CellState.NUMBER, 31, None, (s, e)), TEXT)
    assert reason == "the source reads '13' = 13, the cell holds 31"


def test_an_amount_off_by_the_unit() -> None:
    # 251000元 is 25.1 万元; a reader that forgot the unit would hold 251000
    s, e = at("251000元")
    c = cell(CellState.NUMBER, Decimal(251000), None, (s, e), unit="元", path="s2.procurement.amount")
    assert ground(c, TEXT) == "the source reads '251000元' = 25.1000, the cell holds 251000"


def test_an_amount_under_a_yuan_header_is_grounded_scaled_to_wanyuan() -> None:
    # 73.82 printed in a column whose header says 元: the cell holds 0.007382 万元, and
    # grounding reads the unit from the cell (the fragment prints none)
    scaled = cell(CellState.NUMBER, Decimal("0.007382"), "73.82", at("73.82"), unit="元",
                  path="s2.fees.amount")
    assert ground(scaled, TEXT) is None
    unscaled = cell(CellState.NUMBER, Decimal("73.82"), "73.82", at("73.82"), unit="元",
                    path="s2.fees.amount")
    assert ground(unscaled, TEXT) == "the source reads '73.82' = 0.007382, the cell holds 73.82"
