"""Section 二's plausibility rules (soft rules) as data.

No identity covers section 二: its cells are only grounded. These rules are relations every
correct report of a template version satisfies, so a report that breaks one is either
inconsistent itself or was misread. They are weaker than the identities (勾稽关系): a rule that
holds confirms nothing (a cell it covers stays `grounded`, never becomes `verified`), and
they must never be used to place a value (a rule that chose a reading cannot also check
it). A rule that fails flags the cells it names.

Each entry of `SOFT_RULES` is one rule for one template version over some rows of section
二: `left` and `right` name columns of the row, each side is the sum of its cells (an empty
side is 0), and `relation` says how the sides compare:

- ``"ge"``: Σ left ≥ Σ right;
- ``"requires"``: Σ left > 0 whenever Σ right > 0 (right cannot be non-zero without left).

`instances` expands the table into concrete checks on cell paths. Adding a rule is adding
a row; `why` must say why no correct report can break it (a rule a legitimate report can
break is a false alarm, and false alarms teach people to ignore flags).

Considered and left out, because a correct report can break them:

- 2021 本年制发件数 ≤ 现行有效件数 + 本年废止件数: documents issued and expired in the same year
  (temporary measures) that a publisher does not count as 废止, and publishers who count
  现行有效 differently (their own documents only, or this year's only), break it;
- 2019 本年新公开数量 ≤ 本年新制作数量 (documents made last year are published this year) and
  对外公开总数量 ≥ 本年新制作数量 (a document made need not be published);
- 2019 上一年项目数量 + 本年增/减 = 处理决定数量 (TEMPLATES.md C2: often, not by rule; decisions are
  counted per case, items per 事项), and 处理决定数量 > 0 requiring items (an item abolished
  during the year still had decisions);
- 2021 counts are whole numbers and amounts non-negative: already the strict identity I5,
  which covers every cell of every section.

Cross-document relations (this year's 现行有效 against last year's, 上一年项目数量 against last
year's count) need several reports of one agency: the panel checks them (`extractor.panel.rules`, X2).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from extractor.schema.identities import Equation
from extractor.schema.templates import LAYOUTS

Relation = Literal["ge", "requires"]


@dataclass(frozen=True)
class SoftRule:
    rule: str  # stable id, the flag's rule; keys are "<rule>:s2.<row>"
    template: str
    description: str  # the relation in the template's words, for messages
    why: str  # why every correct report satisfies it
    rows: tuple[str, ...]  # rows of section 二 it applies to
    relation: Relation
    left: tuple[str, ...]  # columns summed on the left
    right: tuple[str, ...]  # columns summed on the right; empty: 0


SOFT_RULES: tuple[SoftRule, ...] = (
    SoftRule(
        "P1", "2019", "对外公开总数量 ≥ 本年新公开数量",
        "the documents published this year are among all the documents published (the "
        "template asks for the total published, not for those in force, which the 2021 "
        "template's 现行有效件数 counts)",
        ("regulations", "normative_documents"), "ge", ("total_published",), ("new_published",)),
    SoftRule(
        "P2", "2019", "上一年项目数量 + 本年增/减 ≥ 0",
        "this year's number of items is last year's plus the change, and a number of items "
        "cannot be negative: a 本年增/减 cannot remove more items than there were",
        ("licensing", "other_services", "punishment", "coercion", "fees"), "ge",
        ("prev_items", "change"), ()),
    SoftRule(
        "P3", "2019", "采购总金额 > 0 requires 采购项目数量 > 0",
        "money spent through 政府集中采购 was spent on at least one procurement item",
        ("procurement",), "requires", ("items",), ("amount",)),
)


@dataclass(frozen=True)
class SoftCheck(Equation):
    """A soft rule on cell paths: an `Equation` (key e.g. "P2:s2.punishment") whose sides
    stand in `relation` rather than being equal."""

    relation: Relation


@cache
def soft_checks(template: str) -> tuple[SoftCheck, ...]:
    """The soft rules of a template version as checks on cell paths, in table order."""
    layout = LAYOUTS[template]["s2"]
    out: list[SoftCheck] = []
    for spec in SOFT_RULES:
        if spec.template != template:
            continue
        for row in spec.rows:
            missing = [c for c in spec.left + spec.right if c not in layout[row]]
            if missing:  # a rule naming a column the row does not have is a bug in the table
                raise ValueError(f"soft rule {spec.rule}: s2.{row} has no column {missing}")
            out.append(SoftCheck(
                spec.rule, f"{spec.rule}:s2.{row}", spec.description,
                tuple(f"s2.{row}.{c}" for c in spec.left),
                tuple(f"s2.{row}.{c}" for c in spec.right),
                spec.relation,
            ))
    return tuple(out)
