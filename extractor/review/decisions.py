"""The reviewer's decisions file: the contract between `extractor review` and `extractor correct`.

`extractor review OUT` writes ``OUT/review/decisions.csv`` with one row per flagged cell and
the decision columns empty; the review page downloads the same format. A reviewer fills
``decision`` (accept, set, source_wrong) and, for ``set``, ``value``; rows left undecided
are ignored on import. UTF-8 with a BOM, so Excel opens it with the Chinese intact.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from extractor.outputs.safe import unneutralise
from extractor.schema import ALL_PATHS, AMOUNT_FIELDS, CellState, Correction

KNOWN_PATHS = frozenset(ALL_PATHS)

#: Columns of decisions.csv, in order. The first block identifies and describes the cell;
#: the last four are the reviewer's.
COLUMNS: tuple[str, ...] = (
    "sha256",  # the document's sha256: decisions follow the content, not the file name
    "file",
    "path",  # the cell's stable field path, e.g. s3.granted.total
    "label",
    "machine_value",  # what the run read ("" for blank, "<placeholder>" etc. otherwise)
    "machine_state",
    "status",
    "reasons",
    "decision",  # accept | set | source_wrong | "" (undecided)
    "value",  # for set: a number (万元 for amounts), or "blank", or "placeholder"
    "reviewer",
    "note",
)

DECISIONS = ("accept", "set", "source_wrong")


@dataclass
class DecisionRow:
    sha256: str
    path: str
    correction: Correction


class DecisionsError(Exception):
    """The decisions file cannot be imported; nothing was stored."""


def parse_value(text: str, path: str) -> tuple[CellState, int | Decimal | None]:
    """A value a person set: a number (万元 for amounts), 'blank' or 'placeholder'."""
    t = text.strip().replace(",", "").replace("，", "")
    if t.lower() in ("blank", "<blank>"):
        return CellState.BLANK, None
    if t.lower() in ("placeholder", "<placeholder>"):
        return CellState.PLACEHOLDER, None
    try:
        number = Decimal(t)
    except InvalidOperation:
        raise ValueError(f"value {text!r} is not a number, 'blank' or 'placeholder'") from None
    if not number.is_finite():
        raise ValueError(f"value {text!r} is not a number")
    if path in AMOUNT_FIELDS:
        return CellState.NUMBER, number
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"value {text!r}: a count is a whole number ≥ 0")
    return CellState.NUMBER, int(number)


def _machine(value: str, state: str) -> tuple[CellState, int | Decimal | None]:
    try:
        st = CellState(state) if state else CellState.MISSING
    except ValueError:
        st = CellState.MISSING
    if st is not CellState.NUMBER or not value:
        return st, None
    try:
        d = Decimal(value)
    except InvalidOperation:
        return st, None
    return st, int(d) if d == d.to_integral_value() and "." not in value else d


def read_decisions(path: Path) -> tuple[list[DecisionRow], int]:
    """The decided rows of a decisions file, and how many rows were left undecided.

    Every problem in the file is collected and raised together (with CSV line numbers), so
    a reviewer fixes them in one go; nothing is imported from a file with a problem.
    """
    rows = _csv_rows(path)
    problems: list[str] = []
    out: list[DecisionRow] = []
    undecided = 0
    seen: Counter[tuple[str, str]] = Counter()
    for n, row in enumerate(rows, start=2):
        if not (row.get("decision") or "").strip():
            undecided += 1
            continue
        try:
            decided = _decision_row(row)
        except ValueError as e:
            problems.append(f"line {n} ({(row.get('path') or '').strip() or '?'}): {e}")
            continue
        seen[(decided.sha256, decided.path)] += 1
        out.append(decided)
    dupes = [f"{p} of {s[:12]}…" for (s, p), k in seen.items() if k > 1]
    if dupes:
        problems.append("the same cell is decided twice: " + ", ".join(dupes[:10]))
    if problems:
        raise DecisionsError(f"{path}: {len(problems)} problem(s), nothing imported:\n  "
                             + "\n  ".join(problems[:50]))
    return out, undecided


def _csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a decisions file: UTF-8 (BOM or not) or GBK, with the needed columns."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DecisionsError(f"{path}: cannot read: {e}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # Excel on a Chinese Windows saves "CSV" in the ANSI code page, GBK
            text = raw.decode("gb18030")
        except UnicodeDecodeError as e:
            raise DecisionsError(f"{path}: neither UTF-8 nor GBK text: save it as "
                                 "'CSV UTF-8' and import again") from e
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in ("sha256", "path", "decision", "value") if c not in header]
        if missing:
            raise DecisionsError(f"{path}: not a decisions file (missing columns "
                                 f"{', '.join(missing)}; expected {', '.join(COLUMNS)})")
        return list(reader)
    except csv.Error as e:
        raise DecisionsError(f"{path}: not a readable CSV: {e}") from e


def _unquote(text: str | None) -> str:
    """A field as the reviewer meant it: the apostrophe that keeps a spreadsheet from running
    text as a formula (CSV injection, see `extractor.outputs.safe`) is taken off again."""
    return unneutralise((text or "").strip())


def _decision_row(row: dict[str, str]) -> DecisionRow:
    """One decided row; ValueError says what is wrong with it."""
    row = {k: _unquote(v) for k, v in row.items() if k is not None}
    decision = (row.get("decision") or "").strip().lower()
    sha, cell = (row.get("sha256") or "").strip().lower(), (row.get("path") or "").strip()
    if decision not in DECISIONS:
        raise ValueError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    if len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
        raise ValueError(f"sha256 {sha!r} is not a document hash")
    if cell not in KNOWN_PATHS:
        raise ValueError(f"{cell!r} is not a field path of the schema")
    state: CellState | None = None
    value: int | Decimal | None = None
    raw_value = (row.get("value") or "").strip()
    if decision == "set":
        if not raw_value:
            raise ValueError("decision set needs a value")
        state, value = parse_value(raw_value, cell)
    elif raw_value:
        raise ValueError(f"a value is only read with decision set (this row says {decision})")
    mstate, mvalue = _machine((row.get("machine_value") or "").strip(),
                              (row.get("machine_state") or "").strip())
    return DecisionRow(sha, cell, Correction(
        decision=decision, value=value, state=state, machine_state=mstate,  # type: ignore[arg-type]
        machine_value=mvalue, reviewer=(row.get("reviewer") or "").strip() or None,
        note=(row.get("note") or "").strip() or None,
        decided_at=(row.get("decided_at") or "").strip() or None))
