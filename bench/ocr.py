"""OCR bench (run by hand; needs the `ocr` extra): every complete golden report as a scan.

The golden PDF is rendered page by page to 200 dpi images (pypdfium2) and saved as an
image-only PDF; each complete golden text report is drawn onto A4 page images with PIL (its
tab rows as ruled tables, its other lines as text) when a CJK font is installed (Debian's
fonts-wqy-microhei; `--font PATH` for another): the text as the reader renders it, so an
HTML report's tables are tab rows too. Each scan is extracted and compared with its
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


def draw_text_report(text: str, font_path: Path) -> bytes:
    """A text report drawn on A4 pages: tab rows as ruled table rows, other lines as text."""
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
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        cells = line.split("\t") if "\t" in line else None
        if cells is None and line.count("|") >= 2:
            if set(line) <= set("|-: "):
                continue  # a Markdown separator row
            cells = line.strip().strip("|").split("|")
        height = line_h if cells is None else 2 * line_h
        if y + height > PAGE[1] - margin:
            new_page()
        if cells is None:
            chunk = 38
            for i in range(0, len(line), chunk):
                if y + line_h > PAGE[1] - margin:
                    new_page()
                draw.text((margin, y), line[i:i + chunk], font=font, fill="black")
                y += line_h
            continue
        label_w = int(width * 0.42) if len(cells) > 2 else width // 2
        rest = (width - label_w) // max(1, len(cells) - 1)
        xs = [margin, margin + label_w] + [margin + label_w + rest * k for k in range(2, len(cells))]
        xs.append(margin + width)
        draw.rectangle([margin, y, margin + width, y + height], outline="black", width=2)
        for x in xs[1:-1]:
            draw.line([(x, y), (x, y + height)], fill="black", width=2)
        for k, cell in enumerate(cells):
            cell = cell.strip()
            room = max(1, (xs[k + 1] - xs[k] - 16) // 27)
            parts = [cell[i:i + room] for i in range(0, len(cell), room)][:2] or [""]
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
            raw = draw_text_report(load(src).text, args.font)
        else:
            print(f"{name}: skipped (no CJK font: apt-get install fonts-wqy-microhei)",
                  file=sys.stderr)
            continue
        t0 = time.perf_counter()
        try:
            record = extractor.extract(raw, name=f"{Path(name).stem}.scan.pdf", ocr="on")
        except Exception as e:  # noqa: BLE001 - a bench reports and goes on
            print(f"{name}: {type(e).__name__}: {e}")
            continue
        took = time.perf_counter() - t0
        pages = record.meta.pages or 1
        s = score(record, golden)
        rows.append((name, pages, took, s))
        print(f"{name}: {pages} pages, {took / pages:.1f} s/page, correct {s['correct']}, "
              f"flagged {s['flagged']}, silent {s['silent']}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = {k: sum(r[3][k] for r in rows) for k in ("correct", "flagged", "silent")}
    pages = sum(r[1] for r in rows)
    secs = sum(r[2] for r in rows)
    print(f"TOTAL {len(rows)} reports, {pages} pages: correct {total['correct']}, flagged "
          f"{total['flagged']}, silent {total['silent']}; {secs / max(pages, 1):.1f} s/page; "
          f"peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
