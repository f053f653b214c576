"""One input file in, one verified record (or one error) out: ingest → extract → verify."""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from extractor.ingest import INPUT_SUFFIXES, IngestError, load
from extractor.parse import NotAReport, extract
from extractor.schema import Record
from verify import verify

if TYPE_CHECKING:
    from extractor.llm.second_pass import LLMPass


class InputError(BaseModel):
    """An input that could not be processed, and why."""

    file: str
    path: str
    kind: str  # "input" (the file's fault), "internal" (ours), "not_processed" (budget spent)
    error: str


def process(path: Path, llm: LLMPass | None = None) -> Record | InputError:
    try:
        doc = load(path)
        extraction = extract(doc)
        if llm is not None:
            return llm.run(doc, extraction)
        return verify(extraction, doc.text)
    except (IngestError, NotAReport) as e:
        return InputError(file=path.name, path=str(path), kind="input", error=str(e))
    except Exception as e:  # noqa: BLE001 - one broken file never stops a batch
        detail = traceback.format_exception_only(type(e), e)[-1].strip()
        return InputError(file=path.name, path=str(path), kind="internal",
                          error=f"internal error (please report): {detail}")


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[InputError], int]:
    """Inputs named on the command line: files as given, folders walked for report files.

    Returns (files, errors for paths that do not exist, number of files skipped in folders
    because their extension is not a report format).
    """
    files: list[Path] = []
    errors: list[InputError] = []
    skipped = 0
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_dir() or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue  # a broken symlink is kept: it must show up as an error
                if f.suffix.lower() in INPUT_SUFFIXES:
                    files.append(f)
                else:
                    skipped += 1
        elif p.exists():
            files.append(p)
        else:
            errors.append(InputError(file=p.name, path=str(p), kind="input",
                                     error="no such file or directory"))
    return files, errors, skipped


def run(files: Iterable[Path], llm: LLMPass | None = None) -> Iterator[Record | InputError]:
    for f in files:
        yield process(f, llm)
