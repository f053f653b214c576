"""Checks across documents (X1–X4) as data, like the template's identities.

Each `CrossRule` says what it compares between two reports of one agency: `earlier` is the
report of year N−1 (or, for X3, the first version of a year), `later` the report of year N
(the other version). Rules of kind `equation` expand (`instances`) into one equation per
row and column they name, each a sum of signed terms on either side; kind `versions` (X3)
and `copy` (X4) compare whole tables. Adding a rule of an existing kind is adding a row.

Nothing here changes a number: an equation that holds is evidence (`cross_year`), one that
fails is a flag (X1) or a warning (X2) naming both documents, both cells and both spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from extractor.schema import LAYOUTS, S3_COLUMNS

Side = Literal["earlier", "later"]


@dataclass(frozen=True)
class Term:
    side: Side
    path: str  # with {row} and {col} placeholders
    sign: int = 1


@dataclass(frozen=True)
class CrossRule:
    rule: str
    description: str
    kind: Literal["equation", "versions", "copy"]
    severity: Literal["flag", "warning"]
    #: (earlier template, later template) pairs the rule applies to; empty: any pair.
    templates: tuple[tuple[str, str], ...] = ()
    rows: tuple[str, ...] = ()
    cols: tuple[str, ...] = ()
    left: tuple[Term, ...] = ()
    right: tuple[Term, ...] = ()
    note: str = ""
    min_nonzero: int = 0  # copy: tables with fewer non-zero cells are never called copies


CROSS_RULES: tuple[CrossRule, ...] = (
    CrossRule(
        "X1", "二、上年结转 (N) = 四、结转下年度继续办理 (N−1)", "equation", "flag",
        rows=("carried",), cols=S3_COLUMNS,
        left=(Term("later", "s3.carried_over.{col}"),),
        right=(Term("earlier", "s3.carried_forward.{col}"),),
        note="strict: an agency reorganised, merged or renamed in between may legitimately "
             "break it (then the alias file should not link the two bodies)"),
    CrossRule(
        "X2", "现行有效件数 (N) = 现行有效件数 (N−1) + 本年制发件数 (N) − 本年废止件数 (N)",
        "equation", "warning", templates=(("2021", "2021"),),
        rows=("regulations", "normative_documents"), cols=("in_force",),
        left=(Term("later", "s2.{row}.in_force"),),
        right=(Term("earlier", "s2.{row}.in_force"), Term("later", "s2.{row}.issued"),
               Term("later", "s2.{row}.repealed", -1)),
        note="soft: documents cleaned up outside the year's 废止 break it"),
    CrossRule(
        "X2", "上一年项目数量 (N) = 上一年项目数量 (N−1) + 本年增/减 (N−1)", "equation", "warning",
        templates=(("2019", "2019"),),
        rows=("licensing", "other_services", "punishment", "coercion", "fees"),
        cols=("prev_items",),
        left=(Term("later", "s2.{row}.prev_items"),),
        right=(Term("earlier", "s2.{row}.prev_items"), Term("earlier", "s2.{row}.change")),
        note="soft; across the 2019 -> 2021 template change the data dictionary maps none of "
             "section 二's stocks (2021 dropped 上一年项目数量), so nothing is compared there"),
    CrossRule(
        "X3", "one agency and year, two reports with different numbers (two versions)",
        "versions", "flag",
        note="both are kept in the panel (version 1, 2, …); reports with the same numbers are "
             "one row"),
    CrossRule(
        "X4", "every non-zero cell equal to the same agency's previous year: a likely copy",
        "copy", "flag", min_nonzero=3,
        note="reports with fewer than 3 non-zero cells are never called copies (a quiet "
             "agency's all-zero tables repeat honestly)"),
)


@dataclass(frozen=True)
class CrossEquation:
    rule: str
    key: str  # e.g. "X1:natural_person", "X2:regulations"
    description: str
    severity: Literal["flag", "warning"]
    note: str
    left: tuple[tuple[Side, str, int], ...]  # (side, cell path, sign)
    right: tuple[tuple[Side, str, int], ...]

    @property
    def terms(self) -> tuple[tuple[Side, str, int], ...]:
        return self.left + self.right


@cache
def instances(earlier: str, later: str) -> tuple[CrossEquation, ...]:
    """The equations between a report of template `earlier` (year N−1) and one of template
    `later` (year N); only cells both templates have (X1's section 三 rows are in both)."""
    out: list[CrossEquation] = []
    for spec in CROSS_RULES:
        if spec.kind != "equation" or (spec.templates and (earlier, later) not in spec.templates):
            continue
        for row in spec.rows:
            for col in spec.cols:
                left, right = _expand(spec.left, row, col), _expand(spec.right, row, col)
                if all(_exists(earlier if s == "earlier" else later, p) for s, p, _ in left + right):
                    key = f"{spec.rule}:{col if len(spec.rows) == 1 else row}"
                    out.append(CrossEquation(spec.rule, key, spec.description, spec.severity,
                                             spec.note, left, right))
    return tuple(out)


def _expand(terms: tuple[Term, ...], row: str, col: str) -> tuple[tuple[Side, str, int], ...]:
    return tuple((t.side, t.path.format(row=row, col=col), t.sign) for t in terms)


def _exists(template: str, path: str) -> bool:
    section, row, col = path.split(".")
    return col in LAYOUTS[template][section].get(row, ())


def rule(name: str) -> CrossRule:
    """The (first) rule named `name`."""
    return next(r for r in CROSS_RULES if r.rule == name)
