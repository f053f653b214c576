"""Place the values of rows whose layout lost information, using the template's identities.

Two layouts lose the link between a value and its column:
- blank cells that vanish (one cell per line with no empty line left, PDF text rows): the
  remaining values keep their order, but which columns they fill is unknown;
- digits glued together by a crawler ("230000023" for 23 | 0 | 0 | 0 | 0 | 0 | 23): the
  boundaries between values are unknown.

For such a row every placement is a candidate. A candidate survives when no identity of
the template (I1–I4) that it makes assessable fails. The row is placed only when exactly
one outcome survives (placements that give the same cells are one outcome) and an identity
covering the row is assessable and holds: values that fit one way only because of the column
count (a glued "35" in two columns, all of section 二) are never placed. Otherwise the row is
left to the caller to flag. The cells placed here are `inferred`, never `verified`: the
identities that chose their position cannot also confirm it. The identities come from the verifier's rule table, read here
as data: the verifier checks them again afterwards, independently of how the row was placed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from extractor.ingest.document import TextCell, text_cell
from extractor.schema import CellState
from extractor.schema.identities import Equation, detail_totals, instances
from extractor.schema.values import read_value

#: Joint search over several ambiguous rows stops beyond this many combinations.
MAX_COMBINATIONS = 50_000
#: Splits of one glued digit run are enumerated up to this many.
MAX_SPLITS = 20_000

Candidate = tuple[TextCell, ...]


@dataclass
class Ambiguous:
    """A row whose cells are one of several candidates (same length as `paths`)."""

    key: str
    paths: list[str]
    candidates: list[Candidate]


def vanished_blank_placements(values: Sequence[TextCell], width: int) -> list[Candidate]:
    """Every way to put `values`, in order, into `width` columns; the rest are blank."""
    if len(values) > width:
        return []
    out: list[Candidate] = []
    for cols in itertools.combinations(range(width), len(values)):
        cells: list[TextCell] = []
        it = iter(values)
        at = dict(zip(cols, it, strict=True))
        pos = values[0].start if values else 0
        for i in range(width):
            if i in at:
                cells.append(at[i])
                pos = at[i].end
            else:
                cells.append(text_cell(("", pos, pos)))
        out.append(tuple(cells))
    return out


#: A glued value: digits, perhaps after a sign that belongs to the first number cut from it.
_SIGNED_DIGITS = re.compile(r"^(?:[+-]|减少|增加|减|增)?\d+$")


def _digits(token: TextCell) -> int:
    """Where the digits of a glued value start (after its sign)."""
    return len(token.text) - len(token.text.lstrip("+-减少增加"))


def _splits(token: TextCell, parts: int) -> Iterator[tuple[TextCell, ...]]:
    """Ways to cut a digit run into `parts` numbers without leading zeros ("05" is no number);
    a sign stays with the first number ("-18538" → -1 | 8538, -18 | 538 …)."""
    s = token.text
    n = len(s)
    sign = _digits(token)
    for cuts in itertools.combinations(range(sign + 1, n), parts - 1):
        bounds = (0, *cuts, n)
        pieces = [s[a:b] for a, b in itertools.pairwise(bounds)]
        pieces[0] = pieces[0][sign:]
        if any(len(p) > 1 and p[0] == "0" for p in pieces):
            continue
        pieces[0] = s[:sign] + pieces[0]
        yield tuple(
            text_cell((p, token.start + a, token.start + b))
            for p, (a, b) in zip(pieces, itertools.pairwise(bounds), strict=True)
        )


def glued_splits(tokens: Sequence[TextCell], width: int) -> list[Candidate]:
    """Every way to cut digit runs (separated by spaces or signs, a sign kept with the value
    it starts) into `width` numbers in order."""
    if not tokens or any(not _SIGNED_DIGITS.match(t.text) for t in tokens):
        return []
    caps = [len(t.text) - _digits(t) - 1 for t in tokens]
    extra = width - len(tokens)
    if extra < 0 or extra > sum(caps):
        return []
    out: list[Candidate] = []
    # Distribute the extra cuts over the tokens, then split each token.
    for shares in _compositions(extra, caps):
        per_token = [list(_splits(t, k + 1)) for t, k in zip(tokens, shares, strict=True)]
        for combo in itertools.product(*per_token):
            out.append(tuple(c for part in combo for c in part))
            if len(out) > MAX_SPLITS:
                return out
    return out


def _compositions(total: int, caps: list[int]) -> Iterator[tuple[int, ...]]:
    if not caps:
        if total == 0:
            yield ()
        return
    for k in range(min(total, caps[0]) + 1):
        for rest in _compositions(total - k, caps[1:]):
            yield (k, *rest)


Known = dict[str, int | Decimal | None | str]  # path -> number, None (blank) or "?" (not assessable)


_NOT_A_VALUE = (CellState.PLACEHOLDER, CellState.UNREADABLE)
_BLANK = CellState.BLANK


def _reading(tc: TextCell) -> int | Decimal | None | str:
    r = read_value(tc.text)
    if r is None or r.state in _NOT_A_VALUE:
        return "?"
    if r.state is _BLANK:
        return None
    return r.value


def _check(eq: Equation, known: Known, totals: frozenset[str]) -> bool | None:
    """Whether `eq` holds against `known`; None when it is not assessable (a cell unknown,
    or the blank-detail-total convention)."""
    left: list[int | Decimal | None] = []
    right: list[int | Decimal | None] = []
    for side, paths in ((left, eq.left), (right, eq.right)):
        for p in paths:
            v = known.get(p, "?")
            if v == "?":
                return None
            side.append(v)  # type: ignore[arg-type]
    for side, paths, other in ((left, eq.left, right), (right, eq.right, left)):
        if all(p in totals for p in paths) and all(v is None for v in side) and any(other):
            return None  # the blank-detail-total convention: not assessable
    return sum(v or 0 for v in left) == sum(v or 0 for v in right)


def _fails(eq: Equation, known: Known, totals: frozenset[str]) -> bool:
    """True when every cell of `eq` is known and the equation does not hold."""
    return _check(eq, known, totals) is False


def _confirmed(equations: Sequence[Equation], known: Known, totals: frozenset[str]) -> bool:
    """At least one of `equations` is assessable and holds: a placement needs an identity.
    Values that fit their columns one way only because of the column count (a glued "35"
    in two columns is 3 | 5) are not placed on that alone."""
    return any(_check(eq, known, totals) is True for eq in equations)


#: Why a row whose values fit one way is still not placed.
UNCONFIRMED = ("no identity covering the row can be assessed, so nothing but the column count "
               "decides where its values go")


def _outcome(c: Candidate) -> tuple[str, ...]:
    return tuple(t.text for t in c)


def _touching(equations: Sequence[Equation], paths: list[str]) -> list[Equation]:
    touched = set(paths)
    return [eq for eq in equations if not touched.isdisjoint(eq.paths)]


def _read_by(equations: Sequence[Equation], known: Known) -> Known:
    """What `_check` reads of `known` for `equations`: their cells that are known (a trial
    copies these, not every cell of the report)."""
    return {p: known[p] for eq in equations for p in eq.paths if p in known}


def _survivors(row: Ambiguous, known: Known, equations: list[Equation],
               totals: frozenset[str]) -> list[Candidate]:
    """The row's candidates that fail none of `equations` against `known`, one per outcome."""
    seen: dict[tuple[str, ...], Candidate] = {}
    known = _read_by(equations, known)
    for cand in row.candidates:
        if _outcome(cand) in seen:
            continue
        trial = {**known, **{p: _reading(tc) for p, tc in zip(row.paths, cand, strict=True)}}
        if not any(_fails(eq, trial, totals) for eq in equations):
            seen[_outcome(cand)] = cand
    return list(seen.values())


def resolve(
    template: str, fixed: dict[str, TextCell], rows: list[Ambiguous]
) -> tuple[dict[str, Candidate], dict[str, str]]:
    """Choose one candidate per ambiguous row where exactly one outcome fits the identities.

    Returns (chosen candidate per row key, reason per row key left unplaced).
    """
    equations = instances(template)
    totals = detail_totals(template)
    known: Known = {p: _reading(tc) for p, tc in fixed.items()}
    # Each row on its own (its row identity, and columns against the fixed rows), distinct
    # outcomes only.
    by_key = {r.key: r for r in rows}
    touching = {r.key: _touching(equations, r.paths) for r in rows}
    pending = {row.key: _survivors(row, known, touching[row.key], totals) for row in rows}
    # Fix the rows with one survivor, then search the rest jointly.
    chosen = {key: cands[0] for key, cands in pending.items() if len(cands) == 1}
    for key, cand in chosen.items():
        known.update({p: _reading(tc) for p, tc in zip(by_key[key].paths, cand, strict=True)})
    open_keys = [k for k, c in pending.items() if len(c) > 1]
    size = math.prod(len(pending[k]) for k in open_keys)
    if open_keys and size <= MAX_COMBINATIONS:
        relevant = _touching(equations, [p for k in open_keys for p in by_key[k].paths])
        _search_jointly([by_key[k] for k in open_keys], pending, chosen, known, relevant, totals)
    final = dict(known)
    for key, cand in chosen.items():
        final.update({p: _reading(tc) for p, tc in zip(by_key[key].paths, cand, strict=True)})
    unplaced: dict[str, str] = {}
    for key in [k for k in chosen if not _confirmed(touching[k], final, totals)]:
        del chosen[key]
        unplaced[key] = (UNCONFIRMED if touching[key] else
                         "no identity covers the row: its values fit its columns one way only "
                         "because of the column count, which checks nothing")
    for key, cands in pending.items():
        if key in chosen or key in unplaced:
            continue
        if not touching[key]:
            n = len({_outcome(c) for c in by_key[key].candidates})
            unplaced[key] = f"no identity covers the row, and {n} placements of its values fit its columns"
            continue
        if not cands:
            unplaced[key] = "no placement of its values satisfies the template's identities"
        else:
            unplaced[key] = (
                f"{len(cands)} placements of its values satisfy the template's identities"
                if len(cands) > 1 or size > MAX_COMBINATIONS
                else "its placement depends on other unplaced rows"
            )
    return chosen, unplaced


def _search_jointly(open_rows: list[Ambiguous], pending: dict[str, list[Candidate]],
                    chosen: dict[str, Candidate], known: Known, equations: list[Equation],
                    totals: frozenset[str]) -> None:
    """Try every combination of the open rows' survivors together: a row whose surviving
    combinations agree on one outcome is chosen, the others keep the outcomes that survive
    (`pending` and `chosen` are updated in place)."""
    fits: list[tuple[Candidate, ...]] = []
    known = _read_by(equations, known)
    for combo in itertools.product(*(pending[r.key] for r in open_rows)):
        trial = dict(known)
        for row, cand in zip(open_rows, combo, strict=True):
            trial.update({p: _reading(tc) for p, tc in zip(row.paths, cand, strict=True)})
        if not any(_fails(eq, trial, totals) for eq in equations):
            fits.append(combo)
    for i, row in enumerate(open_rows):
        outcomes = {_outcome(combo[i]) for combo in fits}
        if len(outcomes) == 1:
            chosen[row.key] = fits[0][i]
        else:
            pending[row.key] = [c for c in pending[row.key] if _outcome(c) in outcomes]


class TooManyPlacements(Exception):
    """More candidate assignments than the search will try: the caller flags, never guesses."""


def orphan_assignments(
    template: str,
    fixed: dict[str, TextCell],
    slots: Sequence[str],
    orphans: Sequence[tuple[Sequence[TextCell], frozenset[str]]],
    columns: Sequence[str],
) -> list[tuple[str, ...]]:
    """Ways to give rows that lost their labels the free template rows between two
    recognised rows.

    `slots` are the free row keys ("s3.partially_granted") in template order; each orphan is
    its value cells (one per column) and the slots its label fragments allow. Rows keep
    their printed order, so an assignment is an increasing choice of slots. It survives when
    no identity it makes assessable fails (a slot left empty stays unknown) and one of them
    holds. Returns every
    surviving assignment, one slot key per orphan; raises `TooManyPlacements` beyond
    `MAX_COMBINATIONS` candidates.
    """
    if math.comb(len(slots), len(orphans)) > MAX_COMBINATIONS:
        raise TooManyPlacements(f"{math.comb(len(slots), len(orphans))} placements to try")
    equations = instances(template)
    totals = detail_totals(template)
    known: Known = {p: _reading(tc) for p, tc in fixed.items()}
    out: list[tuple[str, ...]] = []
    for chosen in itertools.combinations(range(len(slots)), len(orphans)):
        keys = tuple(slots[i] for i in chosen)
        if any(k not in allowed for k, (_, allowed) in zip(keys, orphans, strict=True)):
            continue
        trial = dict(known)
        paths: list[str] = []
        for key, (values, _) in zip(keys, orphans, strict=True):
            row_paths = [f"{key}.{c}" for c in columns]
            trial.update({p: _reading(tc) for p, tc in zip(row_paths, values, strict=True)})
            paths += row_paths
        touched = [eq for eq in equations if set(paths) & set(eq.paths)]
        if not any(_fails(eq, trial, totals) for eq in touched) and _confirmed(touched, trial, totals):
            out.append(keys)
    return out
