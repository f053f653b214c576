"""The run's closing line: cells by status, with what needs a person kept apart from what is
missing because the file is cut off or a table is absent, and people's corrections counted.

Counted in SQL over the run store (cells of each run item's result), so a resumed run of
thousands of documents does not re-read every record; a document with people's decisions
is counted from its record with the decisions applied and re-checked, as the exports show
it (a `set` can verify or flag its neighbours; an `accept` on a reading that has changed
since is not applied).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from extractor.outputs.items import item_of
from extractor.outputs.tables import STATUSES
from extractor.schema import CellState, iter_cells
from extractor.store.store import Store

#: counted on the cell rows' text ids, named afterwards (the `cells` view would join five
#: texts to every row)
_COUNT = """
SELECT st.text, s.text = 'missing', g.truncated, g.n FROM (
    SELECT c.status, c.state, r.truncated, count(*) AS n
    FROM run_items i
    JOIN results r ON r.id = i.result_id
    JOIN cell_rows c ON c.result_id = i.result_id
    WHERE i.run_id = ? AND i.sha256 NOT IN (SELECT sha256 FROM corrections)
    GROUP BY 1, 2, 3) g
JOIN cell_text s ON s.id = g.state
LEFT JOIN cell_text st ON st.id = g.status
"""
_DECIDED = """
SELECT i.seq, i.path, i.sha256, i.result_id, NULL, NULL FROM run_items i
WHERE i.run_id = ? AND i.result_id IS NOT NULL
  AND i.sha256 IN (SELECT sha256 FROM corrections)
ORDER BY i.seq
"""
_CUT = """
SELECT count(*) FROM run_items i JOIN results r ON r.id = i.result_id
WHERE i.run_id = ? AND r.truncated = 1
"""


@dataclass
class CellCounts:
    cells: int = 0
    #: cells by status as exported (a cell a person decided is `corrected`)
    by_status: Counter[str] = field(default_factory=Counter)
    #: flagged cells that are missing (not decided): the file is cut off or a table absent
    missing: int = 0
    missing_in_cut_files: int = 0
    cut_files: int = 0

    def add(self, status: str | None, missing: bool, truncated: bool, n: int = 1) -> None:
        self.cells += n
        self.by_status[status or "none"] += n
        if status == "flagged" and missing:
            self.missing += n
            if truncated:
                self.missing_in_cut_files += n

    @property
    def needs_person(self) -> int:
        """Flagged cells other than missing ones."""
        return self.by_status["flagged"] - self.missing

    def describe(self) -> str:
        """'1423 verified, 218 inferred (placed by the identities), 291 grounded only,
        66 flagged (need a person), 1780 missing (…), 0 corrected'."""
        parts = []
        for s in STATUSES:
            n = self.by_status[s]
            if s == "grounded":
                parts.append(f"{n} grounded only")
            elif s == "inferred":
                parts.append(f"{n} inferred (placed by the identities)")
            elif s == "flagged":
                parts.append(f"{self.needs_person} flagged (need a person)")
                parts.append(f"{self.missing} missing{self._why_missing()}")
            else:
                parts.append(f"{n} {s}")
        return ", ".join(parts)

    def _why_missing(self) -> str:
        absent = self.missing - self.missing_in_cut_files
        why = []
        if self.missing_in_cut_files:
            files = "file" if self.cut_files == 1 else "files"
            why.append(f"{self.missing_in_cut_files} in {self.cut_files} cut-off {files}")
        if absent:
            why.append(f"{absent} where a table or row is absent")
        return f" ({', '.join(why)})" if why else ""


def cell_counts(store: Store, run_id: int) -> CellCounts:
    counts = CellCounts()
    for status, missing, truncated, n in store.db.execute(_COUNT, (run_id,)):
        counts.add(status, bool(missing), bool(truncated), n)
    decided = store.has_corrections()
    for row in store.db.execute(_DECIDED, (run_id,)).fetchall():
        record = item_of(store, row, decided).record
        assert record is not None
        for c in iter_cells(record.tables):
            counts.add(c.status.value if c.status else None, c.state is CellState.MISSING,
                       record.truncated)
    counts.cut_files = store.db.execute(_CUT, (run_id,)).fetchone()[0]
    return counts
