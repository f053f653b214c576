"""One input file in, one verified record (or one error) out: ingest → extract → verify."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.ingest.document import Document
from extractor.ingest.reader import INPUT_SUFFIXES, IngestError, load, load_bytes
from extractor.layout import with_rows
from extractor.mapping.report import NotAReport, extract
from extractor.schema import InputError, Record
from verify import verify

if TYPE_CHECKING:
    from extractor.llm.reader import LLMPass


def read_document(path: Path, ocr: str | None = None) -> Document:
    """Ingest and layout: the document of a file with its table rows recovered."""
    return with_rows(load(path, ocr=ocr))


def extract_report(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
                   llm: LLMPass | None = None, ocr: str | None = None) -> Record:
    """One report in, its verified record out; raises `IngestError` or `NotAReport`.

    `source` is a path (a `pathlib.Path`, or a `str` naming an existing file), the report's
    text (a `str` that is not a file's name; HTML markup is recognised), or a file's bytes.
    `name` is the file name recorded for text or bytes (its suffix hints at the format).
    `ocr`: off, auto or on (default $EXTRACTOR_OCR, else auto), see `extractor.ingest.ocr`.
    """
    if isinstance(source, bytes):
        doc = load_bytes(source, name or "report", ocr=ocr)
    elif isinstance(source, os.PathLike) or _names_a_file(source):
        doc = load(Path(source), ocr=ocr)
    else:
        doc = load_bytes(source.encode("utf-8"), name or "report")
    doc = with_rows(doc)
    extraction = extract(doc)
    return llm.run(doc, extraction) if llm is not None else verify(extraction, doc.text)


def _names_a_file(text: str) -> bool:
    if "\n" in text or len(text) > 1024:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def process(path: Path, llm: LLMPass | None = None, ocr: str | None = None) -> Record | InputError:
    try:
        doc = read_document(path, ocr)
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
