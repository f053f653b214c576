"""The rules stages' hand-made shortcuts (issue 17) against what they stand for."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from extractor.ingest.normalize import _DELETIONS, _TABLE, _translate, normalize
from extractor.ingest.reader import load
from extractor.layout import with_rows
from extractor.mapping.metadata import _SENTENCE_PATTERNS, _sentences
from extractor.mapping.placement import _check as _placement_check
from extractor.mapping.report import NotAReport, extract
from extractor.run.pipeline import process
from extractor.schema import (
    LAYOUTS,
    Cell,
    CellState,
    Record,
    build_tables,
    iter_cells,
    summarize,
    title,
)
from extractor.schema.identities import Equation, detail_totals, instances
from extractor.schema.models import Tables2019, Tables2021, _validated_tables
from extractor.schema.templates import template_rows
from verify.patterns import _PRINTED, PatternIssue, _section_rows, blank_pattern_issues
from verify.verifier import _where, check

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted(p for d in ("inputs", "inputs-panel") for p in (ROOT / "golden" / d).iterdir()
                if p.is_file())


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_iter_cells_gives_every_cell_in_printed_order_however_the_tables_were_made(
        template: str) -> None:
    # printed order: sections 二, 三, 四, each row as the template lists it, columns in order
    expected = [f"{section}.{row}.{col}" for section in ("s2", "s3", "s4")
                for row, cols in LAYOUTS[template][section].items() for col in cols]
    cells = {p: Cell(path=p, state=CellState.BLANK) for p in reversed(expected)}
    built = build_tables(template, cells)
    validated = _validated_tables(template, {p: c.model_dump() for p, c in cells.items()})
    model = Tables2019 if template == "2019" else Tables2021
    for tables in (built, validated, built.model_copy(deep=True),
                   model.model_validate_json(built.model_dump_json())):
        assert [c.path for c in iter_cells(tables)] == expected
    assert [c for c in iter_cells(built)] == [cells[p] for p in expected]


def _is_zero(cell: Cell) -> bool:
    return cell.state is CellState.NUMBER and cell.value == 0


def _mixes(row: list[Cell]) -> bool:
    return (any(_is_zero(c) for c in row[:-1])
            and any(c.state is CellState.BLANK for c in row))


def _shown(row: list[Cell]) -> str:
    return " | ".join("∅" if c.state is CellState.BLANK else (c.raw or str(c.value)) for c in row)


def reference_blank_pattern_issues(cells: dict[str, Cell], template: str) -> list[PatternIssue]:
    """`blank_pattern_issues` as first written (the cells as models, read by attribute): each
    row compared with every sibling."""
    out: list[PatternIssue] = []
    for section, section_rows in _section_rows(template):
        rows = {r: [cells[p] for p in paths] for r, paths in section_rows
                if all(p in cells for p in paths)}
        complete = {r: row for r, row in rows.items()
                    if not any(c.state in (CellState.MISSING, CellState.UNREADABLE) for c in row)}
        for name, row in complete.items():
            blanks = [c for c in row if c.state is CellState.BLANK]
            if not blanks or not any(c.state in _PRINTED for c in row):
                continue
            siblings = [other for r, other in complete.items() if r != name]
            where = title(f"{section}.{name}")
            look = (f"a value may have been dropped or moved within this row (the identities "
                    f"count a blank as 0 and cannot tell): compare the row with the source "
                    f"({_shown(row)})")
            odd = [c for i, c in enumerate(row) if c.state is CellState.BLANK
                   and all(s[i].state in _PRINTED for s in siblings)]
            if siblings and odd and any(_is_zero(c) for s in siblings for c in s):
                empty = "、".join(title(c.path).split("·")[-1] for c in odd)
                message = (f"{where}: {empty} blank while every other row of the table prints "
                           f"that column, 0 for none; {look}")
            elif _mixes(row) and not any(_mixes(s) for s in siblings):
                empty = "、".join(title(c.path).split("·")[-1] for c in blanks)
                zeros = "、".join(title(c.path).split("·")[-1] for c in row[:-1] if _is_zero(c))
                message = (f"{where}: prints 0 in {zeros} but leaves {empty} blank, a mixture "
                           f"no other row of the table has; {look}")
            else:
                continue
            out.append(PatternIssue("PATTERN", f"PATTERN:{section}.{name}", message,
                                    tuple(c.path for c in row)))
    return out


def fields_of(cells: dict[str, Cell]) -> dict[str, dict[str, Any]]:
    """Each cell's fields by path, as the verifier hands them to its checks."""
    return {p: c.__dict__ for p, c in cells.items()}


def _golden_extractions() -> list[tuple[str, dict[str, Cell]]]:
    out = []
    for p in GOLDEN:
        try:
            ex = extract(with_rows(load(p)))
        except NotAReport:
            continue
        out.append((ex.tables.template, {c.path: c for c in iter_cells(ex.tables)}))
    return out


def test_blank_patterns_of_every_golden_report_are_the_reference_ones() -> None:
    extractions = _golden_extractions()
    assert len(extractions) >= 18
    for template, cells in extractions:
        assert blank_pattern_issues(fields_of(cells), template) == reference_blank_pattern_issues(cells, template)


#: A cell's state and value: 0 and 1 printed, blank, a placeholder, missing, unreadable.
_CELL = st.sampled_from([(CellState.NUMBER, 0), (CellState.NUMBER, 0), (CellState.NUMBER, 1),
                         (CellState.BLANK, None), (CellState.BLANK, None),
                         (CellState.PLACEHOLDER, None), (CellState.MISSING, None),
                         (CellState.UNREADABLE, None)])


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["2019", "2021"]), st.data())
def test_blank_patterns_of_generated_tables_are_the_reference_ones(template: str,
                                                                   data: st.DataObject) -> None:
    # a few row patterns repeated down the table, as publishers print them
    patterns = data.draw(st.lists(st.lists(_CELL, min_size=7, max_size=7), min_size=1,
                                  max_size=4))
    cells = {}
    for i, (_, _, paths) in enumerate(template_rows(template)):
        pattern = patterns[data.draw(st.integers(0, len(patterns) - 1))] if i % 3 else patterns[0]
        for p, (state, value) in zip(paths, pattern, strict=False):
            cells[p] = Cell(path=p, state=state, value=value, raw=None if value is None else str(value))
    assert blank_pattern_issues(fields_of(cells), template) == reference_blank_pattern_issues(cells, template)


@pytest.mark.parametrize(("key", "blank_side", "other"), [
    ("I3:granted", "left", 3),  # 总计 of 予以公开 left blank, its details add up to 3
    ("I2:total", "right", 5),  # every outcome row's 总计 left blank, 5 processed in all
])
def test_a_side_of_blank_detail_totals_is_not_assessable_whichever_side_it_is(
        key: str, blank_side: str, other: int) -> None:
    eq = next(e for e in instances("2021") if e.key == key)
    blank, printed = (eq.left, eq.right) if blank_side == "left" else (eq.right, eq.left)
    cells = {p: Cell(path=p, state=CellState.BLANK) for p in blank}
    values = [other] + [0] * (len(printed) - 1)
    cells |= {p: Cell(path=p, state=CellState.NUMBER, value=v, raw=str(v))
              for p, v in zip(printed, values, strict=True)}
    result = check(eq, cells, detail_totals("2021"))
    assert result.outcome == "not_assessable"
    assert result.message.endswith(
        f"not assessable: 总计 left blank on detail rows (a common practice) while the other "
        f"side is {other}")
    assert check(eq, cells).outcome == "fail"  # without the convention, blank counts as 0


def test_a_not_assessable_message_follows_the_states_of_its_cells() -> None:
    # The message is cached: by the equation and every cell's state, not the equation alone.
    eq = next(e for e in instances("2021") if e.key == "I3:granted")
    cells = {p: Cell(path=p, state=CellState.MISSING) for p in eq.paths}
    assert check(eq, cells).message == (
        "I3:granted (（一）予以公开) not assessable: （一）予以公开·总计 is missing, "
        "（一）予以公开·自然人 is missing, （一）予以公开·商业企业 is missing and 4 more")
    cells |= {p: Cell(path=p, state=CellState.NUMBER, value=1, raw="1") for p in eq.paths[1:]}
    assert check(eq, cells).message == (
        "I3:granted (（一）予以公开) not assessable: （一）予以公开·总计 is missing")
    cells[eq.paths[0]] = Cell(path=eq.paths[0], state=CellState.PLACEHOLDER, raw="/")
    assert check(eq, cells).message == (
        "I3:granted (（一）予以公开) not assessable: （一）予以公开·总计 is placeholder")
    cells[eq.paths[2]] = Cell(path=eq.paths[2], state=CellState.UNREADABLE, raw="1 2")
    assert check(eq, cells).message == (
        "I3:granted (（一）予以公开) not assessable: （一）予以公开·总计 is placeholder, "
        "（一）予以公开·商业企业 is unreadable")


def reference_check(eq: Equation, cells: dict[str, Cell], blank_ok: frozenset[str]) -> tuple[str, str]:
    """(outcome, message) of `check` as first written, every message spelt out."""
    side = [cells[p] for p in eq.paths]
    if any(c.state in (CellState.MISSING, CellState.PLACEHOLDER, CellState.UNREADABLE)
           for c in side):
        bad = [c for c in side if c.state in (CellState.MISSING, CellState.PLACEHOLDER,
                                              CellState.UNREADABLE)]
        names = ", ".join(f"{title(c.path)} is {c.state.value}" for c in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        return "not_assessable", f"{_where(eq)} not assessable: {names}{more}"

    def shown(cells_: list[Cell]) -> tuple[Decimal, str]:
        total = sum((Decimal(c.value or 0) for c in cells_), Decimal(0))
        titles = [title(c.path).split("·")[0] for c in cells_]
        if len(cells_) > 4:
            parts = [f"{t} {c.value}" for t, c in zip(titles, cells_, strict=True)
                     if c.state is not CellState.BLANK]
            if len(cells_) - len(parts):
                parts.append(f"{len(cells_) - len(parts)} blank(0)")
            return total, " + ".join(parts) + f" = {total}"
        terms = " + ".join(f"{t} {'blank(0)' if c.state is CellState.BLANK else c.value}"
                           for t, c in zip(titles, cells_, strict=True))
        return total, terms if len(cells_) == 1 else f"{terms} = {total}"

    n = len(eq.left)
    (left, left_text), (right, right_text) = shown(side[:n]), shown(side[n:])
    for this, other in ((side[:n], right), (side[n:], left)):
        if other != 0 and all(c.path in blank_ok and c.state is CellState.BLANK for c in this):
            return "not_assessable", (f"{_where(eq)} not assessable: 总计 left blank on detail "
                                      f"rows (a common practice) while the other side is {other}")
    if left == right:
        return "pass", f"{_where(eq)}: {left_text} = {right_text}"
    blanks = [title(c.path) for c in side if c.state is CellState.BLANK]
    note = f"; blank cells counted as 0 decide this: {', '.join(blanks[:4])}" if blanks else ""
    if len(blanks) > 4:
        note += f" and {len(blanks) - 4} more"
    return "fail", f"{_where(eq)} fails: {left_text} ≠ {right_text}{note}"


#: A cell's state and value, zeros and blanks most often (the checks cached by them).
_READING = st.sampled_from([
    (CellState.NUMBER, 0), (CellState.NUMBER, 0), (CellState.BLANK, None), (CellState.BLANK, None),
    (CellState.BLANK, 0), (CellState.NUMBER, 1), (CellState.NUMBER, 2),
    (CellState.NUMBER, Decimal("0")), (CellState.NUMBER, Decimal("0.0")),
    (CellState.NUMBER, Decimal("1.5")), (CellState.NUMBER, None), (CellState.PLACEHOLDER, None),
    (CellState.MISSING, None)])


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["2019", "2021"]), st.data())
def test_checks_are_the_reference_ones(template: str, data: st.DataObject) -> None:
    equations = instances(template)
    eq = equations[data.draw(st.integers(0, len(equations) - 1))]
    cells = {}
    for p in eq.paths:
        state, value = data.draw(_READING)
        cells[p] = Cell(path=p, state=state, value=value, raw=None if value is None else str(value))
    for blank_ok in (frozenset(), detail_totals(template)):
        result = check(eq, cells, blank_ok)
        assert (result.outcome, result.message) == reference_check(eq, cells, blank_ok)
        assert result.paths == list(eq.paths)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    [*"，。：；（）１２ＡＺ～\u3000\u00a0\u2002\u2212\ufe63\u2010\r\n\t\x0b\x0c ", "0", "a", "予", "以"]),
    max_size=60))
def test_the_one_for_one_map_is_str_translate(text: str) -> None:
    assert _translate(text) == text.translate(_TABLE)


def reference_normalize(text: str) -> tuple[str, list[int]]:
    """What normalization makes of a text, character by character: deletions dropped, the
    rest mapped one for one, each kept at its input offset."""
    keep = [True] * len(text)
    for m in _DELETIONS.finditer(text):
        keep[m.start():m.end()] = [False] * (m.end() - m.start())
    kept = [i for i, k in enumerate(keep) if k]
    return "".join(text[i] for i in kept).translate(_TABLE), kept


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["予以", "公开", "1", "，", "\n", "\r", "\r\n", "\u200b", "\ufeff",
                                 "\u00ad", "[", "]", "[bookmark: _GoBack]", "\u3000", " "]),
                max_size=30).map("".join))
def test_normalized_text_and_offsets_are_the_character_by_character_ones(text: str) -> None:
    norm = normalize(text)
    assert (norm.text, list(norm.offsets)) == reference_normalize(text)


_HEAD_PIECE = st.sampled_from(["区统计局", "卫生健康局", "现公布", "2023", "2024", "年", "年度", "政府", "政务",
                               "信息公开工作年度报告", "信息公开", "，", "。", " ", "\n", "由", "编制",
                               "x" * 30, "某" * 25])


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEAD_PIECE, max_size=30).map("".join))
def test_sentence_patterns_find_what_a_scan_of_the_whole_head_finds(head: str) -> None:
    for pat in _SENTENCE_PATTERNS:
        assert ([(m.span(), m.groupdict()) for m in _sentences(pat, head)]
                == [(m.span(), m.groupdict()) for m in pat.finditer(head)])


def test_the_report_name_sentence_is_found_far_into_the_head() -> None:
    head = "，" * 1000 + "现公布区统计局2023年政府信息公开工作年度报告。"
    (m,) = _sentences(_SENTENCE_PATTERNS[1], head)
    assert (m["agency"], m["year"]) == ("现公布区统计局", "2023")
    # the leftmost match: its agency is as long as it may be, 40 characters
    (m,) = _sentences(_SENTENCE_PATTERNS[1], "某" * 45 + "2023年政府信息公开工作年度报告")
    assert (m.start(), m["agency"]) == (5, "某" * 40)


def test_the_identity_search_sees_the_blank_total_convention_and_the_sums() -> None:
    eq = Equation("I3", "I3:granted", "", ("s3.granted.total",),
                  ("s3.granted.natural_person", "s3.granted.other"))
    totals = frozenset({"s3.granted.total"})
    blank_total = {"s3.granted.total": None, "s3.granted.natural_person": 2,
                   "s3.granted.other": Decimal("1.0")}
    assert _placement_check(eq, blank_total, totals) is None
    assert _placement_check(eq, blank_total, frozenset()) is False
    assert _placement_check(eq, {**blank_total, "s3.granted.total": 3}, totals) is True
    assert _placement_check(eq, {**blank_total, "s3.granted.other": "?"}, totals) is None
    nothing = {"s3.granted.total": None, "s3.granted.natural_person": 0,
               "s3.granted.other": None}
    assert _placement_check(eq, nothing, totals) is True  # the other side is 0: it holds


def _validated_twin(model: BaseModel) -> BaseModel:
    """The model validated from the fields it was given (what its constructor would make)."""
    return type(model)(**{name: getattr(model, name) for name in model.model_fields_set})


def test_the_models_built_without_validation_are_the_validated_ones() -> None:
    # the record, its summary, metadata and headings are made by `trusted_given`
    # constructors (positional): each equals the model validated from the same fields
    records = [r for r in (process(p) for p in GOLDEN) if isinstance(r, Record)]
    assert len(records) >= 18
    for record in records:
        made = [record, record.meta, record.summary, *record.sections]
        for model in made:
            twin = _validated_twin(model)
            assert twin == model
            assert twin.model_fields_set == model.model_fields_set
            assert twin.model_dump_json(exclude_unset=True) == model.model_dump_json(exclude_unset=True)
        # the counts as `summarize` counts the record's cells (a swapped count is caught)
        assert record.summary == summarize(record.tables)
        assert len(record.meta.sha256) == 64  # the fields in their places
        assert record.meta.format in ("text", "markdown", "html", "pdf", "docx")
