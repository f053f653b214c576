"""Run the command line with an edited schema, as if a developer had changed
extractor/schema/templates.py: the edits are applied to that module's source, which is
executed again (then the models built from it, then the package's re-exports) before
anything else imports the schema. Used by the schema-change tests.

    python tests/schema_edit.py EDITS.json -- run INPUTS -o OUT ...

EDITS.json is a list of [old, new] source replacements, each of which must apply once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

import extractor.schema as schema
import extractor.schema.models as models
import extractor.schema.templates as templates


def _rerun(module: ModuleType, source: str | None = None) -> None:
    path = module.__file__
    assert path is not None
    text = source if source is not None else Path(path).read_text(encoding="utf-8")
    exec(compile(text, path, "exec"), module.__dict__)  # noqa: S102


def main() -> None:
    edits = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    assert sys.argv[2] == "--", "usage: schema_edit.py EDITS.json -- ARGS..."
    assert templates.__file__ is not None
    source = Path(templates.__file__).read_text(encoding="utf-8")
    for old, new in edits:
        if source.count(old) != 1:
            raise SystemExit(f"schema edit does not apply exactly once: {old!r}")
        source = source.replace(old, new)
    _rerun(templates, source)
    _rerun(models)
    _rerun(schema)

    from extractor.cli import main as cli

    cli(sys.argv[3:], prog_name="extractor")


if __name__ == "__main__":
    main()
