"""Turn an `Extraction` into a verified `Record`.

For each cell: grounding, then every identity that covers it, then section 二's soft rules
(plausibility: a failure flags, a rule that holds confirms nothing). For each failed identity
or rule, a verdict: *source inconsistency* when all its cells are grounded and read where they
are printed (the report itself does not add up), *extraction error* when some are not (we read
or placed it wrong). Status: flagged (a reason), inferred (a position the identities or the LLM
chose: `Cell.placement` not direct), verified (an identity covering it holds), else grounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache, lru_cache
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

from extractor.schema import (
    AMOUNT_FIELDS,
    Cell,
    CellState,
    CellStatus,
    CheckResult,
    Extraction,
    Issue,
    Record,
    Summary,
    iter_cells,
    title,
)
from extractor.schema.identities import (
    GROUP_TOTAL_RULES,
    Equation,
    detail_totals,
    instances,
    may_be_negative,
    outcome_groups,
    subtotal_path,
    with_group_total,
)
from extractor.schema.trusted import trusted_given
from verify.grounding import ground, ground_fields
from verify.ocr import low_confidence_issues, read_by_ocr
from verify.patterns import blank_pattern_issues
from verify.soft_rules import check_soft_rules
from verify.subtotals import check_subtotals

_UNASSESSABLE = (CellState.MISSING, CellState.PLACEHOLDER, CellState.UNREADABLE)
# The states and statuses as module constants: an enum member looked up on its class costs
# a descriptor call (Python 3.11), and the checks below test ~200 cells and ~40 equations
# a report.
_MISSING, _PLACEHOLDER, _UNREADABLE = _UNASSESSABLE
_BLANK, _NUMBER = CellState.BLANK, CellState.NUMBER
#: The types of the values of a check `_zero_pass` answers (a Decimal 0 prints its exponent).
_NONE_OR_INT = frozenset((type(None), int))
#: Each state's value (an enum's `.value` is a descriptor call too).
_STATE_VALUE = {s: s.value for s in CellState}
#: `_set_statuses` sets the status the way pydantic does for a plain field: only while
#: assignments are not validated.
assert not Cell.model_config.get("validate_assignment")
#: Check results are built from the template's own equations: valid by construction.
_check_result = trusted_given(CheckResult, ("rule", "key", "outcome", "message", "paths"))
#: The record and its summary, made of the verifier's own lists and counts: valid by
#: construction, built without validation (which would copy each list).
_record = trusted_given(Record, ("meta", "sections", "truncated", "tables", "checks", "flags",
                                 "warnings", "summary", "text"))
_summary = trusted_given(Summary, ("cells", "numbers", "verified", "inferred", "grounded",
                                   "flagged", "corrected"))
#: A cell's fields: its `__dict__`, which the checks read as dict items (a pydantic model's
#: attribute costs about three times as much: its class defines `__getattr__`, which keeps
#: Python from specialising the lookup; a report's checks read ~3,000 of them).
Fields = dict[str, Any]
#: Getters of a cell's fields (applied by `map`, in C, to the cells of a check).
_STATE, _VALUE, _OCR = itemgetter("state"), itemgetter("value"), itemgetter("ocr")
_PATH = itemgetter("path")
#: A model's `__dict__` and its set fields, read in C.
_DICT, _FIELDS_SET = attrgetter("__dict__"), attrgetter("__pydantic_fields_set__")
#: `status` added to a model's set fields; `_consume` runs an iterator to its end (in C).
_ADD_STATUS, _consume = methodcaller("add", "status"), deque(maxlen=0).extend


@lru_cache(maxsize=4096)
def _row_title(path: str) -> str:
    """The row part of a cell's title ('（一）予以公开' of '（一）予以公开·总计')."""
    return title(path).split("·")[0]


@lru_cache(maxsize=4096)
def _column_title(path: str) -> str:
    return title(path).split("·")[-1]


@lru_cache(maxsize=4096)
def _row_titles(paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_row_title(p) for p in paths)


def _side_of(titles: tuple[str, ...], states: Sequence[CellState],
             values: Sequence[int | Decimal | None]) -> tuple[Decimal, str]:
    """The sum of one side's cells (their states and values) and how the message shows it
    (`titles`: their rows)."""
    # Blank and 0 cells add nothing (a 0 is left out so that it does not set the sum's
    # exponent: Decimal("0.00") counts as 0, as Decimal(value or 0) does). Counts add up as
    # ints (exactly: far under Decimal's 28 digits), amounts as Decimals from the first one
    # on: the same sum as Decimal(0) + each value, at a fraction of its cost.
    total = Decimal(sum([v for v in values if v]))
    blank = _BLANK
    if len(states) > 4:
        shown = [f"{t} {v}" for t, st, v in zip(titles, states, values, strict=True)
                 if st is not blank]
        blanks = len(states) - len(shown)
        if blanks:
            shown.append(f"{blanks} blank(0)")
        return total, " + ".join(shown) + f" = {total}"
    terms = " + ".join(f"{t} {'blank(0)' if st is blank else v}"
                       for t, st, v in zip(titles, states, values, strict=True))
    return total, terms if len(states) == 1 else f"{terms} = {total}"


@lru_cache(maxsize=4096)
def _where(eq: Equation) -> str:
    """How a check's message names its equation: the key and the column (I1, I2) or the
    first row it sums."""
    column = _column_title(eq.paths[0]) if eq.rule in ("I1", "I2") else ""
    return f"{eq.key} ({column})" if column else f"{eq.key} ({_row_title(eq.left[0])})"


#: What checking an equation needs of it (`_compiled`).
Compiled = tuple[str, tuple[str, ...], int, tuple[str, ...], tuple[str, ...],
                 Callable[[dict[str, Fields]], tuple[Fields, ...]]]


@lru_cache(maxsize=4096)
def _compiled(eq: Equation) -> Compiled:
    """What checking `eq` needs of it, worked out once: its name in messages, its paths,
    how many of them are its left side, the row titles of each side, and a getter of its
    cells' fields in path order (an equation has a cell on each side: two at least, so
    `itemgetter` returns a tuple)."""
    assert len(eq.paths) >= 2, eq
    return (_where(eq), eq.paths, len(eq.left), _row_titles(eq.left), _row_titles(eq.right),
            itemgetter(*eq.paths))


def check(eq: Equation, cells: dict[str, Cell], blank_ok: frozenset[str] = frozenset()) -> CheckResult:
    """Evaluate one equation; `blank_ok` are cells whose blankness is a convention."""
    return _check(eq, _compiled(eq), {p: cells[p].__dict__ for p in eq.paths}, blank_ok)


def _check(eq: Equation, compiled: Compiled, fields: dict[str, Fields],
           blank_ok: frozenset[str]) -> CheckResult:
    """`check` of `eq` with `_compiled(eq)`, the cells given by their fields."""
    where, paths, n_left, left_titles, right_titles, side_of = compiled
    side = side_of(fields)
    states = tuple(map(_STATE, side))
    if _MISSING in states or _PLACEHOLDER in states or _UNREADABLE in states:
        return _check_result(eq.rule, eq.key, "not_assessable",
                             _not_assessable(where, paths, states), list(paths))
    values = tuple(map(_VALUE, side))
    if not any(values) and _NONE_OR_INT.issuperset(map(type, values)):
        # Nothing but blanks and 0s (most rows of most reports): both sides are 0, the
        # check passes, and its message is one of the few the states and values spell.
        return _check_result(eq.rule, eq.key, "pass",
                             _zero_pass(where, left_titles, right_titles, states, values),
                             list(paths))
    left, left_text = _side_of(left_titles, states[:n_left], values[:n_left])
    right, right_text = _side_of(right_titles, states[n_left:], values[n_left:])
    # A side left blank by the convention (`blank_ok`) while the other is not 0: left first.
    if right != 0 and _all_blank_ok(paths[:n_left], states[:n_left], blank_ok):
        return _blank_total(eq, where, right, paths)
    if left != 0 and _all_blank_ok(paths[n_left:], states[n_left:], blank_ok):
        return _blank_total(eq, where, left, paths)
    if left == right:
        return _check_result(eq.rule, eq.key, "pass", f"{where}: {left_text} = {right_text}",
                             list(paths))
    blanks = [p for p, st in zip(paths, states, strict=True) if st is _BLANK]
    note = ""
    if blanks:
        note = f"; blank cells counted as 0 decide this: {', '.join(title(p) for p in blanks[:4])}"
        if len(blanks) > 4:
            note += f" and {len(blanks) - 4} more"
    return _check_result(
        eq.rule, eq.key, "fail", f"{where} fails: {left_text} ≠ {right_text}{note}", list(paths),
    )


@lru_cache(maxsize=8192)
def _zero_pass(where: str, left_titles: tuple[str, ...], right_titles: tuple[str, ...],
               states: tuple[CellState, ...], values: tuple[int | None, ...]) -> str:
    """The message of a check whose cells are all blank or the int 0 (`_check`'s, cached:
    such rows repeat within and across reports)."""
    n = len(left_titles)
    _, left_text = _side_of(left_titles, states[:n], values[:n])
    _, right_text = _side_of(right_titles, states[n:], values[n:])
    return f"{where}: {left_text} = {right_text}"


@lru_cache(maxsize=4096)
def _not_assessable(where: str, paths: tuple[str, ...], states: tuple[CellState, ...]) -> str:
    """A check's message when some of its cells (`paths`, in `states`) cannot be assessed:
    a function of the equation and the states alone, which repeat (a table cut off or not
    printed leaves the same cells missing in every report that lacks it)."""
    bad = [(p, st) for p, st in zip(paths, states, strict=True) if st in _UNASSESSABLE]
    names = ", ".join(f"{title(p)} is {_STATE_VALUE[st]}" for p, st in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return f"{where} not assessable: {names}{more}"


def _all_blank_ok(paths: tuple[str, ...], states: Sequence[CellState], blank_ok: frozenset[str]) -> bool:
    return all(p in blank_ok and st is _BLANK for p, st in zip(paths, states, strict=True))


def _blank_total(eq: Equation, where: str, other: Decimal, paths: tuple[str, ...]) -> CheckResult:
    return _check_result(eq.rule, eq.key, "not_assessable",
                         f"{where} not assessable: 总计 left blank on detail rows "
                         f"(a common practice) while the other side is {other}", list(paths))


def _i5(cell: Fields, template: str) -> str | None:
    """I5 of a cell given by its fields: why its sign or integrality is wrong, or None."""
    path, value, raw = cell["path"], cell["value"], cell["raw"]
    if cell["state"] is not CellState.NUMBER or value is None:
        return None
    if path in AMOUNT_FIELDS:
        return f"{title(path)} is a negative amount ({raw})" if value < 0 else None
    if isinstance(value, Decimal) and value != value.to_integral():
        return f"{title(path)} is a count but reads {raw!r}, not a whole number"
    if value < 0 and not may_be_negative(path, template):
        return f"{title(path)} is a count but is negative ({raw})"
    return None


@lru_cache(maxsize=1024)
def _group_subs(eq: Equation, template: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """For each outcome group with sub-rows in `eq`: those paths, and the path of the
    group's printed total in their column."""
    out = []
    for group, rows in outcome_groups(template).items():
        subs = tuple(p for p in eq.paths if p.split(".")[1] in rows)
        if subs:
            out.append((subs, subtotal_path(group, subs[0].rsplit(".", 1)[1])))
    return tuple(out)


@cache
def _plan(template: str) -> tuple[tuple[Equation, tuple[tuple[tuple[str, ...], str], ...],
                                        Compiled], ...]:
    """Each identity of a template with what checking it needs, worked out once: its
    outcome groups (`_group_subs`, for the rules that take a group's printed total) and
    `_compiled(eq)`."""
    return tuple((eq, _group_subs(eq, template) if eq.rule in GROUP_TOTAL_RULES else (),
                  _compiled(eq)) for eq in instances(template))


def _with_group_totals(eq: Equation, groups: tuple[tuple[tuple[str, ...], str], ...],
                       fields: dict[str, Fields]) -> Equation:
    """`eq` with each outcome group whose sub-rows cannot be read in its column replaced by
    the group's printed total, when the publisher printed one that reads (`fields` holds the
    subtotal cells under `subtotal_path`, each cell by its fields); `groups`: the
    equation's outcome groups (`_group_subs`)."""
    for subs, total_path in groups:
        if any(fields[p]["state"] not in _UNASSESSABLE for p in subs):
            continue
        total = fields.get(total_path)
        if total is not None and total["state"] not in _UNASSESSABLE:
            eq = with_group_total(eq, subs, total["path"])
    return eq


def verify(extraction: Extraction, text: str) -> Record:
    """Verify an extraction against its normalized source text.

    The extraction's cells receive their status and reasons in place and become the
    record's cells: pass a copy (`extraction.model_copy(deep=True)`) to keep the original.
    """
    template = extraction.tables.template
    listed = list(iter_cells(extraction.tables))
    field_list = list(map(_DICT, listed))  # each cell's fields, read as dict items (`Fields`)
    paths = list(map(_PATH, field_list))
    cells: dict[str, Cell] = dict(zip(paths, listed, strict=True))
    fields: dict[str, Fields] = dict(zip(paths, field_list, strict=True))
    flags: list[Issue] = [i for i in extraction.issues if i.severity == "flag"]
    warnings: list[Issue] = [i for i in extraction.issues if i.severity == "warning"]

    grounded = _cell_checks(fields, template, text, flags)
    for issue in blank_pattern_issues(fields, template):
        for p in issue.paths:
            fields[p]["reasons"].append(f"{issue.rule}: {issue.message}")
        flags.append(Issue(rule=issue.rule, key=issue.key, message=issue.message,
                           paths=list(issue.paths)))
    checks, passed = _identities(extraction, fields, grounded, text, flags)

    # Section 二's soft rules: a failure flags its cells; a rule that holds verifies nothing.
    soft_checks, soft_flags = check_soft_rules(cells, fields, template, grounded)
    checks += soft_checks
    flags += soft_flags

    sub_checks, sub_issues = check_subtotals(extraction.subtotals, cells, template, text)
    checks += sub_checks
    flags += [i for i in sub_issues if i.severity == "flag"]
    warnings += [i for i in sub_issues if i.severity == "warning"]

    flags += low_confidence_issues(fields, passed)
    summary = _set_statuses(cells, fields, passed)
    return _record(extraction.meta, extraction.sections, extraction.truncated,
                   extraction.tables, checks, flags, warnings, summary, text)


def _cell_checks(fields: dict[str, Fields], template: str, text: str,
                 flags: list[Issue]) -> dict[str, bool]:
    """Each cell on its own (given by its fields): grounding, placeholders, I5 (sign and
    integrality). Returns which cells are grounded (read at their span, and a reading at
    all)."""
    grounded: dict[str, bool] = {}
    missing, unreadable, number = CellState.MISSING, CellState.UNREADABLE, CellState.NUMBER
    for path, cell in fields.items():
        state = cell["state"]
        if state is missing:  # nothing claimed, nothing to check
            grounded[path] = False
            continue
        why = ground_fields(cell, text)
        # OCR's text is its own reading of a picture: never proof of what the page prints.
        grounded[path] = why is None and state is not unreadable and cell["ocr"] is None  # read_by_ocr
        if why is not None:
            msg = f"{title(path)}: {why}"
            cell["reasons"].append(f"GROUND: {msg}")
            flags.append(Issue(rule="GROUND", key=f"GROUND:{path}", message=msg, paths=[path],
                               span=cell["span"], verdict="extraction_error"))
        if state is _PLACEHOLDER:
            msg = f"{title(path)} is printed as {cell['raw']!r}: a placeholder, not a number"
            cell["reasons"].append(f"PLACEHOLDER: {msg}")
            flags.append(Issue(rule="PLACEHOLDER", key=f"PLACEHOLDER:{path}", message=msg,
                               paths=[path], span=cell["span"]))
        if state is not number:
            i5 = None
        elif type(value := cell["value"]) is int and value >= 0 and path not in AMOUNT_FIELDS:
            i5 = None  # a count, whole and not negative: what `_i5` passes without a word
        else:
            i5 = _i5(cell, template)
        if i5 is not None:
            cell["reasons"].append(f"I5: {i5}")
            flags.append(Issue(rule="I5", key=f"I5:{path}", message=i5, paths=[path],
                               span=cell["span"], verdict="source_inconsistency" if grounded[path]
                               else "extraction_error"))
    return grounded


def _identities(extraction: Extraction, fields: dict[str, Fields], grounded: dict[str, bool],
                text: str, flags: list[Issue]) -> tuple[list[CheckResult], set[str]]:
    """Every identity of the template (the cells given by their fields), with a verdict
    for each that fails; returns the checks and the paths covered by an identity that
    passes."""
    template = extraction.tables.template
    checks: list[CheckResult] = []
    passed: set[str] = set()
    blank_ok = detail_totals(template)
    # A group's printed total (first printing) stands in for its unreadable sub-rows in I2.
    totals: dict[str, Fields] = {}
    for sub in extraction.subtotals:
        for c in sub.cells:
            if c.path not in totals:
                totals[c.path] = c.__dict__
                grounded[c.path] = (ground(c, text) is None and c.state is not CellState.UNREADABLE
                                    and not read_by_ocr(c))
    terms = {**totals, **fields}
    for planned, groups, compiled in _plan(template):
        eq = _with_group_totals(planned, groups, terms) if groups else planned
        result = _check(eq, compiled if eq is planned else _compiled(eq), terms, blank_ok)
        if result.outcome == "fail":
            # The report itself does not add up only if we read every number where it is
            # printed: a position the identities or the LLM chose may be ours to get wrong.
            ok = all(grounded[p] and terms[p]["placement"] == "direct" for p in eq.paths)
            verdict = "source_inconsistency" if ok else "extraction_error"
            result = result.model_copy(update={"verdict": verdict})
            flags.append(Issue(rule=eq.rule, key=eq.key, message=result.message,
                               paths=[p for p in eq.paths if p in fields], verdict=verdict))
            for p in eq.paths:
                terms[p]["reasons"].append(f"{eq.key}: {result.message}")
        elif result.outcome == "pass":
            passed.update(result.paths)
        checks.append(result)
    return checks, passed


def _set_statuses(cells: dict[str, Cell], fields: dict[str, Fields], passed: set[str]) -> Summary:
    """Each cell's status from its reasons, its placement and the identities that passed;
    returns the counts of the cells by state and status (what `summarize` counts, in the
    same pass: `cells` are the tables' cells).

    Reasons and status are set on the extraction's own cells: the verifier takes ownership
    of the extraction it is given (copying 200 models per report cost more than everything
    else the verifier does). A cell whose position was chosen (placement not direct) is
    inferred, never verified: the identities that chose it cannot also confirm it. The
    mapping places a row only when an identity covering it holds, so such a cell is trusted
    as far as the source is consistent (a cell of the row no assessable identity covers, a
    blank 总计 under the blank-detail-total convention, is inferred too: it was not read
    where it is printed).
    """
    flagged, inferred, verified, grounded = (CellStatus.FLAGGED, CellStatus.INFERRED,
                                             CellStatus.VERIFIED, CellStatus.GROUNDED)
    n_flagged = n_inferred = n_verified = n_grounded = 0
    for path, f in fields.items():
        # A cell's fields read from, and its status written to, its __dict__ (`fields`):
        # what `cell.status = status` does (a plain field, no assignment validation)
        # without pydantic's attribute hook, for 200 cells a report. (Counted here: a
        # Counter of the statuses would hash each, and an enum member's hash is a Python
        # call.)
        if f["reasons"]:
            f["status"] = flagged
            n_flagged += 1
        elif f["placement"] != "direct":
            f["status"] = inferred
            n_inferred += 1
        elif path in passed:
            f["status"] = verified
            n_verified += 1
        else:
            f["status"] = grounded
            n_grounded += 1
    _consume(map(_ADD_STATUS, map(_FIELDS_SET, cells.values())))  # each one's set fields
    numbers = list(map(_STATE, fields.values())).count(CellState.NUMBER)
    return _summary(len(cells), numbers, n_verified, n_inferred, n_grounded, n_flagged, 0)
