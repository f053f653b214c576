"""OCR bench (run by hand; needs the `ocr` extra): every complete golden report as a scan.

The golden PDF is rendered page by page to 200 dpi images (pypdfium2) and saved as an
image-only PDF; each complete golden text report is drawn onto A4 page images with PIL (its
tab rows as ruled tables, its other lines as text) when a CJK font is installed (Debian's
fonts-wqy-microhei; `--font PATH` for another): its recovered table rows as ruled rows (blank
cells kept), its other lines as text, as a scan of the printed report would show it. Each scan is extracted and compared with its
golden file: cells correct / flagged (wrong but flagged) / silent (wrong and not flagged:
the goal is 0), seconds per page, peak memory (max RSS of this process).

    python bench/ocr.py [--only NAME ...] [--font PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

import extractor
from extractor.evaluate.expected import cell_reading, expected_cells, load_expected
from extractor.ingest.reader import load
from extractor.layout import with_rows
from extractor.schema import CellStatus, iter_cells

ROOT = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DPI = 200
PAGE = (int(8.27 * DPI), int(11.69 * DPI))  # A4


def scan_pdf(path: Path) -> bytes:
    pdf = pdfium.PdfDocument(path)
    images = [p.render(scale=DPI / 72).to_pil().convert("RGB") for p in pdf]
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buf.getvalue()


def report_rows(src: Path) -> list[list[str] | str]:
    """A report as printed: its recovered table rows as lists of cell texts (blank cells
    kept), its other lines as text (so a layout the text file lost, one cell per line, is
    drawn as the table it stands for, as a scan of the paper would show it)."""
    doc = with_rows(load(src))
    out: list[list[str] | str] = []
    for row in doc.rows:
        if row.is_line or len(row.cells) < 2:
            if row.text.strip():
                out.append(row.text.strip())
        else:
            out.append([c.text for c in row.cells])
    return out


def draw_report(rows: list[list[str] | str], font_path: Path) -> bytes:
    """Rows drawn on A4 page images: table rows as ruled rows, lines as text."""
    font = ImageFont.truetype(str(font_path), 26)
    margin, line_h, width = 120, 44, PAGE[0] - 240
    pages: list[Image.Image] = []
    page = draw = None
    y = 0

    def new_page() -> None:
        nonlocal page, draw, y
        page = Image.new("RGB", PAGE, "white")
        draw = ImageDraw.Draw(page)
        pages.append(page)
        y = margin

    new_page()
    for item in rows:
        if isinstance(item, str):
            for i in range(0, len(item), 38):
                if y + line_h > PAGE[1] - margin:
                    new_page()
                draw.text((margin, y), item[i:i + 38], font=font, fill="black")
                y += line_h
            continue
        cells = item
        label_w = int(width * 0.42) if len(cells) > 2 else width // 2
        rest = (width - label_w) // max(1, len(cells) - 1)
        xs = [margin, margin + label_w] + [margin + label_w + rest * k for k in range(1, len(cells) - 1)]
        xs.append(margin + width)
        # Every character of a cell is drawn (as on a printed page): the row grows with its
        # longest cell, wrapped to the column's width.
        wrapped = []
        for k, cell in enumerate(cells):
            cell = cell.strip()
            room = max(1, (xs[k + 1] - xs[k] - 16) // 27)
            wrapped.append([cell[i:i + room] for i in range(0, len(cell), room)] or [""])
        height = max(2 * line_h, 16 + 36 * max(len(w) for w in wrapped))
        if y + height > PAGE[1] - margin:
            new_page()
        draw.rectangle([margin, y, margin + width, y + height], outline="black", width=2)
        for x in xs[1:-1]:
            draw.line([(x, y), (x, y + height)], fill="black", width=2)
        for k, parts in enumerate(wrapped):
            for j, part in enumerate(parts):
                draw.text((xs[k] + 8, y + 8 + j * 36), part, font=font, fill="black")
        y += height
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI)
    return buf.getvalue()


def score(record: extractor.Record, golden: Path) -> dict[str, int]:
    exp = expected_cells(load_expected(golden))
    out = {"correct": 0, "flagged": 0, "silent": 0}
    for cell in iter_cells(record.tables):
        want = exp.get(cell.path)
        if want is None:
            continue
        if cell_reading(cell) == want:
            out["correct"] += 1
        elif cell.status is CellStatus.FLAGGED:
            out["flagged"] += 1
        else:
            out["silent"] += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--font", type=Path, default=FONT)
    args = ap.parse_args()
    rows = []
    for golden in sorted((ROOT / "golden" / "expected").glob("*.json")):
        meta = json.loads(golden.read_text(encoding="utf-8"))
        name = meta["file"]
        if meta.get("truncated") or (args.only and name not in args.only):
            continue
        src = ROOT / "golden" / "inputs" / name
        if src.suffix == ".pdf":
            raw = scan_pdf(src)
        elif args.font.exists():  # the text as the reader renders it (HTML tables as tab rows)
            raw = draw_report(report_rows(src), args.font)
        else:
            print(f"{name}: skipped (no CJK font: apt-get install fonts-wqy-microhei)",
                  file=sys.stderr)
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            record = extractor.extract(raw, name=f"{Path(name).stem}.scan.pdf", ocr="on")
        except Exception as e:  # noqa: BLE001 - a bench reports and goes on
            print(f"{name}: {type(e).__name__}: {e}")
            continue
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        pages = record.meta.pages or 1
        s = score(record, golden)
        rows.append((name, pages, took, s, cpu))
        print(f"{name}: {pages} pages, {took / pages:.1f} s/page ({cpu / pages:.1f} s of CPU), "
              f"correct {s['correct']}, "
              f"flagged {s['flagged']}, silent {s['silent']}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = {k: sum(r[3][k] for r in rows) for k in ("correct", "flagged", "silent")}
    pages = sum(r[1] for r in rows)
    secs = sum(r[2] for r in rows)
    cpu = sum(r[4] for r in rows)
    print(f"TOTAL {len(rows)} reports, {pages} pages: correct {total['correct']}, flagged "
          f"{total['flagged']}, silent {total['silent']}; {secs / max(pages, 1):.1f} s/page ({cpu / max(pages, 1):.1f} s of CPU); "
          f"peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
