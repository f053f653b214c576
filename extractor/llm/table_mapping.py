"""Table mapping: the LLM cites, for each template field, the grid cell holding its value.

The LLM never writes a number. Its reply is a list of cell ids per template row, and every
id is an enum member of the JSON schema sent (the grid's open value cells, or null), so a
server that constrains its output to the schema (llama.cpp's TOOLS grammar, vLLM, OpenAI
strict JSON schema) can only emit a valid id; the schema names only the template rows still
open. The value
of each field is read from the cited cell's text by `extractor.mapping.cells.cell_from_text`,
the one builder of cells the parser uses too (the same value reader, bracketed notes and
header units), and keeps the cell's span. Ids that do not exist, or one cell
cited for two fields, fail validation and are re-asked (bounded); what still fails is
flagged, never guessed.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from extractor.ingest.document import Document
from extractor.llm.grid import Grid
from extractor.llm.prompts import Prompt
from extractor.mapping.cells import cell_from_text
from extractor.schema import LAYOUTS, Cell, CellState, title
from extractor.schema.values import read_value

SECTION_NAMES = {"s2": "二、主动公开政府信息情况", "s3": "三、收到和处理政府信息公开申请情况",
                 "s4": "四、政府信息公开行政复议、行政诉讼情况"}


class _MappingBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _known_distinct_ids(self, info: ValidationInfo) -> _MappingBase:
        known = (info.context or {}).get("cell_ids")
        seen: dict[str, str] = {}
        problems: list[str] = []
        for row in type(self).model_fields:
            for i, cid in enumerate(cited_ids(self, row)):
                if cid is None:
                    continue
                if known is not None and cid not in known:
                    problems.append(f"{row}[{i}]: {cid} is not a cell id of the table")
                elif cid in seen:
                    problems.append(f"{row}[{i}]: {cid} is already cited for {seen[cid]}")
                else:
                    seen[cid] = f"{row}[{i}]"
        if problems:
            raise ValueError("invalid cell citations: " + "; ".join(problems[:10]))
        return self


def value_ids(grid: Grid, taken: Iterable[tuple[int, int]] = ()) -> list[str]:
    """The ids a field may cite: cells whose text is a value (a number, a placeholder, or
    blank), never a label or header cell; `taken` spans (cells the rules already settled)
    are left out too."""
    used = set(taken)
    return [cid for cid, tc in grid.cells.items()
            if read_value(tc.text) is not None and (tc.start, tc.end) not in used]


def rows_of(template: str, section: str, rows: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    layout = LAYOUTS[template][section]
    wanted = set(layout) if rows is None else set(rows)
    return {row: cols for row, cols in layout.items() if row in wanted}


def mapping_model(template: str, section: str, ids: list[str],
                  rows: Iterable[str] | None = None) -> type[BaseModel]:
    """One field per (open) template row: the cell ids of its columns, in order (null: none).
    Each id is a member of one enum of `ids` (in the schema's $defs once, referenced by every
    field), so a schema-constrained server cannot cite a label or an unknown cell."""
    cell_id: Any = enum.Enum("CellId", {cid: cid for cid in ids}, type=str) if ids else str
    fields: dict[str, Any] = {}
    for row, cols in rows_of(template, section, rows).items():
        names = ", ".join(title(f"{section}.{row}.{c}").split("·")[-1] for c in cols)
        fields[row] = (
            Annotated[list[cell_id | None], Field(  # type: ignore[valid-type]
                min_length=len(cols), max_length=len(cols),
                description=f"{title(f'{section}.{row}')}: cell ids for {names}")],
            ...,
        )
    return create_model(f"Map{template}{section.upper()}", __base__=_MappingBase, **fields)


def cited_ids(mapping: BaseModel, row: str) -> list[str | None]:
    """A row's citations as plain strings (enum members unwrapped)."""
    return [None if c is None else getattr(c, "value", c) for c in getattr(mapping, row)]


def messages(prompt: Prompt, template: str, section: str, grid: Grid,
             rows_asked: Iterable[str] | None = None) -> list[dict[str, str]]:
    rows = "\n".join(
        f"- {row}: {title(f'{section}.{row}')} — columns: "
        + ", ".join(title(f"{section}.{row}.{c}").split("·")[-1] for c in cols)
        for row, cols in rows_of(template, section, rows_asked).items()
    )
    user = (f"Template version {template}, section {SECTION_NAMES[section]}.\n"
            f"Template rows to fill:\n{rows}\n\nThe table as recovered:\n{grid.text}")
    return [{"role": "system", "content": prompt.text}, {"role": "user", "content": user}]


def feedback(base: list[dict[str, str]], mapping: BaseModel, failures: list[str]) -> list[dict[str, str]]:
    """One follow-up after identities fail with the cited cells (sent at most once)."""
    reply = json.dumps({row: cited_ids(mapping, row) for row in type(mapping).model_fields},
                       ensure_ascii=False)
    text = ("With the cells you cited, these checks of the template's arithmetic fail:\n"
            + "\n".join(f"- {f}" for f in failures[:12])
            + "\nRe-check each cited cell's row and column. If the printed table itself does "
            "not add up, keep citing the cells as printed: never cite a different cell to "
            "make a total balance.")
    return [*base, {"role": "assistant", "content": reply}, {"role": "user", "content": text}]


def cells_from_mapping(doc: Document, template: str, section: str, grid: Grid,
                       mapping: BaseModel) -> dict[str, Cell]:
    """The LLM's cells: each read from the cited grid cell's text, with its span, by the
    builder the parser uses (a bracketed note set apart, the header's money unit applied)."""
    out: dict[str, Cell] = {}
    for row, cols in rows_of(template, section, type(mapping).model_fields).items():
        for col, cid in zip(cols, cited_ids(mapping, row), strict=True):
            path = f"{section}.{row}.{col}"
            tc = grid.cells.get(cid) if cid else None
            if tc is None:
                out[path] = Cell(path=path, state=CellState.MISSING, reader="llm",
                                 reasons=["LLM: no cell cited for this field"])
                continue
            cell, _ = cell_from_text(doc, path, tc, grid.header_units.get(cid), reader="llm")
            if cell.state is CellState.UNREADABLE:
                # The reason names the LLM's citation, not a layout the parser could not read.
                cell.reasons = [f"LLM: cited {cid} whose text {tc.text!r} is not one number"]
            out[path] = cell
    return out
