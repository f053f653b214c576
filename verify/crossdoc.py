"""Cross-document checks: an extension point for checks over several reports of one agency.

Nothing is registered yet: the panel issue fills this in. Some facts of section 二 (and 三)
can only be checked against the same agency's report of another year (TEMPLATES.md, C3):

- 2021 template: 现行有效件数 (N) = 现行有效件数 (N−1) + 本年制发件数 (N) − 本年废止件数 (N);
- 2019 template: 上一年项目数量 (N) = 上一年项目数量 (N−1) + 本年增/减 (N−1);
- section 三: 二、上年结转 (N) = 四、结转下年度继续办理 (N−1).

A check is any callable taking the verified records of one agency, oldest year first, and
returning the issues it finds (`CrossDocumentCheck`); register it by name with
`@register("C3:in_force")`. `run_cross_document_checks` groups records by agency and calls
every registered check once per agency with that agency's records. The checks must follow
the verifier's rules: flags name the numbers and both reports, a verdict says whether the
sources disagree (source_inconsistency) or a number was misread (extraction_error), and a
relation a correct pair of reports can break (an agency renamed or merged, a publisher who
restates last year's figures) is a warning, not a flag.

Grouping is by the agency name as read (`meta.agency.value`), then by year; records without
an agency or a year cannot be placed in a series and are left out. Imports nothing from
`extractor` but the schema, like the rest of `verify`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from extractor.schema import Issue, Record


class CrossDocumentCheck(Protocol):
    def __call__(self, records: Sequence[Record], /) -> list[Issue]:
        """Issues found across `records`: one agency's reports, oldest year first."""
        ...


#: Registered checks by name, in registration order.
CROSS_DOCUMENT_CHECKS: dict[str, CrossDocumentCheck] = {}


def register(name: str) -> Callable[[CrossDocumentCheck], CrossDocumentCheck]:
    """Decorator: register a cross-document check under a unique name."""
    def add(check: CrossDocumentCheck) -> CrossDocumentCheck:
        if name in CROSS_DOCUMENT_CHECKS:
            raise ValueError(f"a cross-document check named {name!r} is already registered")
        CROSS_DOCUMENT_CHECKS[name] = check
        return check
    return add


def series(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records grouped by agency name (in order of first appearance), each group ordered by
    year (input order within a year); records without an agency or a year are left out."""
    groups: dict[str, list[tuple[int, Record]]] = {}
    for r in records:
        agency, year = r.meta.agency.value, r.meta.year.value
        if isinstance(agency, str) and agency and isinstance(year, int):
            groups.setdefault(agency, []).append((year, r))
    return {a: [r for _, r in sorted(rs, key=lambda yr: yr[0])] for a, rs in groups.items()}


def run_cross_document_checks(records: Iterable[Record],
                              checks: Mapping[str, CrossDocumentCheck] | None = None) -> list[Issue]:
    """Every check (default: the registered ones) called once per agency with its records."""
    out: list[Issue] = []
    for group in series(records).values():
        for check in (CROSS_DOCUMENT_CHECKS if checks is None else checks).values():
            out.extend(check(group))
    return out
