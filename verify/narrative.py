"""C1: numbers stated in the narrative against the tables, and breakdowns against totals.

Soft checks: the narrative's scope can differ from the table's (all published decisions vs
this year's, a different period), so a mismatch is a warning carrying both numbers and both
spans, never a flag. Imports nothing from `extractor` but the schema.
"""

from __future__ import annotations

from decimal import Decimal

from extractor.schema import Cell, CellState, CheckResult, Claim, Issue, Record, title

#: Narrative topics and the table cells that state the same number (summed).
TOPIC_PATHS: dict[str, tuple[str, ...]] = {
    "applications_received": ("s3.new_received.total",),
    "applications_granted": ("s3.granted.total",),
    "applications_carried_over": ("s3.carried_over.total",),
    "review": ("s4.review.total",),
    "litigation": ("s4.litigation_direct.total", "s4.litigation_after_review.total"),
    "punishment": ("s2.punishment.decisions",),
    "licensing": ("s2.licensing.decisions",),
    "coercion": ("s2.coercion.decisions",),
}


def _where(span: tuple[int, int] | None) -> str:
    return f" at {span[0]}-{span[1]}" if span else ""


def _breakdowns(claims: list[Claim]) -> list[tuple[CheckResult, Issue | None]]:
    out: list[tuple[CheckResult, Issue | None]] = []
    for i, total in enumerate(claims):
        parts = [c for c in claims if c.part_of == i and c is not total]
        if total.topic != "active_total" or not parts:
            continue
        s = sum((Decimal(p.value) for p in parts), Decimal(0))
        terms = "+".join(str(p.value) for p in parts)
        key = f"C1:breakdown:{total.number_span[0]}"
        if s == total.value:
            out.append((CheckResult(rule="C1", key=key, outcome="pass", paths=[],
                                    message=f"narrative breakdown {terms} = {s} = {total.quote!r}"), None))
            continue
        msg = (f"narrative breakdown does not add up: {terms} = {s}{_where(parts[0].number_span)}, "
               f"but the total is {total.value} ({total.quote!r}{_where(total.number_span)})")
        out.append((CheckResult(rule="C1", key=key, outcome="fail", paths=[], message=msg),
                    Issue(rule="C1", key=key, message=msg, span=total.number_span, severity="warning")))
    return out


def _against_table(claim: Claim, cells: dict[str, Cell], template: str) -> tuple[CheckResult, Issue | None] | None:
    paths = [p for p in TOPIC_PATHS.get(claim.topic, ()) if p in cells]
    if not paths or any(cells[p].state not in (CellState.NUMBER, CellState.BLANK) for p in paths):
        return None  # the table does not state it (other template, missing, placeholder)
    table = sum((Decimal(cells[p].value or 0) for p in paths), Decimal(0))
    key = f"C1:{claim.topic}:{claim.number_span[0]}"
    names = " + ".join(f"{title(p)} {cells[p].value if cells[p].value is not None else 'blank'}"
                       f"{_where(cells[p].span)}" for p in paths)
    if table == claim.value:
        return CheckResult(rule="C1", key=key, outcome="pass", paths=paths,
                           message=f"narrative {claim.value} ({claim.quote!r}) = table {names}"), None
    msg = (f"narrative says {claim.value} ({claim.quote!r}{_where(claim.number_span)}), "
           f"the table says {names}")
    if claim.topic == "punishment" and template == "2019":
        prev, change = cells.get("s2.punishment.prev_items"), cells.get("s2.punishment.change")
        if prev and change and prev.value is not None and change.value is not None:
            alt = Decimal(prev.value) + Decimal(change.value)
            agree = "agrees with the narrative" if alt == claim.value else "does not match either"
            msg += (f"; 上一年项目数量 + 本年增/减 = {prev.value} + {change.value} = {alt} {agree}")
    msg += " (soft check: the narrative's scope may differ)"
    return (CheckResult(rule="C1", key=key, outcome="fail", paths=paths, message=msg),
            Issue(rule="C1", key=key, message=msg, paths=paths, span=claim.number_span,
                  severity="warning"))


def check_claims(claims: list[Claim], record: Record) -> tuple[list[CheckResult], list[Issue]]:
    """C1 results and the warnings for the ones that disagree."""
    cells = {c.path: c for sec in ("s2", "s3", "s4")
             for row in getattr(record.tables, sec).__dict__.values()
             for c in row.__dict__.values()}
    results = _breakdowns(claims)
    for claim in claims:
        r = _against_table(claim, cells, record.tables.template)
        if r is not None:
            results.append(r)
    return [c for c, _ in results], [i for _, i in results if i is not None]
