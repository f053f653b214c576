"""A scripted "LLM" for the fake server that answers like a careful model would.

Table mapping: it rebuilds the grid of every known document with the same function the
extractor uses and cites, for each template row in printed order, the next run of grid cells
that reads the row's hand-read golden values (golden/expected; never the parser's placement),
optionally through a `tamper` function, to cite wrong cells. Narrative: it finds the numbers with regular
expressions and quotes them verbatim. Metadata: it quotes the expected golden values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from fake_llm import Reply

from extractor.evaluate.evaluation import Reading, expected_cells, load_expected
from extractor.llm.grid import Grid, build_grid
from extractor.mapping.report import extract
from extractor.run.pipeline import read_document
from extractor.schema import LAYOUTS
from extractor.schema.values import as_amount, read_value

EXPECTED = Path(__file__).resolve().parent.parent / "golden" / "expected"

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
    if system.startswith("This is an endpoint check"):
        return "probe"
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
            ex = extract(doc)  # only for the section headings the grid is cut by
            golden = EXPECTED / f"{f.name}.json"
            expected = expected_cells(load_expected(golden)) if golden.exists() else {}
            template = ex.tables.template
            for section in ("s2", "s3", "s4"):
                grid = build_grid(doc, ex.sections, section)
                rows = {row: [expected.get(f"{section}.{row}.{c}") for c in cols]
                        for row, cols in LAYOUTS[template][section].items()}
                self.grids.append((f.name, grid.text, cite_golden(grid, rows)))

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
    """Claims found with regular expressions in the numbered sentences (`[N] text`)."""
    claims: list[dict[str, Any]] = []
    for line in text.splitlines():
        m0 = re.match(r"\[(\d+)\] (.*)", line)
        if m0 is None:
            continue
        n, sentence = int(m0.group(1)), m0.group(2)
        for topic, pat in _PATTERNS:
            for m in re.finditer(pat, sentence):
                claims.append({"topic": topic, "sentence": n, "number": m.group(1), "part_of": None})
                if topic == "active_total":
                    total = len(claims) - 1
                    for p in _PART.finditer(sentence, m.end()):
                        claims.append({"topic": "active_part", "sentence": n, "number": p.group(2),
                                       "part_of": total})
    return claims


_HAN = re.compile(r"[\u4e00-\u9fff]")


def _reads(text: str, want: Reading | None) -> bool:
    """Does a grid cell's text say the golden reading? missing/unreadable match anything."""
    if want is None or want.state in ("missing", "unreadable"):
        return True
    if want.state == "blank":
        return not text.strip()
    r = read_value(text)
    if r is None:
        return False
    if want.state == "placeholder":
        return r.state.value == "placeholder"
    if want.unit is not None or isinstance(want.value, Decimal):  # an amount, in 万元
        r = as_amount(r)
    return r.state.value == "number" and r.value == want.value


def cite_golden(grid: Grid, rows: dict[str, list[Reading | None]]) -> Mapping:
    """For each template row in printed order, the next run of value cells in the grid that
    reads its golden values (several template rows may share one printed row, as section 四
    does); rows not found are answered null, as a model would."""
    lines: list[list[str]] = [re.findall(r"\[(c\d+)\]", line) for line in grid.lines]
    values: list[list[str]] = []
    for ids in lines:
        while ids and not grid.cells[ids[-1]].text.strip():
            ids = ids[:-1]  # trailing padding
        last_label = max((i for i, cid in enumerate(ids) if _HAN.search(grid.cells[cid].text)
                          and read_value(grid.cells[cid].text) is None), default=-1)
        values.append(ids[last_label + 1:])
    out: Mapping = {}
    at_row, at_cell = 0, 0
    for row, want in rows.items():
        out[row] = [None] * len(want)
        if all(w is None or w.state in ("missing", "unreadable") for w in want):
            continue
        r, c = at_row, at_cell
        while r < len(values):
            run = values[r][c:c + len(want)]
            if len(run) == len(want) and all(
                    _reads(grid.cells[cid].text, w) for cid, w in zip(run, want, strict=True)):
                out[row] = [cid if w is not None and w.state not in ("missing", "unreadable")
                            else None for cid, w in zip(run, want, strict=True)]
                at_row, at_cell = r, c + len(want)
                break
            r, c = r + 1, 0
    return out
