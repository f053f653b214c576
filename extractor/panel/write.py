"""The panel's files, in the typed formats of the exports (`extractor.outputs`):

- `panel.csv` / `panel.parquet` / the `panel` table of panel.sqlite / the `panel` sheet of
  panel.xlsx: one row per agency × year (× version, X3), then the reports not linked;
- `panel_flags.*`: every cross-document finding, one row each, with both documents (file,
  input path, sha256, run item), both cells (paths, values, statuses) and both spans;
- `panel_checks.*`: every cross-document equation between linked reports and its outcome
  (pass, fail, not_assessable);
- the flags (not the warnings) are also added to the run's `flags.csv`, one row per
  document involved, each naming the other document in its message.
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from extractor.outputs.csvtext import csv_line
from extractor.outputs.export import ExportError, _ddl, _pyarrow, _sql_row, arrow_table
from extractor.outputs.rows import csv_text, header
from extractor.outputs.tables import FLAG_COLUMNS, REPORT_COLUMNS, REPORT_HEAD, Column
from extractor.panel.build import CrossCheck, CrossFlag, Panel, PanelDoc, Part
from extractor.schema import S3_COLUMNS

PANEL_FORMATS = ("csv", "parquet", "sqlite", "xlsx")

#: Rules the panel adds to flags.csv (replaced, never duplicated, when the panel is rebuilt).
PANEL_RULES = frozenset({"X1", "X2", "X3", "X4", "AGENCY"})

#: Cells X1 reads, with their cross-year evidence column (`<path>:cross_year`).
EVIDENCE_PATHS: tuple[str, ...] = tuple(
    f"s3.{row}.{col}" for row in ("carried_over", "carried_forward") for col in S3_COLUMNS)

_FIELD_COLUMNS = REPORT_COLUMNS[len(REPORT_HEAD):]

PANEL_COLUMNS: tuple[Column, ...] = (
    Column("agency_key", "text", "机关(规范名)"),
    Column("agency", "text", "机关(原文)"),
    Column("identity", "label", "识别"),
    Column("identity_note", "text", "识别说明"),
    Column("region", "text", "地区"),
    Column("province", "text", "省级"),
    Column("city", "text", "地级"),
    Column("county", "text", "县级"),
    Column("region_code", "text", "区划代码"),
    Column("year", "int", "年度"),
    Column("version", "int", "版本"),
    Column("versions", "int", "版本数"),
    Column("duplicates", "text", "相同数字的其他输入"),
    Column("previous_year", "int", "上年报告"),
    Column("next_year", "int", "下年报告"),
    Column("x1_pass", "int", "X1通过"),
    Column("x1_fail", "int", "X1不符"),
    Column("x1_not_assessable", "int", "X1无法核对"),
    Column("x2_warnings", "int", "X2提示"),
    Column("x3_versions", "bool", "X3多版本"),
    Column("x4_copy", "bool", "X4疑似照抄"),
    Column("file", "text", "文件"),
    Column("input_path", "text", "输入路径"),
    Column("template", "label", "模板"),
    Column("sha256", "text", "sha256"),
    Column("item", "int", "输入序号"),
    *(Column(f"{p}:cross_year", "label", f"{p}·跨年核对") for p in EVIDENCE_PATHS),
    *_FIELD_COLUMNS,
)

_SIDE = ("year", "file", "input_path", "sha256", "item", "paths", "values", "statuses",
         "span_start", "span_end", "source_start", "source_end", "page", "snippet")
_SIDE_KINDS = {"year": "int", "item": "int", "span_start": "int", "span_end": "int",
               "source_start": "int", "source_end": "int", "page": "int"}

PANEL_FLAG_COLUMNS: tuple[Column, ...] = (
    Column("rule", "label", "规则"),
    Column("key", "text", "键"),
    Column("severity", "label", "级别"),
    Column("verdict", "label", "判断"),
    Column("grounded", "label", "有据一方"),
    Column("agency_key", "text", "机关(规范名)"),
    Column("message", "text", "说明"),
    *(Column(f"{s}_{n}", _SIDE_KINDS.get(n, "text"), f"{s}·{n}")  # type: ignore[arg-type]
      for s in ("a", "b") for n in _SIDE),
)

PANEL_CHECK_COLUMNS: tuple[Column, ...] = (
    Column("agency_key", "text", "机关(规范名)"),
    Column("rule", "label", "规则"),
    Column("key", "text", "键"),
    Column("outcome", "label", "结果"),
    Column("earlier_year", "int", "上年"),
    Column("earlier_file", "text", "上年文件"),
    Column("earlier_item", "int"),
    Column("later_year", "int", "本年"),
    Column("later_file", "text", "本年文件"),
    Column("later_item", "int"),
    Column("left", "text", "左边"),
    Column("right", "text", "右边"),
    Column("equation", "text", "等式"),
)


def panel_values(doc: PanelDoc) -> list[object]:
    return [*_head_values(doc), *doc.row]


def _head_values(doc: PanelDoc) -> list[object]:
    """A panel row's values before the reports row's fields."""
    i, r = doc.identity, doc.identity.region
    return [
        i.key, i.read, i.identity, i.reason, r.name, r.province, r.city, r.county, i.region_code,
        doc.year, doc.version, doc.versions, " | ".join(doc.duplicates) or None,
        doc.previous_year, doc.next_year, doc.x1["pass"], doc.x1["fail"],
        doc.x1["not_assessable"], doc.x2_warnings, doc.x3, doc.x4, doc.file, doc.input_path,
        doc.template, doc.sha256, doc.seq,
        *(doc.cross_year.get(p) for p in EVIDENCE_PATHS),
    ]


def panel_lines(panel: Panel) -> Iterator[str]:
    """panel.csv's rows as `csv.writer` writes `panel_values`: the head's values through
    it, the reports row's fields copied as the worker's cell pass wrote them
    (`PanelDoc.packed_csv`, tests/test_hand_writers.py holds that text to `csv.writer`),
    or through it too when the doc has none."""
    for doc in panel.docs:
        if doc.packed_csv is None:
            yield csv_line(panel_values(doc))
        else:
            head = csv_line(_head_values(doc))
            yield f"{head[:-2]},{zlib.decompress(doc.packed_csv).decode()}\r\n"


def _side_values(side: Part | None) -> list[object]:
    if side is None:
        return [None] * len(_SIDE)
    d, span, src = side.doc, side.span, side.source_span
    pages = [c.page for c in side.cells if c.page is not None]
    return [
        d.year, d.file, d.input_path, d.sha256, d.seq,
        " ".join(c.path for c in side.cells) or None,
        " ".join("" if c.value is None else str(c.value) for c in side.cells) or None,
        " ".join(c.status or "" for c in side.cells) or None,
        span[0] if span else None, span[1] if span else None,
        src[0] if src else None, src[1] if src else None, pages[0] if pages else None,
        " … ".join(c.snippet for c in side.cells if c.snippet) or None,
    ]


def flag_row(f: CrossFlag) -> list[object]:
    return [f.rule, f.key, f.severity, f.verdict, f.grounded, f.agency_key, f.message,
            *_side_values(f.a), *_side_values(f.b)]


def check_row(c: CrossCheck) -> list[object]:
    return [c.agency_key, c.rule, c.key, c.outcome, c.earlier.year, c.earlier.file,
            c.earlier.seq, c.later.year, c.later.file, c.later.seq,
            None if c.left is None else str(c.left), None if c.right is None else str(c.right),
            _terms(c.equation.left) + " = " + _terms(c.equation.right)]


def _terms(terms: tuple[tuple[str, str, int], ...]) -> str:
    """"later:s2.regulations.in_force", "earlier:… + later:… - later:…"."""
    out = ""
    for n, (side, path, sign) in enumerate(terms):
        op = ("" if sign > 0 else "-") if n == 0 else (" + " if sign > 0 else " - ")
        out += f"{op}{side}:{path}"
    return out


def run_flag_rows(panel: Panel) -> Iterator[list[object]]:
    """The panel's flags as rows of flags.csv (`FLAG_COLUMNS`): one per document involved,
    at that document's cells and span, the message naming the other document."""
    for f in panel.flags:
        if f.severity != "flag":
            continue
        for side, other in ((f.a, f.b), (f.b, f.a)):
            if side is None:
                continue
            d, span = side.doc, side.span
            paths = " ".join(c.path for c in side.cells) or None
            snip = " … ".join(c.snippet for c in side.cells if c.snippet) or None
            also = f" [other document: {other.doc.where}]" if other is not None else ""
            yield [d.file, f.rule, f.key, f.verdict, f.message + also, paths,
                         span[0] if span else None, span[1] if span else None, snip,
                   d.input_path, d.sha256, d.seq]


Table = tuple[str, Sequence[Column], Callable[[Panel], Iterator[list[object]]]]

#: Each table's rows, made as they are read (a panel's rows are read back from its spill
#: file: no format but parquet holds a table at once).
TABLES: tuple[Table, ...] = (
    ("panel", PANEL_COLUMNS, lambda p: (panel_values(d) for d in p.docs)),
    ("panel_flags", PANEL_FLAG_COLUMNS, lambda p: (flag_row(f) for f in p.flags)),
    ("panel_checks", PANEL_CHECK_COLUMNS, lambda p: (check_row(c) for c in p.checks)),
)


def panel_files(dest: Path, fmt: str) -> list[Path]:
    """The files `write_panel` writes into `dest` in format `fmt`."""
    if fmt in ("csv", "parquet"):
        return [dest / f"{name}.{fmt}" for name, _, _ in TABLES]
    return [dest / f"panel.{fmt}"]


def write_panel(panel: Panel, dest: Path, formats: Sequence[str] = ("csv",)) -> list[Path]:
    """The panel's tables into `dest` in each format; the paths written."""
    for fmt in formats:
        if fmt not in PANEL_FORMATS:
            raise ExportError(f"unknown panel format {fmt!r}; one of {', '.join(PANEL_FORMATS)}")
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        typed = [(name, cols, rows_of(panel)) for name, cols, rows_of in TABLES]  # as read
        if fmt == "csv":
            written += [_csv(dest / f"{name}.csv", cols, panel_lines(panel) if name == "panel"
                             else map(csv_line, rows)) for name, cols, rows in typed]
        elif fmt == "parquet":
            _pyarrow()
            import pyarrow.parquet as pq

            for name, cols, rows in typed:
                tmp = dest / f".{name}.parquet.tmp"
                pq.write_table(arrow_table(cols, list(rows)), tmp)  # one table at a time
                written.append(_replace(tmp, dest / f"{name}.parquet"))
        elif fmt == "sqlite":
            written.append(_sqlite(dest / "panel.sqlite", typed))
        else:
            written.append(_xlsx(dest / "panel.xlsx", typed))
    return written


def _replace(tmp: Path, target: Path) -> Path:
    os.replace(tmp, target)
    return target


def _csv(target: Path, cols: Sequence[Column], lines: Iterable[str]) -> Path:
    tmp = target.parent / f".{target.name}.tmp"
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerow(header(cols))
        fh.writelines(lines)
    return _replace(tmp, target)


def _sqlite(target: Path, tables: list[tuple[str, Sequence[Column], Iterator[list[object]]]]) -> Path:
    tmp = target.parent / f".{target.name}.tmp"
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        for name, cols, rows in tables:
            db.execute(_ddl(name, cols))
            db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})",
                           (_sql_row(cols, r, None) for r in rows))  # type: ignore[arg-type]
        db.execute("CREATE INDEX panel_agency ON panel (agency_key, year)")
        db.commit()
    finally:
        db.close()
    return _replace(tmp, target)


def _xlsx(target: Path, tables: list[tuple[str, Sequence[Column], Iterator[list[object]]]]) -> Path:
    """panel.xlsx: sheets panel (numbers coloured by status, as export.xlsx), panel_flags,
    panel_checks."""
    from extractor.outputs.xlsx import _Book, _Sheet

    tmp = target.parent / f".{target.name}.tmp.xlsx"
    book = _Book(tmp)
    for name, cols, rows in tables:
        if name != "panel":
            sheet = _Sheet(book, name, cols, 2, f"see {name}.csv")
            for row in rows:
                sheet.write(row)
            sheet.finish()
            continue
        keep = [i for i, c in enumerate(cols) if c.role in ("", "value")]
        status_of = {i: next(j for j, s in enumerate(cols) if s.field is c.field and s.role == "status")
                     for i, c in enumerate(cols) if c.role == "value"}
        sheet = _Sheet(book, name, [cols[i] for i in keep], 2, "see panel.csv")
        for row in rows:
            if not sheet.room():
                break
            for k, i in enumerate(keep):
                fmt = book.status_fmt(row[status_of[i]]) if i in status_of else None  # type: ignore[arg-type]
                sheet.put(k, row[i], fmt)
            sheet.row += 1
        sheet.finish()
    book.wb.close()
    return _replace(tmp, target)


def merge_run_flags(out: Path, panel: Panel) -> Path | None:
    """Add the panel's flags to OUT/flags.csv, replacing any an earlier panel added there
    (rules `PANEL_RULES`); None when the run has no flags.csv. Both are streamed."""
    target = out / "flags.csv"
    if not target.is_file():
        return None
    tmp = out / ".flags.csv.panel.tmp"
    if _appendable(target):  # no panel row to replace (a new run's): copied, then added to
        shutil.copyfile(target, tmp)
        with open(tmp, "a", encoding="utf-8", newline="") as dst:
            csv.writer(dst).writerows([csv_text(v) for v in row] for row in run_flag_rows(panel))
        return _replace(tmp, target)
    rule_at = [c.name for c in FLAG_COLUMNS].index("rule")
    with open(target, encoding="utf-8-sig", newline="") as src, \
            open(tmp, "w", encoding="utf-8-sig", newline="") as dst:
        w = csv.writer(dst)
        for n, row in enumerate(csv.reader(src)):
            if n == 0 or len(row) <= rule_at or row[rule_at] not in PANEL_RULES:
                w.writerow(row)
        w.writerows([csv_text(v) for v in row] for row in run_flag_rows(panel))
    return _replace(tmp, target)


_BOM = "\ufeff".encode()
#: A row of a panel rule holds one of these (its `rule` field after the `file` field); a
#: file without any holds no such row (one with one may: it is read row by row).
_PANEL_RULE_FIELDS = tuple(f",{r},".encode() for r in sorted(PANEL_RULES))
_CHUNK = 1 << 20


def _appendable(target: Path) -> bool:
    """flags.csv starts with the BOM, ends a line, and holds no field of a panel rule (read
    a chunk at a time, each overlapping the last by a field's length)."""
    overlap = max(len(m) for m in _PANEL_RULE_FIELDS) - 1
    with open(target, "rb") as fh:
        if fh.read(len(_BOM)) != _BOM:
            return False
        tail = b""
        while chunk := fh.read(_CHUNK):
            data = tail + chunk
            if any(m in data for m in _PANEL_RULE_FIELDS):
                return False
            tail = data[-overlap:]
    return tail.endswith(b"\r\n")
