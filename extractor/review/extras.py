"""What the review page shows of a report besides its own reading: the panel's
cross-document findings (`cross_flags`, `with_cross`) and, for a report read by OCR, the
crop of the scan beside a flag (`with_crops`)."""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extractor.outputs.rows import SECTION_NAMES
from extractor.outputs.safe import unneutralise
from extractor.schema import CellStatus, OcrReading, Record, iter_cells


def sections_of(paths: Iterable[str]) -> list[str]:
    """The template sections (s2, s3, s4) the cell paths fall in; ["none"] for none."""
    found = sorted({p.split(".")[0] for p in paths if p.split(".")[0] in SECTION_NAMES})
    return found or ["none"]


def cross_flags(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The panel's cross-document findings of a run folder (``panel_flags.csv``, written by
    `extractor run` / `extractor panel`), as page flags by document sha256: one per document
    involved, at that document's cells and span, with a link to the other document. Flags
    (X1, X3, X4, AGENCY) go with the flags to decide where the document has a flagged cell
    among them (`with_cross`), otherwise, like the warnings (X2), they are for information."""
    path = folder / "panel_flags.csv"
    out: dict[str, list[dict[str, Any]]] = {}
    if not path.is_file():
        return out
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return out

    def side(row: dict[str, str], s: str) -> dict[str, str]:
        return {k[2:]: unneutralise(v or "") for k, v in row.items() if k and k.startswith(s + "_")}

    for row in rows:
        for me, other in (("a", "b"), ("b", "a")):
            a, b = side(row, me), side(row, other)
            if not a.get("sha256"):
                continue
            start, end = a.get("span_start"), a.get("span_end")
            links = ([{"sha": b["sha256"], "file": b.get("file", ""),
                       "label": " · ".join(x for x in (b.get("year", ""), b.get("file", "")) if x)}]
                     if b.get("sha256") else [])
            out.setdefault(a["sha256"], []).append({
                "r": row.get("rule", ""), "k": row.get("key", ""),
                "m": unneutralise(row.get("message", "")), "v": row.get("verdict") or None,
                "paths": (a.get("paths") or "").split(),
                "sp": [int(start), int(end)] if start and end else None,
                "g": "decide" if row.get("severity") == "flag" else "info", "links": links})
    return out


def with_cross(data: dict[str, Any], found: list[dict[str, Any]]) -> None:
    """Add a report's cross-document flags (`cross_flags`) to its page data."""
    index = {c["p"]: i for i, c in enumerate(data["cells"])}
    for f in found:
        f = dict(f)
        paths = f.pop("paths")
        f["c"] = [index[p] for p in paths if p in index]
        f["s"] = sections_of(paths)
        if not any(data["cells"][c]["st"] == CellStatus.FLAGGED.value for c in f["c"]):
            f["g"] = "info"  # nothing flagged here to decide: the other side may be
        data["flags"].append(f)


def with_crops(data: dict[str, Any], record: Record, source: Path) -> None:
    """For a report read by OCR: each flag whose flagged cells were read from a page image
    gets the crop of the scan around them (``image``), to compare with the digits read. The
    crop covers the flag's OCR'd cells on the page of the first one. A crop that cannot be
    made leaves the flag as it is (the page never fails for a picture)."""
    from extractor.ingest.ocr.crop import crop_png

    cells = list(iter_cells(record.tables))
    try:
        raw = source.read_bytes()
    except OSError:
        return
    for f in data["flags"]:
        read = [cells[i].ocr for i in f["c"]
                if cells[i].ocr is not None and data["cells"][i]["st"] == CellStatus.FLAGGED.value]
        if not read:
            continue
        page = read[0].page
        boxes = [r.bbox for r in read if r.page == page]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
               max(b[2] for b in boxes), max(b[3] for b in boxes))
        reading = OcrReading(page=page, bbox=box, confidence=min(r.confidence for r in read))
        try:
            png = crop_png(raw, reading)
        except Exception:  # noqa: BLE001 - a damaged or moved input: no picture, the rest stands
            continue
        f["image"] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
