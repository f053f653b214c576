"""Human decisions on cells, applied to a record, and the identities re-checked with them.

A decision is stored by (document sha256, field path) and applied on top of the machine's
reading whenever results are exported, so it survives re-extraction: a new parser, a new
schema version (paths are moved by the rename map) or an LLM re-run. The machine's reading
at the time of the decision is kept beside it (decisions.csv's machine_value and
machine_state columns). Reading a decisions file is `extractor.review.decisions`.

Decisions are checked, never taken on trust:

- ``accept`` says "the machine's reading is right". Given on a reading that has since
  changed (a re-extraction reads the cell differently), it is not applied: the cell stays
  the machine's new reading, flagged for a second look (rule ``REVIEW``).
- After the decisions are applied, every identity of the template that covers a cell whose
  value a person set is evaluated again with the verifier's own `verify.verifier.check`
  over the template's identities (`extractor.schema.identities`). One that now holds turns
  its undecided cells verified (the identity's check names the corrected cells as its
  evidence); one that fails is a flag with the equation and its sums, and the neighbours it
  verified before are flagged with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from extractor.schema import (
    Cell,
    CellState,
    CellStatus,
    CheckResult,
    Correction,
    Issue,
    Record,
    iter_cells,
    summarize,
    title,
)
from extractor.schema.identities import detail_totals, instances
from verify.verifier import check

if TYPE_CHECKING:
    from extractor.store.store import Store

#: The rule of the flag an ``accept`` on a since-changed machine reading raises.
SECOND_LOOK = "REVIEW"


@dataclass
class Applied:
    """A record with decisions applied, and what re-checking them found."""

    record: Record
    corrected: int = 0  # cells a person's decision now stands for
    completed: list[CheckResult] = field(default_factory=list)  # identities a correction made hold
    broken: list[CheckResult] = field(default_factory=list)  # identities failing with corrected values
    second_look: list[str] = field(default_factory=list)  # paths: accept on a changed reading
    verified: list[str] = field(default_factory=list)  # undecided cells the completed identities verify


def _shown(state: CellState, value: object) -> str:
    if state is CellState.NUMBER:
        return str(value)
    return "blank" if state is CellState.BLANK else f"<{state.value}>"


def apply(record: Record, corrections: dict[str, Correction]) -> Record:
    """The record with a person's decisions applied (a copy; the input is not changed).
    See `apply_checked`."""
    return apply_checked(record, corrections).record


def apply_checked(record: Record, corrections: dict[str, Correction]) -> Applied:
    """Apply decisions to a copy of `record` and re-check the identities they touch.

    accept: the machine's value stands (unless the machine's reading changed since the
    decision: then the cell is flagged for a second look and the decision is not applied);
    set: the person's value replaces it; source_wrong: the printed value stands and is
    marked as an error of the source. A cell a decision stands for has status `corrected`
    and carries the decision.
    """
    if not corrections:
        return Applied(record)
    record = record.model_copy(deep=True)
    out = Applied(record)
    cells = {c.path: c for c in iter_cells(record.tables)}
    set_paths: set[str] = set()
    for path, c in corrections.items():
        cell = cells.get(path)
        if cell is None:
            continue
        changed = (c.machine_state, c.machine_value) != (cell.state, cell.value)
        cell.correction = c.model_copy(update={
            "machine_state": cell.state, "machine_value": cell.value, "machine_changed": changed})
        if c.decision == "accept" and changed:
            msg = (f"{title(path)}: accepted as {_shown(c.machine_state, c.machine_value)}"
                   f"{' by ' + c.reviewer if c.reviewer else ''}, but the machine now reads "
                   f"{_shown(cell.state, cell.value)}: the decision is not applied; look again")
            cell.reasons.append(f"{SECOND_LOOK}: {msg}")
            cell.status = CellStatus.FLAGGED
            record.flags.append(Issue(rule=SECOND_LOOK, key=f"{SECOND_LOOK}:{path}", message=msg,
                                      paths=[path], span=cell.span))
            out.second_look.append(path)
            continue
        if c.decision == "set" and c.state is not None:
            if (c.state, c.value) != (cell.state, cell.value):
                set_paths.add(path)
            cell.state, cell.value = c.state, c.value
        cell.status = CellStatus.CORRECTED
        out.corrected += 1
    if set_paths and record.tables.template:
        _recheck(out, cells, set_paths, corrections)
    record.summary = summarize(record.tables)
    return out


def _recheck(out: Applied, cells: dict[str, Cell], set_paths: set[str],
             corrections: dict[str, Correction]) -> None:
    """Evaluate again every identity covering a cell a person set (see the module doc)."""
    record = out.record
    template = record.tables.template
    blank_ok = detail_totals(template)
    checks = {c.key: i for i, c in enumerate(record.checks)}
    for eq in instances(template):
        touched = [p for p in eq.paths if p in set_paths]
        if not touched:
            continue
        result = check(eq, cells, blank_ok)
        if result.outcome == "not_assessable":
            continue
        who = ", ".join(f"{title(p)} set to {_shown(cells[p].state, cells[p].value)}"
                        for p in touched)
        result = result.model_copy(update={"message": f"{result.message} (with corrected "
                                                      f"values: {who})"})
        if eq.key in checks:
            record.checks[checks[eq.key]] = result
        else:
            record.checks.append(result)
        prefix = f"{eq.key}: "
        record.flags = [f for f in record.flags if f.key != eq.key]
        undecided = [cells[p] for p in eq.paths if cells[p].status is not CellStatus.CORRECTED]
        if result.outcome == "pass":
            out.completed.append(result)
            for cell in undecided:
                cell.reasons = [r for r in cell.reasons if not r.startswith(prefix)]
                if cell.reasons:
                    continue  # flagged for another reason too
                if cell.placement != "direct":
                    cell.status = CellStatus.INFERRED  # a chosen position is never verified
                else:
                    cell.status = CellStatus.VERIFIED
                    out.verified.append(cell.path)
        else:
            out.broken.append(result)
            record.flags.append(Issue(rule=eq.rule, key=eq.key, message=result.message,
                                      paths=list(eq.paths)))
            for cell in undecided:
                if not any(r.startswith(prefix) for r in cell.reasons):
                    cell.reasons.append(f"{eq.key}: {result.message}")
                cell.status = CellStatus.FLAGGED


def recheck_run(store: Store, run_id: int, shas: set[str]) -> list[tuple[str, Applied]]:
    """`apply_checked` for the documents `shas` of a stored run, with every decision stored
    for them: (file name, what applying found), in the run's order, each document once."""
    out: list[tuple[str, Applied]] = []
    seen: set[str] = set()
    for _, _path, sha, rid, _, _ in store.run_items(run_id):
        if rid is None or sha is None or sha not in shas or sha in seen:
            continue
        seen.add(sha)
        record = Record.model_validate_json(store.record_json(rid))
        out.append((record.meta.source_file, apply_checked(record, store.corrections(sha))))
    return out
