"""Agencies across years: the agency × year panel of a run and the checks that span
documents (X1–X4). Sits between the exports and the run: `outputs ← panel ← run`.

- `names`: an agency's canonical key (documented rules + an optional alias file);
- `rules`: the cross-document rules as data;
- `build`: the panel and its findings, never changing a number;
- `write`: panel, panel_flags and panel_checks in csv, parquet, sqlite and xlsx, and the
  flags added to the run's flags.csv.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from extractor.outputs.items import Item
from extractor.panel.build import Panel, build_panel
from extractor.panel.names import Alias, AliasError, agency_identity, load_aliases
from extractor.panel.write import merge_run_flags, write_panel


def panel_step(items: Iterable[Item], out: Path, aliases: dict[str, Alias] | None = None,
               formats: Sequence[str] = ("csv",), dest: Path | None = None) -> Panel:
    """Build the panel of a run's items, write it into `dest` (default `out`) and add its
    flags to OUT/flags.csv."""
    panel = build_panel(items, aliases)
    write_panel(panel, dest or out, formats)
    merge_run_flags(out, panel)
    return panel


__all__ = ["AliasError", "Panel", "agency_identity", "build_panel", "load_aliases",
           "merge_run_flags", "panel_step", "write_panel"]
