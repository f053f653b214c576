"""The run output `extractor eval` scores: its records and the inputs that failed."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from extractor.evaluate.expected import EvalError
from extractor.outputs.items import RunSourceError, read_run
from extractor.schema import Record


class RunOutput(BaseModel):
    """What `extractor run` wrote: records and the names of the inputs that failed."""

    records: list[Record]
    errors: dict[str, str] = Field(default_factory=dict, description="file name -> reason")


def load_run(target: Path) -> RunOutput:
    """The run at `target`: the newest run of a folder's store.sqlite, people's decisions
    applied as the exports apply them, or a results.jsonl.gz or results.jsonl (named, or in a folder without a
    store) with the errors.jsonl beside it. See `extractor.outputs.items.read_run`."""
    records = []
    errors: dict[str, str] = {}
    try:
        for item in read_run(target):
            if item.record is not None:
                records.append(item.record)
            elif item.error is not None:
                errors[item.error.file] = item.error.error
    except RunSourceError as e:
        raise EvalError(str(e)) from e
    return RunOutput(records=records, errors=errors)
