"""Map recovered rows onto the template: the deterministic extractor.

One pass over the document's rows. Zones (section 二/三/四 tables) are entered by content,
not by headings, because headings repeat, are shuffled or missing. Inside a zone each row is
split into label cells and value cells; the label decides the template row (tolerant of
typos, numbering and split labels), and values are placed in template column order. A row
whose value count does not fit the template is not guessed at: its cells are flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from extractor.ingest.document import Document, Row, TextCell
from extractor.mapping.matching import bare, best_match, compact
from extractor.mapping.metadata import find_metadata
from extractor.mapping.placement import (
    Ambiguous,
    TooManyPlacements,
    glued_splits,
    orphan_assignments,
    resolve,
    vanished_blank_placements,
)
from extractor.mapping.sections import find_sections
from extractor.schema import (
    AMOUNT_FIELDS,
    LAYOUTS,
    ROW_TITLES,
    Cell,
    CellState,
    Extraction,
    Issue,
    ReportMeta,
    SectionHit,
    Subtotal,
    build_tables,
    template_paths,
)
from extractor.schema.labels import (
    S2_ROWS,
    S3_GROUPS,
    S3_HEADER_WORDS,
    S3_SUBROWS,
    S3_TOP_ROWS,
    TEMPLATE_EVIDENCE,
)
from extractor.schema.values import MONEY_UNITS, Reading, as_amount, normal_decimal, read_value


class NotAReport(Exception):
    """The text is not a government information-disclosure annual report."""


_SUBITEM = re.compile(r"^(\d{1,2})\s*[.、,]")
_HEADER_UNIT = re.compile(r"(?:单位[:：]?\s*|[(（])(万元|元)")
S4_CELLS = 15


@dataclass
class _Placed:
    """Value cells found for one template row."""

    row_key: str  # e.g. "s3.granted"
    values: list[TextCell]
    row: Row
    header_unit: str | None = None
    #: The template version the row's own table header belongs to, when it is not the
    #: report's (a report mixing both templates).
    foreign: str | None = None


@dataclass
class _Orphan:
    """A section 三 row whose label was lost: no label cell at all, or only fragments of a
    template label ("行政机关不再处理其政府信息公" from a label broken over a page)."""

    values: list[TextCell]
    row: Row
    fragments: list[str]


@dataclass
class _PublisherRow:
    """A subtotal row a publisher added to section 三, with the group it sums."""

    group: str
    label: str
    values: list[TextCell]
    row: Row


@dataclass
class _State:
    zone: str | None = None
    group: str | None = None
    s2_header: list[str] = field(default_factory=list)
    s4_values: list[TextCell] = field(default_factory=list)
    s4_rows: list[Row] = field(default_factory=list)
    placed: dict[str, _Placed] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    last_table_row: int = -1
    #: Section 三 rows in printed order: recognised row names and rows that lost their label.
    s3_sequence: list[str | _Orphan] = field(default_factory=list)
    subtotals: list[_PublisherRow] = field(default_factory=list)


def split_row(row: Row) -> tuple[list[TextCell], list[TextCell]]:
    """Label cells and value cells.

    Labels are the non-empty cells before the first printed value; everything after the
    last of them is a value cell, so text in a value position ("约2件") stays a (unreadable)
    value rather than becoming a label. A row with no printed value splits after its last
    label.
    """
    cells = row.cells
    first_value = next(
        (i for i, c in enumerate(cells)
         if c.text and (r := read_value(c.text)) is not None and r.state is not CellState.BLANK),
        len(cells),
    )
    last = -1
    for i, c in enumerate(cells[:first_value]):
        if c.text and read_value(c.text) is None:
            last = i
    labels = [c for c in cells[: last + 1] if c.text]
    return labels, cells[last + 1 :]


#: A year printed inside a column header: "本年(2023)制发件数", "本年度（2023年）…", "2023年收费金额".
_HEADER_YEAR = re.compile(r"(?:本年度?)?\(20\d\d年?度?\)|本年度|20\d\d年度?(?=制发件数|废止件数|处理决定数量|收费金额)")


def detect_template(text: str, year: int | None) -> tuple[str | None, list[str]]:
    flat = compact(text).replace("（", "(").replace("）", ")")
    flat = _HEADER_YEAR.sub("本年", flat)
    found = {v: [k for k in keys if k in flat] for v, keys in TEMPLATE_EVIDENCE.items()}
    evidence = [f"{v}: {k}" for v, ks in found.items() for k in ks]
    n19, n21 = len(found["2019"]), len(found["2021"])
    if n19 > n21:
        return "2019", evidence
    if n21 > n19:
        return "2021", evidence
    if year is not None:
        version = "2019" if year <= 2020 else "2021"
        return version, [*evidence, f"{version}: inferred from the report year {year}"]
    return None, evidence


def _is_s3_header(labels: list[TextCell]) -> bool:
    return any(bare(c.text) in S3_HEADER_WORDS for c in labels) or any("勾稽关系" in c.text or "申请人情况" in c.text for c in labels)


def _s3_row(labels: list[TextCell], st: _State, template: str) -> str | None:
    """The s3 row a label sequence names, tracking the （三）…（六） group context."""
    for c in labels:
        b = bare(c.text)
        for g, canon in S3_GROUPS.items():
            if any(b.startswith(x) or b == x for x in canon):
                st.group = g
    last = labels[-1]
    b = bare(last.text)
    m = _SUBITEM.match(compact(last.text))
    if m is not None or st.group is not None:
        # A sub-row's own label can name its group when the group label was lost or split
        # ("（四）无" | "法提供" across a page break).
        scores = {g: best_match(b, {g: subs})[1] for g, subs in S3_SUBROWS.items()}
        top_group = max(scores, key=lambda g: scores[g])
        if scores[top_group] >= 0.9 and (st.group is None or scores[top_group] > scores[st.group]):
            st.group = top_group
    if st.group is not None:
        subs = S3_SUBROWS[st.group]
        if m and 1 <= int(m.group(1)) <= len(subs):
            key = f"{st.group}_{m.group(1)}"
        else:
            key_match, _ = best_match(b, {f"{st.group}_{i + 1}": (s,) for i, s in enumerate(subs)})
            key = key_match or ""
        if st.group == "other_processing" and b in S3_GROUPS["other_processing"]:
            # The 2019 template's one （六）其他处理 row: its label is the group marker itself
            # (in a 2021 report, a section 三 printed in the 2019 template).
            return "other_processing"
        if key and b not in S3_GROUPS[st.group]:
            return key
    top, _ = best_match(b, S3_TOP_ROWS)
    if top is not None:
        st.group = None
        return top
    return None


#: Column headers of section 二 that only one template version prints.
S2_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量", "采购总金额"),
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"),
}


def _s2_header_version(header: list[str]) -> str | None:
    """The template version a section 二 table's header names, if exactly one."""
    flat = _HEADER_YEAR.sub("本年", compact("".join(header)).replace("（", "(").replace("）", ")"))
    versions = [v for v, words in S2_HEADER_WORDS.items() if any(w in flat for w in words)]
    return versions[0] if len(versions) == 1 else None


def _header_unit(header: list[str]) -> str | None:
    for h in header:
        m = _HEADER_UNIT.search(h)
        if m:
            return m.group(1)
    return None


def _record(st: _State, key: str, values: list[TextCell], row: Row, unit: str | None = None) -> None:
    if key in st.placed:
        prev = [c.text for c in st.placed[key].values]
        if prev != [c.text for c in values]:
            st.issues.append(
                Issue(
                    rule="DUPLICATE",
                    key=f"DUPLICATE:{key}",
                    message=f"row {ROW_TITLES.get(key, key)} appears twice with different values "
                    f"({' | '.join(prev)} vs {' | '.join(c.text for c in values)}); the first is kept",
                    span=(row.start, row.end),
                    severity="warning",
                )
            )
        return
    st.placed[key] = _Placed(key, values, row, unit)
    if key.startswith("s3."):
        st.s3_sequence.append(key[3:])


def _scan(doc: Document, template: str) -> _State:
    st = _State()
    for idx, row in enumerate(doc.rows):
        labels, values = ([c for c in row.cells if c.text], []) if row.is_line else split_row(row)
        if (st.zone == "s4" and labels and values_have_numbers(values)
                and all(_is_s4_header(c.text) for c in labels)):
            labels = []  # values printed under the 结果维持…总计 header of a one-cell-per-line dump
        label_text = "".join(compact(c.text) for c in labels)
        printed = any(c.text for c in values)
        if _table_header(st, labels, label_text, values, row.is_line):
            st.last_table_row = idx
            continue
        if row.is_line or (labels and not printed):
            _label_context(st, labels)
            if row.is_line or not values:
                continue
        if not labels:
            if st.zone == "s4" and len(st.s4_values) < S4_CELLS:
                st.s4_values.extend(_trim_padding(values, row, S4_CELLS - len(st.s4_values)))
                st.s4_rows.append(row)
                st.last_table_row = idx
            elif st.zone == "s3" and values_have_numbers(values):
                st.s3_sequence.append(_Orphan(values, row, []))
                st.last_table_row = idx
            continue
        if not values:
            continue
        if st.zone in (None, "s2"):
            key, _ = best_match(bare(labels[-1].text), S2_ROWS)
            if key is not None:
                st.zone = "s2"
                _record(st, f"s2.{key}", values, row, _header_unit(st.s2_header))
                version = _s2_header_version(st.s2_header)
                if version is not None and version != template:
                    st.placed[f"s2.{key}"].foreign = version
                st.last_table_row = idx
                continue
        if st.zone == "s3" and values_have_numbers(values) and (group := _subtotal_group(labels, st)):
            st.group = group
            st.subtotals.append(_PublisherRow(group, " ".join(c.text for c in labels), values, row))
            st.last_table_row = idx
            continue
        if st.zone in (None, "s2", "s3"):
            key = _s3_row(labels, st, template)
            if key is not None:
                st.zone = "s3"
                _record(st, f"s3.{key}", values, row)
                st.last_table_row = idx
                continue
        if st.zone == "s3" and values_have_numbers(values) and _fragments(labels, template):
            st.s3_sequence.append(_Orphan(values, row, [bare(c.text) for c in labels if bare(c.text)]))
            st.last_table_row = idx
            continue
        if st.zone in ("s2", "s3") and values_have_numbers(values):
            st.issues.append(
                Issue(
                    rule="UNRECOGNIZED",
                    key=f"UNRECOGNIZED:{row.start}",
                    message=f"a table row not in the template was skipped: {row.text[:80]}",
                    span=(row.start, row.end),
                    severity="warning",
                )
            )
    return st


_S3_NON_OUTCOME = ("new_received", "carried_over", "total_processed", "carried_forward")


@cache
def s3_row_words(template: str) -> dict[str, str]:
    """Each section 三 row of a template -> the bare label words it may be printed with
    (its own, its group's, and 本年度办理结果 for outcome rows), joined by a separator no
    fragment contains."""
    words: dict[str, str] = {}
    for row in LAYOUTS[template]["s3"]:
        group, _, n = row.rpartition("_")
        if row in S3_TOP_ROWS:
            own = S3_TOP_ROWS[row]
        elif row == "other_processing":
            own = S3_GROUPS[row]
        else:
            own = (*S3_GROUPS[group], S3_SUBROWS[group][int(n) - 1])
        extra = () if row in _S3_NON_OUTCOME else ("本年度办理结果",)
        words[row] = "\0".join((*own, *extra))
    return words


def _fragments(labels: list[TextCell], template: str) -> bool:
    """Every label cell is a piece of some section 三 row's label (a label broken apart by
    a page break or a converter), so the row's own label was lost."""
    pieces = [bare(c.text) for c in labels]
    words = s3_row_words(template).values()
    return any(pieces) and all(not p or any(p in w for w in words) for p in pieces)


_SUBTOTAL_WORDS = ("小计", "合计")


def _subtotal_group(labels: list[TextCell], st: _State) -> str | None:
    """The （三）…（六） group a publisher's subtotal row sums, if the row is one: a label with
    小计/合计 (its group named there or the current one), or a group label alone with values
    (except （六）其他处理, which is a row of the 2019 template: decided at placement)."""
    pieces = [bare(c.text) for c in labels]
    joined = "".join(pieces)
    named = [g for g, canon in S3_GROUPS.items() if any(x in joined for x in canon)]
    if any(w in joined for w in _SUBTOTAL_WORDS):
        return named[-1] if named else st.group
    groups = {x for canon in S3_GROUPS.values() for x in canon}
    if named and named[-1] != "other_processing" and all(
            not p or p in groups or p == "本年度办理结果" for p in pieces):
        return named[-1]
    return None


def _is_s4_header(text: str) -> bool:
    b = bare(text)
    return bool(b) and not _S4_WORD.sub("", b)  # nothing but header words


#: Words of section 四's header, whole or as a dump splits them ("结果" | "维持").
S4_HEADER_WORDS = frozenset((
    "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉",
    "复议后起诉", "结果", "维持", "纠正", "其他", "尚未", "审结", "审", "结"))
_S4_WORD = re.compile("|".join(sorted(S4_HEADER_WORDS, key=len, reverse=True)))


def _table_header(st: _State, labels: list[TextCell], label_text: str, values: list[TextCell],
                  is_line: bool) -> bool:
    """A table's header row (or line) enters its zone; True when the row is consumed.

    Lines of text must be short to count (a sentence may mention 第二十条 or 行政复议), except
    a flattened section 四 header, which names its columns.
    """
    if not labels:
        return False
    printed = any(c.text for c in values)
    if is_line and len(label_text) > 80:
        if "结果维持" in label_text and "行政复议" in label_text:
            st.zone = "s4"
            return True
        return False
    first = compact(labels[0].text)
    if first == "信息内容" and not printed:
        st.zone = "s2"
        st.s2_header = [c.text for c in labels]
    elif "第二十条" in label_text:
        st.zone = "s2"
        if not printed:
            st.s2_header = [label_text]  # a flattened header may carry the unit: （单位：万元）
    elif not values_have_numbers(values) and (
        label_text.startswith("行政复议") or "行政复议行政诉讼" in label_text.replace("、", "")
        or any(bare(c.text) == "行政复议" for c in labels)
    ):
        st.zone = "s4"
    elif _is_s3_header(labels):
        st.zone = "s3"
    elif st.zone == "s3" and label_text == "总计" and not printed:
        pass  # the 总计 column header, not the （七）总计 row
    elif first == "信息内容":  # with values printed, the checks above take precedence
        st.zone = "s2"
        st.s2_header = [c.text for c in labels]
    else:
        return False
    return True


def _label_context(st: _State, labels: list[TextCell]) -> None:
    """A label-only row inside a table: an s3 group label, or more of the s2 header."""
    if not labels:
        return
    if st.zone == "s3" or st.zone is None:
        b = bare(labels[-1].text)
        for g, canon in S3_GROUPS.items():
            if any(b == x or (b.startswith(x) and len(b) <= len(x) + 2) for x in canon):
                st.group = g
    elif st.zone == "s2":
        st.s2_header.extend(c.text for c in labels)


def values_have_numbers(values: list[TextCell]) -> bool:
    return any(c.text and read_value(c.text) is not None for c in values)


def _trim_padding(values: list[TextCell], row: Row, wanted: int) -> list[TextCell]:
    """Drop trailing empty cells of a tab/pipe row beyond what is wanted (export padding)."""
    if row.kind in ("tab", "pipe"):
        while len(values) > wanted and not values[-1].text:
            values = values[:-1]
    return values


def _cell(doc: Document, path: str, tc: TextCell, header_unit: str | None) -> tuple[Cell, list[Issue]]:
    span = (tc.start, tc.end)
    source_span = doc.norm.to_source(tc.start, tc.end)
    reading = read_value(tc.text)
    if reading is None:
        return Cell(
            path=path,
            state=CellState.UNREADABLE,
            raw=tc.text,
            span=span,
            source_span=source_span,
            page=doc.page_at(tc.start),
            reasons=[f"LAYOUT: cell text {tc.text!r} is not one number"],
        ), [Issue(
            rule="LAYOUT",
            key=f"LAYOUT:{path}",
            message=f"{path}: cell text {tc.text!r} is not one number",
            paths=[path],
            span=span,
        )]
    issues: list[Issue] = []
    reasons: list[str] = []
    unit = None
    if reading.note is not None and reading.number is not None:
        # The value is the number; its span covers the number only, the note is reported.
        at = tc.text.find(reading.number)
        issues.append(Issue(
            rule="NOTE", key=f"NOTE:{path}", severity="warning", paths=[path], span=span,
            message=f"{path}: the cell prints {tc.text!r}; its value is {reading.number}, "
            f"the bracketed note （{reading.note}） is not a value"))
        tc = TextCell(reading.number, tc.start + at, tc.start + at + len(reading.number))
        span, source_span = (tc.start, tc.end), doc.norm.to_source(tc.start, tc.end)
    if path in AMOUNT_FIELDS:
        reading = as_amount(reading)
        unit = reading.unit
        if reading.state is CellState.NUMBER and unit is None:
            if header_unit is not None:
                unit = header_unit
                scaled = normal_decimal(reading.value * MONEY_UNITS[header_unit])  # type: ignore[operator]
                reading = Reading(reading.state, scaled, None)
            elif reading.value != 0:
                msg = f"{path}: amount {tc.text!r} printed without a unit; kept as printed, assumed 万元"
                reasons.append(f"UNIT: {msg}")
                issues.append(Issue(rule="UNIT", key=f"UNIT:{path}", message=msg, paths=[path], span=span))
    return Cell(
        path=path,
        state=reading.state,
        value=reading.value,
        unit=unit,
        raw=tc.text,
        span=span,
        source_span=source_span,
        page=doc.page_at(tc.start),
        reasons=reasons,
    ), issues


#: Cells a row of the other template version stands in place of (the 2019 （六）其他处理 row
#: holds the sum of the 2021 template's three （六） rows, and the reverse).
_COUNTERPARTS: dict[str, tuple[str, ...]] = {
    "s3.other_processing": tuple(f"s3.other_processing_{i}" for i in (1, 2, 3)),
    **{f"s3.other_processing_{i}": ("s3.other_processing",) for i in (1, 2, 3)},
}


def _foreign_row(doc: Document, template: str, key: str, placed: _Placed) -> tuple[Issue, dict[str, Cell]]:
    """A row printed in the other template version: flagged TEMPLATE, never placed into this
    version's cells; the cells it stands in place of are unreadable, not missing."""
    other = "2021" if template == "2019" else "2019"
    section, row_name = key.split(".")
    if placed.foreign is not None:
        why = f"its table header names the {other} template's columns"
        rows = (key,)
    else:
        why = f"the row exists only in the {other} template"
        rows = _COUNTERPARTS.get(key, ())
    paths = [f"{r}.{c}" for r in rows for c in LAYOUTS[template][section].get(r.split(".")[1], ())]
    msg = (f"row {ROW_TITLES.get(key, key)} is printed in the {other} template ({why}) while the "
           f"report follows the {template} template; its values "
           f"({' | '.join(c.text or '∅' for c in placed.values)}) are not placed into {template} cells")
    span = (placed.row.start, placed.row.end)
    cells = {
        p: Cell(path=p, state=CellState.UNREADABLE, raw=placed.row.text[:200], span=span,
                source_span=doc.norm.to_source(*span), page=doc.page_at(span[0]),
                reasons=[f"TEMPLATE: {msg}"])
        for p in paths
    }
    return Issue(rule="TEMPLATE", key=f"TEMPLATE:{key}", message=msg, paths=paths, span=span), cells


def _layout_cells(doc: Document, key: str, paths: list[str], row: Row, msg: str) -> tuple[dict[str, Cell], Issue]:
    lkey = "s4" if key == "s4.*" else key
    issue = Issue(rule="LAYOUT", key=f"LAYOUT:{lkey}", message=msg, paths=paths, span=(row.start, row.end))
    cells = {
        p: Cell(path=p, state=CellState.UNREADABLE, raw=row.text[:200], span=(row.start, row.end),
                source_span=doc.norm.to_source(row.start, row.end), page=doc.page_at(row.start),
                reasons=[f"LAYOUT: {msg}"])
        for p in paths
    }
    return cells, issue


def _is_cut(doc: Document, row: Row) -> bool:
    """The document ends inside this row (an excerpt cut mid-table)."""
    return not doc.text[row.end:].strip()


def _candidates(row: Row, values: list[TextCell], width: int) -> list[tuple[TextCell, ...]]:
    """Placements to try for a row with too few values, by what its layout can lose."""
    printed = [c for c in values if c.text]
    if len(printed) >= width:
        return []
    if row.kind == "glued":
        return glued_splits(printed, width)
    if row.kind in ("stack", "space"):
        return vanished_blank_placements(printed, width)
    return []


def _place(doc: Document, template: str, st: _State) -> tuple[dict[str, Cell], list[Issue], bool]:
    """Cells for every placed row; returns (cells, issues, whether the document is cut
    inside a table row)."""
    cells: dict[str, Cell] = {}
    issues: list[Issue] = list(st.issues)
    cut = False
    if st.s4_values:
        row = st.s4_rows[0]
        end = st.s4_rows[-1].end
        kind = "stack" if any(r.kind == "stack" for r in st.s4_rows) else row.kind
        merged = Row(st.s4_values, kind, row.start, end)
        st.placed["s4.*"] = _Placed("s4.*", st.s4_values, merged)
    definite: dict[str, tuple[list[str], list[TextCell], _Placed]] = {}
    ambiguous: list[Ambiguous] = []
    for key, placed in st.placed.items():
        if key == "s4.*":
            paths = [p for p in template_paths(template) if p.startswith("s4.")]
        else:
            section, row_name = key.split(".")
            cols = LAYOUTS[template][section].get(row_name)
            if cols is None or placed.foreign is not None:
                issue, foreign_cells = _foreign_row(doc, template, key, placed)
                issues.append(issue)
                for p, cell in foreign_cells.items():
                    cells.setdefault(p, cell)
                continue
            paths = [f"{key}.{c}" for c in cols]
        values = _trim_padding(placed.values, placed.row, len(paths))
        if len(values) > len(paths) and all(not c.text for c in values[len(paths) :]):
            values = values[: len(paths)]
        if _is_cut(doc, placed.row):
            # An excerpt cut inside this row: what it prints fills the first columns, the
            # rest is missing; a value the file ends on may itself be cut ("12" -> "1").
            if values and values[-1].end == len(doc.text):
                values = values[:-1]
            if len(values) <= len(paths):
                cut = True
                paths = paths[: len(values)]
        if len(values) == len(paths):
            definite[key] = (paths, values, placed)
            continue
        cands = _candidates(placed.row, values, len(paths))
        if cands:
            ambiguous.append(Ambiguous(key, paths, cands))
            definite[key] = (paths, [], placed)
            continue
        title = ROW_TITLES.get(key, "section 四" if key == "s4.*" else key)
        msg = (
            f"{title}: {len(values)} value cells for {len(paths)} template columns "
            f"({' | '.join(c.text or '∅' for c in values)}); placement is ambiguous, not guessed"
        )
        layout_cells, issue = _layout_cells(doc, key, paths, placed.row, msg)
        cells.update(layout_cells)
        issues.append(issue)
    fixed = {p: tc for paths, values, _ in definite.values() for p, tc in zip(paths, values, strict=False)}
    chosen, unplaced = resolve(template, fixed, ambiguous) if ambiguous else ({}, {})
    for key, (paths, values, placed) in definite.items():
        title = ROW_TITLES.get(key, "section 四" if key == "s4.*" else key)
        if key in unplaced:
            printed = [c.text for c in placed.values if c.text]
            msg = (f"{title}: {len(printed)} values ({' | '.join(printed)}) for {len(paths)} "
                   f"template columns in a layout that loses blank cells or separators; "
                   f"{unplaced[key]}; not guessed")
            layout_cells, issue = _layout_cells(doc, key, paths, placed.row, msg)
            cells.update(layout_cells)
            issues.append(issue)
            continue
        if key in chosen:
            values = list(chosen[key])
            issues.append(Issue(
                rule="PLACED", key=f"PLACED:{'s4' if key == 's4.*' else key}",
                message=f"{title}: the layout lost blank cells or separators; the values were "
                f"placed as {' | '.join(c.text or '∅' for c in values)}, the only placement that "
                "satisfies the template's identities",
                paths=paths, span=(placed.row.start, placed.row.end), severity="warning",
            ))
        for p, tc in zip(paths, values, strict=True):
            cells[p], cell_issues = _cell(doc, p, tc, placed.header_unit)
            issues += cell_issues
    for key, cand in chosen.items():
        fixed.update(zip(definite[key][0], cand, strict=True))
    issues += _attach_orphans(doc, template, st, cells, fixed)
    return cells, issues, cut


def _orphan_groups(st: _State, rows: list[str]) -> dict[tuple[int, int], list[_Orphan]]:
    """Rows without a label, grouped by the recognised rows printed before and after them
    (as template indices; -1 and len(rows) at the table's ends)."""
    index = {r: i for i, r in enumerate(rows)}
    seq = st.s3_sequence
    groups: dict[tuple[int, int], list[_Orphan]] = {}
    for i, item in enumerate(seq):
        if isinstance(item, _Orphan):
            before = next((index[k] for k in reversed(seq[:i]) if isinstance(k, str) and k in index), -1)
            after = next((index[k] for k in seq[i + 1:] if isinstance(k, str) and k in index), len(rows))
            groups.setdefault((before, after), []).append(item)
    return groups


def _attach_orphans(doc: Document, template: str, st: _State, cells: dict[str, Cell],
                    fixed: dict[str, TextCell]) -> list[Issue]:
    """Give section 三 rows that lost their label the free template rows between the
    recognised rows around them, in printed order, when exactly one assignment fits the
    template's identities (and the label fragments they kept); otherwise flag those
    template rows LAYOUT. Rows with the wrong number of values are skipped with a warning."""
    rows = list(LAYOUTS[template]["s3"])
    cols = LAYOUTS[template]["s3"][rows[0]]
    words = s3_row_words(template)
    issues: list[Issue] = []
    for (before, after), orphans in _orphan_groups(st, rows).items():
        where = (f"between {ROW_TITLES[f's3.{rows[before]}'] if before >= 0 else 'the table head'} and "
                 f"{ROW_TITLES[f's3.{rows[after]}'] if after < len(rows) else 'the table end'}")
        free = [r for r in rows[before + 1:after] if f"s3.{r}.{cols[0]}" not in cells]
        shown = "; ".join(" | ".join(c.text or "∅" for c in o.row.cells) for o in orphans)
        trimmed = [_trim_padding(o.values, o.row, len(cols)) for o in orphans]
        if any(len(v) != len(cols) for v in trimmed) or not free:
            why = ("no free template row" if not free
                   else f"not {len(cols)} values in a row")
            issues.append(Issue(
                rule="UNRECOGNIZED", key=f"UNRECOGNIZED:{orphans[0].row.start}",
                message=f"section 三 rows without a label {where} were skipped ({why}): {shown[:160]}",
                span=(orphans[0].row.start, orphans[-1].row.end), severity="warning"))
            continue
        allowed = [frozenset(f"s3.{r}" for r in free if all(f in words[r] for f in o.fragments))
                   for o in orphans]
        try:
            fits = orphan_assignments(template, fixed, [f"s3.{r}" for r in free],
                                      list(zip(trimmed, allowed, strict=True)), cols)
            reason = ("no placement satisfies the template's identities" if not fits
                      else f"{len(fits)} placements satisfy the template's identities")
        except TooManyPlacements as e:
            fits, reason = [], f"{e}, too many to decide"
        span = (orphans[0].row.start, orphans[-1].row.end)
        if len(fits) == 1:
            names = "、".join(ROW_TITLES[k] for k in fits[0])
            issues.append(Issue(
                rule="PLACED", key=f"PLACED:{fits[0][0]}",
                message=f"{len(orphans)} section 三 row(s) printed without their label {where} "
                f"({shown[:160]}) were placed as {names}: the only placement in printed order "
                "onto the free template rows that satisfies the template's identities",
                paths=[f"{k}.{c}" for k in fits[0] for c in cols], span=span, severity="warning"))
            for key, values in zip(fits[0], trimmed, strict=True):
                for c, tc in zip(cols, values, strict=True):
                    cells[f"{key}.{c}"], cell_issues = _cell(doc, f"{key}.{c}", tc, None)
                    issues += cell_issues
            continue
        for r in free:
            msg = (f"{len(orphans)} section 三 row(s) printed without their label {where} "
                   f"({shown[:160]}) for {len(free)} free template rows; {reason}; not guessed")
            layout_cells, issue = _layout_cells(
                doc, f"s3.{r}", [f"s3.{r}.{c}" for c in cols], orphans[0].row, msg)
            cells.update(layout_cells)
            issues.append(issue)
    return issues


def _subtotals(doc: Document, template: str, st: _State) -> tuple[list[Subtotal], list[Issue]]:
    """The publisher's subtotal rows with their cells (checked by the verifier); a row whose
    values do not fill the section 三 columns is reported, not checked."""
    cols = LAYOUTS[template]["s3"]["new_received"]
    out: list[Subtotal] = []
    issues: list[Issue] = []
    for sub in st.subtotals:
        values = _trim_padding(sub.values, sub.row, len(cols))
        span = (sub.row.start, sub.row.end)
        if len(values) != len(cols):
            issues.append(Issue(
                rule="SUBTOTAL", key=f"SUBTOTAL:{sub.group}:{sub.row.start}", severity="warning", span=span,
                message=f"a subtotal row a publisher added ({sub.label}: "
                f"{' | '.join(c.text or '∅' for c in values)}) has {len(values)} values for "
                f"{len(cols)} columns; not checked"))
            continue
        cells = [_cell(doc, f"s3.{sub.group}.subtotal.{c}", tc, None)[0] for c, tc in zip(cols, values, strict=True)]
        out.append(Subtotal(group=sub.group, label=sub.label, span=span, cells=cells))  # type: ignore[arg-type]
    return out, issues


def _missing(template: str, cells: dict[str, Cell], truncated: bool) -> list[Issue]:
    issues: list[Issue] = []
    for section, rows in LAYOUTS[template].items():
        absent = {r: [c for c in rows[r] if f"{section}.{r}.{c}" not in cells] for r in rows}
        absent = {r: cols for r, cols in absent.items() if cols}
        if not absent:
            continue
        names = "、".join(
            ROW_TITLES.get(f"{section}.{r}", r) + ("" if len(cols) == len(rows[r]) else f"（{len(cols)} cells cut off）")
            for r, cols in absent.items()
        )
        whole = len(absent) == len(rows) and all(len(c) == len(rows[r]) for r, c in absent.items())
        what = "the table is absent" if whole else f"{len(absent)} of {len(rows)} rows are absent or cut"
        why = " (the document is truncated)" if truncated else ""
        paths = [f"{section}.{r}.{c}" for r, cols in absent.items() for c in cols]
        issues.append(
            Issue(
                rule="MISSING",
                key=f"MISSING:{section}",
                message=f"section {'二三四'[int(section[1]) - 2]}: {what}{why}; missing, not 0: {names}",
                paths=paths,
            )
        )
        for p in paths:
            cells[p] = Cell(
                path=p,
                state=CellState.MISSING,
                reasons=[f"MISSING: {ROW_TITLES.get(p.rsplit('.', 1)[0], p)} is absent from the source"
                         + (" (the document is truncated)" if truncated else "")],
            )
    return issues


#: Words printed in each table's header: present in the text although the table was not
#: recovered means "unreadable layout", absent means "the document stops before it".
TABLE_VOCABULARY = {
    "s2": ("第二十条",),
    "s3": ("本年新收", "上年结转"),
    "s4": ("结果维持", "尚未审结"),
}


def _absent_tables(doc: Document, cells: dict[str, Cell], template: str) -> dict[str, bool]:
    """Sections whose table is entirely absent, each with whether its header words appear
    in the text (True: an unrecoverable layout; False: the document never printed it)."""
    flat = compact(doc.text)
    return {
        section: any(w in flat for w in TABLE_VOCABULARY[section])
        for section in LAYOUTS[template]
        if not any(p.startswith(section + ".") for p in cells)
    }


def _truncated(doc: Document, st: _State, sections: list[SectionHit], absent: dict[str, bool]) -> bool:
    """The document stops before a template table: a table is absent, its header words
    appear nowhere, and no later section heading (四/五/六) follows the last table."""
    if all(absent.values()):  # also when nothing is absent
        return False
    after = doc.rows[st.last_table_row].end if st.last_table_row >= 0 else 0
    later = [h for h in sections if h.span[0] >= after and h.id in ("四", "五", "六")]
    return not later


def extract(doc: Document) -> Extraction:
    sections = find_sections(doc.rows)
    agency, year = find_metadata(doc.rows, doc.text)
    template, evidence = detect_template(doc.text, year.value if isinstance(year.value, int) else None)
    meta = ReportMeta(
        source_file=doc.name,
        sha256=doc.sha256,
        format=doc.format,
        encoding=doc.encoding,
        pages=doc.pages,
        traditional=doc.traditional,
        agency=agency,
        year=year,
        template=template,  # type: ignore[arg-type]
        template_evidence=evidence,
    )
    st = _scan(doc, template or "2019")
    titled = agency.value is not None or year.value is not None
    if template is None or (
        not st.placed and not st.s4_values and len(sections) < 3 and not titled
    ):
        raise NotAReport(
            "not a government information-disclosure annual report: no template table, no "
            "section headings and no report title were found"
        )
    if template == "2021" and "s3.other_processing" in st.placed and any(
            f"s3.other_processing_{i}" in st.placed for i in (1, 2, 3)):
        # （六）其他处理 with values next to its three sub-rows: the publisher's group total.
        placed = st.placed.pop("s3.other_processing")
        label = " ".join(c.text for c in split_row(placed.row)[0])
        st.subtotals.append(_PublisherRow("other_processing", label, placed.values, placed.row))
    cells, issues, cut = _place(doc, template, st)
    subtotals, subtotal_issues = _subtotals(doc, template, st)
    issues += subtotal_issues
    absent = _absent_tables(doc, cells, template)
    truncated = cut or _truncated(doc, st, sections, absent)
    for section in (s for s, words_present in absent.items() if words_present):
        issues.append(Issue(
            rule="LAYOUT", key=f"LAYOUT:{section}",
            message=f"section {'二三四'[int(section[1]) - 2]}: the table's header words are in the "
            "text but its rows could not be recovered from this layout; nothing was guessed",
        ))
    issues += _missing(template, cells, truncated)
    if truncated:
        issues.append(
            Issue(
                rule="TRUNCATED",
                key="TRUNCATED",
                message="the document stops before a template table it should contain",
            )
        )
    for name, loc in (("agency", agency), ("year", year)):
        if loc.value is None:
            issues.append(
                Issue(rule="META", key=f"META:{name}", message=f"the report's {name} was not found")
            )
    return Extraction(
        meta=meta,
        sections=sections,
        truncated=truncated,
        tables=build_tables(template, cells),
        issues=issues,
        subtotals=subtotals,
    )
