"""The template's arithmetic identities (勾稽关系) as data.

Each entry of `IDENTITIES` says which cells sum to which, over which axis; `instances`
expands it into concrete equations for a template version. Adding a rule is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from extractor.schema import LAYOUTS, S3_COLUMNS, S4_COLUMNS

#: Rows of section 三 that are not outcomes (the rest sum to （七）总计 in I2).
_S3_NON_OUTCOME = ("new_received", "carried_over", "total_processed", "carried_forward")


def _outcome_rows(template: str) -> tuple[str, ...]:
    return tuple(r for r in LAYOUTS[template]["s3"] if r not in _S3_NON_OUTCOME)


@dataclass(frozen=True)
class IdentitySpec:
    rule: str
    description: str
    section: str
    axis: str  # "column": left/right name rows, one equation per column; "row": the reverse
    left: tuple[str, ...] | str  # a tuple of names, or "outcomes" (the template's outcome rows)
    right: tuple[str, ...] | str


IDENTITIES: tuple[IdentitySpec, ...] = (
    IdentitySpec("I1", "新收 + 上年结转 = （七）总计 + 结转下年度", "s3", "column",
                 ("new_received", "carried_over"), ("total_processed", "carried_forward")),
    IdentitySpec("I2", "（七）总计 = Σ 办理结果", "s3", "column",
                 ("total_processed",), "outcomes"),
    IdentitySpec("I3", "总计 = 自然人 + 法人或其他组织", "s3", "row",
                 ("total",), S3_COLUMNS[:-1]),
    IdentitySpec("I4", "总计 = 维持 + 纠正 + 其他 + 尚未审结", "s4", "row",
                 ("total",), S4_COLUMNS[:-1]),
)


@dataclass(frozen=True)
class Equation:
    rule: str
    key: str  # e.g. "I1:natural_person", "I3:granted"
    description: str
    left: tuple[str, ...]  # cell paths
    right: tuple[str, ...]

    @cached_property
    def paths(self) -> tuple[str, ...]:
        """The left side's paths, then the right's (worked out once: the checks read them
        for every report; kept in the instance's `__dict__`, not a field)."""
        return self.left + self.right


@cache
def instances(template: str) -> tuple[Equation, ...]:
    out: list[Equation] = []
    layout = LAYOUTS[template]
    for spec in IDENTITIES:
        rows = tuple(layout[spec.section])
        cols = layout[spec.section][rows[0]]

        def names(side: tuple[str, ...] | str) -> tuple[str, ...]:
            return _outcome_rows(template) if side == "outcomes" else side  # type: ignore[return-value]

        if spec.axis == "column":
            for col in cols:
                out.append(Equation(
                    spec.rule, f"{spec.rule}:{col}", spec.description,
                    tuple(f"{spec.section}.{r}.{col}" for r in names(spec.left)),
                    tuple(f"{spec.section}.{r}.{col}" for r in names(spec.right)),
                ))
        else:
            for row in rows:
                out.append(Equation(
                    spec.rule, f"{spec.rule}:{row}", spec.description,
                    tuple(f"{spec.section}.{row}.{c}" for c in names(spec.left)),
                    tuple(f"{spec.section}.{row}.{c}" for c in names(spec.right)),
                ))
    return tuple(out)


#: Identities that take a group's printed total (a subtotal row a publisher added, or the
#: one （六）其他处理 row a 2021 report printed without its three sub-rows) in place of the
#: group's sub-rows, in a column where none of the sub-rows can be read: the identity is
#: still checked, against the printed total, instead of being not assessable.
GROUP_TOTAL_RULES: frozenset[str] = frozenset({"I2"})


@cache
def outcome_groups(template: str) -> dict[str, tuple[str, ...]]:
    """The numbered sub-rows of each outcome group of section 三 (（三）不予公开 -> denied_1…8,
    …, 2021 （六）其他处理 -> other_processing_1…3); the 2019 （六） is one row, not a group."""
    groups: dict[str, tuple[str, ...]] = {}
    for row in _outcome_rows(template):
        group, _, n = row.rpartition("_")
        if group and n.isdigit():
            groups[group] = (*groups.get(group, ()), row)
    return groups


def subtotal_path(group: str, column: str) -> str:
    """The path of a group's printed total in one column (`Subtotal.cells`)."""
    return f"s3.{group}.subtotal.{column}"


def with_group_total(eq: Equation, replaced: tuple[str, ...], total: str) -> Equation:
    """`eq` with the cells `replaced` (a group's sub-rows in one column) replaced by the
    group's printed total `total`, where the first of them stood."""
    def side(paths: tuple[str, ...]) -> tuple[str, ...]:
        out = [total if p == replaced[0] else p for p in paths if p == replaced[0] or p not in replaced]
        return tuple(out)

    return Equation(eq.rule, eq.key, eq.description, side(eq.left), side(eq.right))


@cache
def detail_totals(template: str) -> frozenset[str]:
    """总计 cells of the outcome rows (（一）…（六）), which publishers often leave blank.

    Convention: when one side of an equation consists only of such cells, all blank, while
    the other side is non-zero, the equation is not assessable rather than failed. Every
    other blank counts as 0.
    """
    return frozenset(f"s3.{r}.total" for r in _outcome_rows(template))


def may_be_negative(path: str, template: str) -> bool:
    """I5: counts are non-negative, except the 2019 本年增/减 column of section 二."""
    return template == "2019" and path.startswith("s2.") and path.endswith(".change")
