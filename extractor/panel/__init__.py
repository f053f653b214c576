"""Agencies across years: the agency × year panel of a run and the checks that span
documents (X1–X4). Sits between the exports and the run: `outputs ← panel ← run`.

- `names`: an agency's canonical key (documented rules + an optional alias file);
- `rules`: the cross-document rules as data;
- `build`: the panel and its findings, never changing a number;
- `write`: panel, panel_flags and panel_checks in csv, parquet, sqlite and xlsx, and the
  flags added to the run's flags.csv.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from extractor.outputs.items import Item, run_items
from extractor.panel.build import Panel, PanelBuilder, build_panel
from extractor.panel.names import Alias, AliasError, agency_identity, load_aliases
from extractor.panel.write import TABLES, merge_run_flags, write_panel
from extractor.store.store import Store

#: Bump when what the panel holds changes without a change of columns.
PANEL_VERSION = "1"


def panel_step(items: Iterable[Item] | PanelBuilder, out: Path,
               aliases: dict[str, Alias] | None = None, formats: Sequence[str] = ("csv",),
               dest: Path | None = None) -> Panel:
    """Build the panel of a run's items (or finish a builder that has seen them), write it
    into `dest` (default `out`) and add its flags to OUT/flags.csv. The panel returned is
    closed: its counts and lengths remain, its rows are in the files."""
    panel = items.finish() if isinstance(items, PanelBuilder) else build_panel(items, aliases)
    try:
        write_panel(panel, dest or out, formats)
        merge_run_flags(out, panel)
    finally:
        panel.close()  # its spill file; its counts stay
    return panel


#: The store's meta key holding the alias names the folder's panel is built with.
ALIASES_KEY = "panel_aliases"


def folder_aliases(store: Store, aliases: dict[str, Alias] | None
                   ) -> tuple[dict[str, Alias] | None, bool]:
    """The alias names the panel of this store's folder is built with, and whether they were
    recalled: `aliases` when given (then remembered for the folder: a later `run`, `panel` or
    `correct` there builds the same panel), else those an earlier `--aliases` gave (an empty
    alias file given later forgets them), else None."""
    if aliases is not None:
        store.set_meta(ALIASES_KEY, json.dumps(
            sorted([k, a.canonical, a.region_code] for k, a in aliases.items()),
            ensure_ascii=False))
        return aliases, False
    raw = store.get_meta(ALIASES_KEY)
    if raw is None:
        return None, False
    return {k: Alias(canonical, region) for k, canonical, region in json.loads(raw)}, True


def panel_stamp(store: Store, run_id: int, aliases: dict[str, Alias] | None) -> str:
    """What the panel of a run depends on: the run's items and decisions (the exports'
    stamp), the panel's layout and the alias file's content."""
    shape = [PANEL_VERSION, [(n, [c.name for c in cols]) for n, cols, _ in TABLES],
             sorted((k, a.canonical, a.region_code) for k, a in (aliases or {}).items())]
    digest = hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:12]
    return f"{store.export_stamp(run_id)}:{digest}"


def run_panel(store: Store, run_id: int, out: Path, aliases: dict[str, Alias] | None = None,
              force: bool = False, formats: Sequence[str] = ("csv",),
              dest: Path | None = None, seen: PanelBuilder | None = None) -> Panel | None:
    """The panel of a run of OUT's store: OUT/panel*.csv (or `formats` into `dest`) and the
    flags in OUT/flags.csv. `extractor run` calls it with `force` off: skipped (None) when
    the same run, decisions and aliases made the files in OUT already. `seen`: a builder
    that has seen every item of the run (while the exports were written): the records are
    not read again."""
    stamp = panel_stamp(store, run_id, aliases)
    key = f"panel:{out.resolve()}"
    if not force and store.get_meta(key) == stamp and all(
            (out / f"{name}.csv").is_file() for name, _, _ in TABLES):
        return None
    panel = panel_step(seen or run_items(store, run_id), out, aliases, formats, dest)
    in_out = dest is None or dest.resolve() == out.resolve()
    store.set_meta(key, stamp if in_out and "csv" in formats else "")  # flags.csv changed too
    return panel


__all__ = ["ALIASES_KEY", "AliasError", "Panel", "PanelBuilder", "agency_identity",
           "build_panel", "folder_aliases", "load_aliases", "merge_run_flags", "panel_step", "run_panel", "write_panel"]
