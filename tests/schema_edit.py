"""Run the command line with an edited schema, as if a developer had changed
extractor/schema.py: the edits are applied to the module's source, which is executed again
before anything else imports it. Used by the schema-change tests.

    python tests/schema_edit.py EDITS.json -- run INPUTS -o OUT ...

EDITS.json is a list of [old, new] source replacements, each of which must apply once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import extractor.schema as schema


def main() -> None:
    edits = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    assert sys.argv[2] == "--", "usage: schema_edit.py EDITS.json -- ARGS..."
    source = Path(schema.__file__).read_text(encoding="utf-8")
    for old, new in edits:
        if source.count(old) != 1:
            raise SystemExit(f"schema edit does not apply exactly once: {old!r}")
        source = source.replace(old, new)
    exec(compile(source, schema.__file__, "exec"), schema.__dict__)  # noqa: S102

    from extractor.cli import main as cli

    cli(sys.argv[3:], prog_name="extractor")


if __name__ == "__main__":
    main()
