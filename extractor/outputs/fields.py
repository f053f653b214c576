"""The data dictionary: every field path, its Chinese label, section, template versions,
type, unit, and which field of the other template version measures the same thing.

`extractor fields` prints it; `docs/fields.csv` is its output, committed (a test keeps the
two equal). The order of `FIELDS` is the column order of every wide export: section by
section, each template's rows in printed order, a row only one version has placed after the
row printed before it in that version.

Cross-template comparison (the 2021 template, 国办公开办函〔2021〕30号, changed sections 二
and 三):

- `same`: the same path in both versions measures the same thing (section 三's common rows,
  section 四, the 处理决定数量 of 行政许可, 行政处罚 and 行政强制);
- `sum`: the 2019 field equals the sum of the 2021 fields named in `other_template` (2019
  （六）其他处理 = 2021 （六）1 + 2 + 3, column by column); `part`: a 2021 field that is one
  of those parts;
- `similar`: a field of the other version measures something close but defined differently
  (2019 本年新制作数量 vs 2021 本年制发件数; 对外公开总数量 vs 现行有效件数): compare with care;
- `none`: nothing in the other version measures it.

`comparable_as` names the series a field belongs to when the comparison is exact (`same`,
`sum` or `part`): summing a report's fields by `comparable_as` gives numbers that can be compared
across the 2021 change. It is empty for `similar` and `none`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from extractor.schema import AMOUNT_FIELDS, LAYOUTS, template_paths, title

SECTION_NAMES = {"s2": "二", "s3": "三", "s4": "四"}
TEMPLATES = ("2019", "2021")

#: Fields of one version measuring something close to a field of the other, but defined
#: differently: (2019 path, 2021 path, note).
_SIMILAR: tuple[tuple[str, str, str], ...] = tuple(
    (f"s2.{row}.{a}", f"s2.{row}.{b}", note)
    for row in ("regulations", "normative_documents")
    for a, b, note in (
        ("new_made", "issued", "2019 counts documents newly made (本年新制作数量), 2021 documents "
         "issued (本年制发件数): close, not defined identically"),
        ("total_published", "in_force", "2019 counts every document ever published "
         "(对外公开总数量), 2021 the documents in force (现行有效件数): not the same"),
    )
)

#: 2019 row -> the 2021 rows it was split into (same columns; 2019 = sum of the 2021 rows).
_SPLIT: dict[str, tuple[str, ...]] = {
    "s3.other_processing": ("s3.other_processing_1", "s3.other_processing_2",
                            "s3.other_processing_3"),
}


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    section: str  # 二 三 四
    row: str
    column: str
    templates: tuple[str, ...]
    type: str  # count | signed_count | amount
    unit: str
    relation: str  # same | sum | part | similar | none
    other_template: str  # the other version's field(s), as an expression
    comparable_as: str
    note: str

    @property
    def is_amount(self) -> bool:
        return self.type == "amount"


def _ordered_paths() -> tuple[str, ...]:
    """Both versions' paths, section by section and row by row: 2019's rows in printed
    order, a row only 2021 has placed before the next row both have (2021's （六）1–3 after
    2019's （六）其他处理); within a row, 2019's columns, then the columns only 2021 has."""
    out: list[str] = []
    for section in ("s2", "s3", "s4"):
        rows = list(LAYOUTS["2019"][section])
        later = list(LAYOUTS["2021"][section])
        for i, row in enumerate(later):
            if row in rows:
                continue
            nxt = next((r for r in later[i + 1:] if r in rows), None)
            rows.insert(rows.index(nxt) if nxt is not None else len(rows), row)
        for row in rows:
            cols = [*LAYOUTS["2019"][section].get(row, ()), *LAYOUTS["2021"][section].get(row, ())]
            out.extend(f"{section}.{row}.{c}" for c in dict.fromkeys(cols))
    return tuple(out)


def _kind(path: str) -> tuple[str, str]:
    if path in AMOUNT_FIELDS:
        return "amount", "万元"
    if path.endswith(".change"):
        return "signed_count", "count"
    return "count", "count"


def _label(path: str) -> str:
    return f"{SECTION_NAMES[path.split('.')[0]]}·{title(path)}"


def _mapping(path: str, templates: tuple[str, ...]) -> tuple[str, str, str, str]:
    """(relation, other_template, comparable_as, note) of a field."""
    section, row, col = path.split(".")
    row_path = f"{section}.{row}"
    if len(templates) == 2:
        return "same", path, path, ""
    if row_path in _SPLIT:
        parts = [f"{r}.{col}" for r in _SPLIT[row_path]]
        return ("sum", " + ".join(parts), path,
                f"2021 split {title(row_path)} into {len(parts)} rows; this field is their sum")
    for old, split in _SPLIT.items():
        if row_path in split:
            whole = f"{old}.{col}"
            return ("part", whole, whole,
                    f"one of the {len(split)} rows 2021 split 2019's {title(old)} into; "
                    f"their sum is the 2019 field")
    for old, new, note in _SIMILAR:
        if path in (old, new):
            return "similar", new if path == old else old, "", note
    return "none", "", "", ""


def _build() -> tuple[Field, ...]:
    fields = []
    for path in _ordered_paths():
        templates = tuple(t for t in TEMPLATES if path in template_paths(t))
        section, row, col = path.split(".")
        kind, unit = _kind(path)
        relation, other, comparable, note = _mapping(path, templates)
        fields.append(Field(path, _label(path), SECTION_NAMES[section], row, col, templates,
                            kind, unit, relation, other, comparable, note))
    return tuple(fields)


FIELDS: tuple[Field, ...] = _build()
BY_PATH: dict[str, Field] = {f.path: f for f in FIELDS}

FIELD_COLUMNS = ("path", "label", "section", "row", "column", "templates", "type", "unit",
                 "relation", "other_template", "comparable_as", "note", "title")


def field_rows() -> list[list[str]]:
    return [[f.path, f.label, f.section, f.row, f.column, " ".join(f.templates), f.type, f.unit,
             f.relation, f.other_template, f.comparable_as, f.note, title(f.path)]
            for f in FIELDS]


def fields_csv() -> str:
    """The data dictionary as CSV text (no BOM)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELD_COLUMNS)
    w.writerows(field_rows())
    return buf.getvalue()


def write_fields_csv(target: Path) -> None:
    """Write the data dictionary as a file for spreadsheets: UTF-8 with a BOM."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(fields_csv(), encoding="utf-8-sig", newline="")


assert len(FIELDS) == len({p for t in TEMPLATES for p in template_paths(t)})
