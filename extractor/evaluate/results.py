"""The run output `extractor eval` scores: its records and the inputs that failed."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from extractor.evaluate.expected import EvalError
from extractor.schema import Record


class RunOutput(BaseModel):
    """What `extractor run` wrote: records and the names of the inputs that failed."""

    records: list[Record]
    errors: dict[str, str] = Field(default_factory=dict, description="file name -> reason")


def _jsonl(path: Path) -> list[tuple[int, dict]]:
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                raise EvalError(f"{path}:{n}: not JSON: {e.msg}") from e
    return rows


def load_run(out: Path) -> RunOutput:
    """Read OUT/results.jsonl and OUT/errors.jsonl (the latter is optional)."""
    results = out / "results.jsonl"
    if not results.is_file():
        raise EvalError(f"{out} is not an `extractor run` output folder: no results.jsonl")
    records = []
    for n, row in _jsonl(results):
        try:
            records.append(Record.model_validate(row))
        except ValidationError as e:
            raise EvalError(f"{results}:{n}: not a result record: {e.errors()[0]['msg']}") from e
    errors: dict[str, str] = {}
    if (out / "errors.jsonl").is_file():
        for _, row in _jsonl(out / "errors.jsonl"):
            errors[str(row.get("file", ""))] = str(row.get("error", ""))
    return RunOutput(records=records, errors=errors)
