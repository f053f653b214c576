"""The fingerprint of the extraction code: what a stored result was made by.

A hash of the source of every stage that shapes a record (schema, ingest, layout, mapping,
the LLM reader, the verifier). `__version__` alone is not enough: it stays the same across
many commits, and a re-run after a parser fix would silently reuse the old results. The
stages after the record (store, outputs, review, the command line) are left out: changing
how results are exported never re-extracts 10,000 documents. The LLM's prompts are in the
extraction config already (their versions and hashes).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import extractor
import verify

#: Packages whose source shapes a record, relative to the installed `extractor` package.
EXTRACTION_PACKAGES = ("schema", "ingest", "layout", "mapping", "llm")


def source_files(extractor_root: Path, verify_root: Path) -> list[Path]:
    """The source files the fingerprint covers, in a stable order."""
    files = [f for pkg in EXTRACTION_PACKAGES for f in (extractor_root / pkg).rglob("*.py")]
    files += list(verify_root.rglob("*.py"))
    return sorted(files, key=lambda f: f.as_posix())


def fingerprint_of(extractor_root: Path, verify_root: Path) -> str:
    """A short hash of the names and contents of the extraction source files."""
    h = hashlib.sha256()
    for f in source_files(extractor_root, verify_root):
        root = verify_root if f.is_relative_to(verify_root) else extractor_root
        h.update(f"{root.name}/{f.relative_to(root).as_posix()}\0".encode())
        h.update(f.read_bytes().replace(b"\r\n", b"\n"))
        h.update(b"\0")
    return h.hexdigest()[:16]


@cache
def code_fingerprint() -> str:
    """The fingerprint of the extraction code this process runs."""
    return fingerprint_of(Path(extractor.__file__).parent, Path(verify.__file__).parent)
