"""PDF rendering: ms/page of the pdfium and pdfplumber renderers, and whether they agree.

Run by hand:  python bench/pdf.py [--pages 300] [--repeat 3]

Renders the golden PDF (6 pages) and a generated multi-page PDF (the golden reports
rendered by reportlab, repeated up to --pages pages; needs the test extra) with both
renderers, --repeat times each, and prints the median ms/page, the speed-up, and whether
the two texts and page starts are byte-identical (CPU time of the process is shown too:
on a shared machine it moves less than wall time). Ends with one summary line:
``pdf: pdfium <ms>/page, pdfplumber <ms>/page (<x>x) on <file>``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, not an installed copy
sys.path.insert(1, str(ROOT / "tests"))  # pdf_samples: the generated PDF

from extractor.ingest.pdf_reader import RENDERERS, render_pdf  # noqa: E402


def ms_per_page(raw: bytes, renderer: str, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU (this process) milliseconds per page, and the last rendering."""
    wall, cpu, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = render_pdf(raw, renderer)
        wall.append((time.perf_counter() - t) * 1000 / out.pages)
        cpu.append((time.process_time() - c) * 1000 / out.pages)
    return statistics.median(wall), statistics.median(cpu), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=300, help="pages of the generated PDF")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from pdf_samples import golden_reports, golden_reports_pdf

    with tempfile.TemporaryDirectory() as tmp:
        per_copy = 18  # pages of one rendering of the golden reports (checked below)
        copies = -(-args.pages // per_copy)
        generated = golden_reports_pdf(Path(tmp) / f"generated_{args.pages}.pdf", copies=copies,
                                       max_pages=args.pages)
        assert len(golden_reports()) > 0
        files = [ROOT / "golden" / "inputs" / "huaian_gov_2024.pdf", generated]
        summary = ""
        for path in files:
            raw = path.read_bytes()
            results = {r: ms_per_page(raw, r, args.repeat) for r in RENDERERS}
            (fast, fast_cpu, a), (slow, slow_cpu, b) = results["pdfium"], results["pdfplumber"]
            same = (a.text, a.page_starts) == (b.text, b.page_starts)  # type: ignore[attr-defined]
            print(f"{path.name}: {a.pages} pages; pdfium {fast:.1f} ms/page (CPU "  # type: ignore[attr-defined]
                  f"{fast_cpu:.1f}; read by {a.renderer}), pdfplumber {slow:.1f} ms/page "  # type: ignore[attr-defined]
                  f"(CPU {slow_cpu:.1f}), {slow / fast:.2f}x; identical text and page "
                  f"starts: {same}")
            summary = (f"pdf: pdfium {fast:.1f} ms/page, pdfplumber {slow:.1f} ms/page "
                       f"({slow / fast:.2f}x) on {path.name}")
            if not same:
                sys.exit(f"{path.name}: the renderers disagree")
        print(summary)


if __name__ == "__main__":
    main()
