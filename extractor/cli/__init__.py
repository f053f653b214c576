"""Command line: `extractor run PATH... -o OUT`, `extractor eval OUT --expected DIR`,
`extractor panel OUT`, `extractor review OUT`, `extractor schema`: a thin shell over the
public functions. The group and what every command shares are here; `run.py` holds
`extractor run`, `commands.py` the commands over a run's folder."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import click

from extractor import __version__

LLM_WOULD_ADD = (
    "no LLM configured: deterministic path only. An LLM would add the numbers stated in the "
    "narrative and their checks against the tables (C1), a second reading of tables whose "
    "layout the rules could not place, and metadata the rules miss; configure one with "
    "EXTRACTOR_MODEL and OPENAI_BASE_URL (or --model/--base-url, see README)."
)


class Refused(click.ClickException):
    """A user mistake or an unusable folder: one line ("Error: …") and exit status 2."""

    exit_code = 2


def environment_error(e: BaseException, out: Path) -> Refused:
    """One line for what went wrong with the output folder or its store (no traceback);
    what was stored before stays."""
    from extractor.store.store import STORE_NAME, write_failed

    text = str(e)
    if isinstance(e, OSError) and e.errno == errno.ENOSPC or "disk is full" in text:
        return Refused(f"the disk is full while writing to {out}: free some space and run the "
                       "same command again (finished documents are kept and not redone)")
    if write_failed(e) or isinstance(e, OSError) and e.errno == errno.EFBIG:
        return Refused(f"a write to {out} failed ({text}): the disk is full, a file-size limit "
                       "was reached or the device failed. What was stored stays; fix the cause "
                       "and run the same command again (finished documents are not redone)")
    if isinstance(e, sqlite3.DatabaseError):
        return Refused(f"the run store {out / STORE_NAME} cannot be used ({text}); what it "
                       "holds stays. Move it away (or recover it with `sqlite3 store.sqlite "
                       "\".recover\"`) and run again")
    if isinstance(e, OSError):
        where = e.filename or out
        return Refused(f"cannot write to {where}: {e.strerror or e}; choose an output folder "
                       "you can write to (-o)")
    return Refused(text)


@click.group()
@click.version_option(__version__, prog_name="extractor")
def main() -> None:
    """Verified numbers from government information-disclosure annual reports."""


def aliases_of(path: Path | None) -> dict | None:
    from extractor.panel import AliasError, load_aliases

    try:
        return load_aliases(path) if path is not None else None
    except AliasError as e:
        raise click.UsageError(str(e)) from e


# The commands register themselves on `main` when imported.
from extractor.cli import commands, run  # noqa: E402, F401
