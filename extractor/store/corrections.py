"""Human decisions on cells, applied to a record.

A decision is stored by (document sha256, field path) and applied on top of the machine's
reading whenever results are exported, so it survives re-extraction: a new parser, a new
schema version (paths are moved by the rename map) or an LLM re-run. The machine's reading
is kept beside the decision, and a decision taken on a reading that has since changed is
still applied but marked `machine_changed` for a second look. Reading a decisions file is
`extractor.review.decisions`.
"""

from __future__ import annotations

from extractor.schema import CellStatus, Correction, Record, iter_cells, summarize


def apply(record: Record, corrections: dict[str, Correction]) -> Record:
    """The record with a person's decisions applied (a copy; the input is not changed).

    accept: the machine's value stands; set: the person's value replaces it; source_wrong:
    the printed value stands and is marked as an error of the source. In every case the
    cell's status becomes `corrected` and the decision is attached to the cell.
    """
    if not corrections:
        return record
    record = record.model_copy(deep=True)
    for cell in iter_cells(record.tables):
        c = corrections.get(cell.path)
        if c is None:
            continue
        changed = (c.machine_state, c.machine_value) != (cell.state, cell.value)
        cell.correction = c.model_copy(update={
            "machine_state": cell.state, "machine_value": cell.value, "machine_changed": changed})
        if c.decision == "set" and c.state is not None:
            cell.state, cell.value = c.state, c.value
        cell.status = CellStatus.CORRECTED
    record.summary = summarize(record.tables)
    return record


