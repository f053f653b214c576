"""One input file in, one verified record (or one error) out: ingest → extract → verify."""

from __future__ import annotations

import os
import stat
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.ingest.document import Document
from extractor.ingest.reader import INPUT_SUFFIXES, IngestError, load, load_bytes
from extractor.layout import with_rows
from extractor.mapping.report import NotAReport, extract
from extractor.schema import Extraction, InputError, Record
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
    prepared = prepare(path, ocr)
    if isinstance(prepared, InputError):
        return prepared
    return finish(path, *prepared, llm)


def prepare(path: Path, ocr: str | None = None) -> tuple[Document, Extraction] | InputError:
    """The rules' half: the document with its rows, and what the rules read from it."""
    try:
        doc = read_document(path, ocr)
        return doc, extract(doc)
    except Exception as e:  # noqa: BLE001 - one broken file never stops a batch
        return _error(path, e)


def finish(path: Path, doc: Document, extraction: Extraction,
           llm: LLMPass | None = None) -> Record | InputError:
    """The verified record: the rules' extraction verified, or merged with the LLM's."""
    try:
        return llm.run(doc, extraction) if llm is not None else verify(extraction, doc.text)
    except Exception as e:  # noqa: BLE001 - one broken file never stops a batch
        return _error(path, e)


def _error(path: Path, e: Exception) -> InputError:
    if isinstance(e, IngestError | NotAReport):
        return InputError(file=path.name, path=str(path), kind="input", error=str(e))
    if isinstance(e, MemoryError):
        raise e  # over the worker's memory ceiling: the batch runner reports it
    detail = traceback.format_exception_only(type(e), e)[-1].strip()
    return InputError(file=path.name, path=str(path), kind="internal",
                      error=f"internal error (please report): {detail}")


#: The error of a path named on the command line that does not exist.
NO_SUCH_PATH = "no such file or directory"


def shown(path: Path) -> str:
    """A path as text that can be stored and printed: bytes of a file name that are not
    UTF-8 are written as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _refusal(path: Path) -> InputError | None:
    """Why a file cannot be an input, judged without opening it (a FIFO or a device would
    block or never end), or None."""
    name = shown(path)
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return InputError(file=shown(Path(path.name)), path=name, kind="input",
                          error="the file name is not valid UTF-8 (its bytes are shown as \\xNN); "
                                "rename the file to process it")
    try:
        st = path.stat()
    except FileNotFoundError:
        what = ("cannot read: a broken symbolic link (its target does not exist)"
                if path.is_symlink() else NO_SUCH_PATH)
        return InputError(file=path.name, path=name, kind="input", error=what)
    except OSError as e:
        return InputError(file=path.name, path=name, kind="input",
                          error=f"cannot read: {e.strerror or e}")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file")
        return InputError(file=path.name, path=name, kind="input",
                          error=f"not a regular file ({kind}): refused without reading it")
    return None


def _walk(folder: Path, exclude: set[str], errors: list[InputError]) -> Iterator[Path]:
    """Every file under `folder` (symbolic links to folders followed once), hidden names and
    the excluded folders (the run's own output) left out; a folder that cannot be listed is
    an error, not a silent gap."""
    seen: set[str] = set()

    def failed(e: OSError) -> None:
        where = Path(e.filename) if e.filename else folder
        errors.append(InputError(file=where.name, path=shown(where), kind="input",
                                 error=f"cannot list the folder: {e.strerror or e}"))

    for root, dirs, names in os.walk(folder, onerror=failed, followlinks=True):
        real = os.path.realpath(root)
        if real in seen or real in exclude:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for n in names:
            if not n.startswith("."):
                yield Path(root, n)


def discover(paths: Iterable[Path], exclude: Path | None = None,
             ) -> tuple[list[Path], list[InputError], int]:
    """Inputs named on the command line: files as given, folders walked for report files.

    Returns (files, errors for paths that cannot be inputs: missing, not a regular file, a
    name that is not UTF-8, a folder that cannot be listed; number of files skipped in
    folders because their extension is not a report format). Nothing is opened here.
    `exclude`: a folder never walked into (the run's output folder, when it sits inside an
    input folder: its review page is not an input).
    """
    files: list[Path] = []
    errors: list[InputError] = []
    skipped = 0
    out = {os.path.realpath(exclude)} if exclude is not None else set()
    for p in paths:
        if p.is_dir():
            for f in sorted(_walk(p, out, errors)):
                if f.suffix.lower() not in INPUT_SUFFIXES:
                    skipped += 1
                elif (refused := _refusal(f)) is not None:
                    errors.append(refused)
                else:
                    files.append(f)
        elif (refused := _refusal(p)) is not None:
            errors.append(refused)
        else:
            files.append(p)
    return files, errors, skipped


def run(files: Iterable[Path], llm: LLMPass | None = None) -> Iterator[Record | InputError]:
    for f in files:
        yield process(f, llm)
