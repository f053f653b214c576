"""A worker lives for a whole run (100,000 reports), so a cache keyed by a report's text must
be bounded (`lru_cache(maxsize=...)`): an unbounded one grows with every report read. Only
caches keyed by a template, a constant or a character may be unbounded; this lists them."""

from __future__ import annotations

import functools
import importlib
import pkgutil

import extractor
import verify

#: Unbounded caches and what they are keyed by (a handful of values at most).
UNBOUNDED = {
    "extractor.schema.identities.instances": "template",
    "extractor.schema.identities.outcome_groups": "template",
    "extractor.schema.identities.detail_totals": "template",
    "extractor.schema.models._table_builders": "template",
    "extractor.schema.templates.template_paths": "template",
    "extractor.schema.templates.template_rows": "template",
    "extractor.schema.soft_rules.soft_checks": "template",
    "extractor.mapping.rows.s3_row_words": "template",
    "extractor.llm.prompts.load": "task (a prompt file)",
    "extractor.ingest.hanzi._converter": "nothing",
    "extractor.ingest.hanzi._simplified": "one character (bounded by the script)",
    "extractor.ingest.hanzi._changing": "nothing",
    "extractor.ingest.pdf.cfuncs.lib": "nothing",
    "extractor.store.codec.table_layout": "a table model",
    "extractor.run.fingerprint.code_fingerprint": "nothing",
    "extractor.panel.rules.instances": "a pair of templates",
    "extractor.panel.names._t2s": "nothing",
    "verify.verifier._plan": "template",
}


def unbounded_caches() -> set[str]:
    found = set()
    for package in (extractor, verify):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__"):  # runs the command line
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (isinstance(value, functools._lru_cache_wrapper)
                        and value.cache_parameters()["maxsize"] is None
                        and getattr(value, "__module__", None) == info.name):
                    found.add(f"{info.name}.{name}")
    return found


def test_only_caches_keyed_by_a_template_or_a_constant_are_unbounded() -> None:
    found = unbounded_caches()
    assert found - set(UNBOUNDED) == set(), "a cache keyed by text must have a maxsize"
    assert set(UNBOUNDED) - found == set(), "stale entries: remove them from UNBOUNDED"
