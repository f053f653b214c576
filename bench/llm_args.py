"""Command-line arguments shared by the LLM benches (llm_cache.py, llm_tokens.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def golden_selection(argv: list[str] | None, description: str) -> tuple[list[Path], str]:
    """(the golden inputs chosen with --report, all by default; the --llm policy)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--llm", choices=("on", "auto"), default="on",
                    help="on: every task for every report (default); auto: the routing policy")
    ap.add_argument("--report", action="append", default=None,
                    help="only this golden input (file name); repeatable")
    args = ap.parse_args(argv)
    golden = ROOT / "golden" / "inputs"
    files = sorted(golden / n for n in args.report) if args.report else sorted(golden.iterdir())
    unknown = [f.name for f in files if not f.is_file()]
    if unknown:
        sys.exit(f"not a golden input: {', '.join(unknown)}")
    return files, args.llm
