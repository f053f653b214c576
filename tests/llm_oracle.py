"""A scripted "LLM" for the fake server that answers like a careful model would.

Table mapping: it rebuilds the grid of every known document with the same function the
extractor uses and cites the cells the template parser placed (optionally through a
`tamper` function, to cite wrong cells). Narrative: it finds the numbers with regular
expressions and quotes them verbatim. Metadata: it quotes the expected golden values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fake_llm import Reply

from extractor.llm.grid import build_grid
from extractor.mapping.report import extract
from extractor.run.pipeline import read_document
from extractor.schema import LAYOUTS, CellState, iter_cells

Mapping = dict[str, list[str | None]]

_PATTERNS: tuple[tuple[str, str], ...] = (
    ("active_total", r"(?:公开|公布)[^，。,；;\d]{0,14}?信息(\d+)条"),
    ("applications_received", r"收到[^，。,；;\d]{0,14}?(\d+)件"),
    ("applications_granted", r"予以公开(\d+)件"),
    ("punishment", r"行政处罚[^，。,；;\d]{0,4}?(\d+)[件起]"),
)
_PART = re.compile(r"[,，]\s*(?:其中)?([^，。,；;\d]{2,14}?)(\d+)条")


def task_of(request: dict[str, Any]) -> str:
    system = request["messages"][0]["content"]
    if "map the cells" in system:
        return "table_mapping"
    if "narrative part" in system:
        return "narrative"
    return "metadata"


def user_text(request: dict[str, Any]) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


class Oracle:
    def __init__(self, files: list[Path]) -> None:
        self.grids: list[tuple[str, str, Mapping]] = []  # (doc name, grid text, mapping)
        self.tamper: Callable[[str, str, Mapping], Mapping] | None = None
        self.drop: set[str] = set()  # sections answered with all-null
        for f in files:
            doc = read_document(f)
            ex = extract(doc)
            spans = {c.path: c.span for c in iter_cells(ex.tables)
                     if c.state not in (CellState.MISSING, CellState.UNREADABLE)}
            for section in ("s2", "s3", "s4"):
                grid = build_grid(doc, ex.sections, section)
                by_span = {(tc.start, tc.end): cid for cid, tc in grid.cells.items()}
                mapping: Mapping = {
                    row: [by_span.get(spans.get(f"{section}.{row}.{c}")) for c in cols]  # type: ignore[arg-type]
                    for row, cols in LAYOUTS[ex.tables.template][section].items()
                }
                self.grids.append((f.name, grid.text, mapping))

    def __call__(self, request: dict[str, Any]) -> Reply:
        task = task_of(request)
        text = user_text(request)
        if task == "table_mapping":
            section = "s" + str("二三四".index(text.split("section ")[1][0]) + 2)
            for name, grid, mapping in self.grids:
                if grid and grid in text:
                    m = {k: list(v) for k, v in mapping.items()}
                    if section in self.drop:
                        m = {k: [None] * len(v) for k, v in m.items()}
                    if self.tamper is not None:
                        m = self.tamper(name, section, m)
                    return Reply(arguments=fit(m, text))
            raise AssertionError("oracle: unknown grid")
        if task == "narrative":
            return Reply(arguments={"claims": narrative_claims(text.split("\n", 1)[1])})
        return Reply(arguments={"agency_quote": None, "year_quote": None})


def fit(mapping: Mapping, request_text: str) -> Mapping:
    """The mapping shaped to the rows and columns the request asks for: a field the oracle
    does not know (the schema changed under it) is answered null, as a model would when the
    table has no such cell."""
    asked = re.findall(r"^- (\w+): .*? — columns: (.*)$", request_text, re.M)
    if not asked:
        return mapping
    out: Mapping = {}
    for row, cols in asked:
        n = len(cols.split(", "))
        out[row] = (list(mapping.get(row, [])) + [None] * n)[:n]
    return out


def narrative_claims(text: str) -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = []
    for topic, pat in _PATTERNS:
        for m in re.finditer(pat, text):
            claims.append({"topic": topic, "number": m.group(1), "quote": m.group(0), "part_of": None})
            if topic == "active_total":
                total = len(claims) - 1
                sentence_end = text.find("。", m.end())
                for p in _PART.finditer(text, m.end(), sentence_end if sentence_end > 0 else len(text)):
                    claims.append({"topic": "active_part", "number": p.group(2),
                                   "quote": p.group(0).lstrip(",，").strip(), "part_of": total})
    return claims
