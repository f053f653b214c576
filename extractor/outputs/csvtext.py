"""Values as CSV text, as every CSV export writes them: numbers as numbers (amounts as exact
decimals, never in exponent form), null as an empty field, booleans as true/false, and text
neutralised against CSV injection (`safe.neutralise`); `text_field` quotes a text as
`csv.writer`'s default dialect does (for the writers that build lines themselves)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from extractor.outputs.safe import TRIGGERS, neutralise


def csv_text(v: object) -> str:
    """One typed value as CSV text (called for every value of every export: the common
    types are tested first)."""
    if v is None:
        return ""
    kind = type(v)
    if kind is int:
        return str(v)
    if kind is str:
        return neutralise(v)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, str):
        return neutralise(v)
    return str(v)


def quoted(text: str) -> str:
    """A field as `csv.writer`'s default dialect writes it: quoted when it holds `,`, `"`,
    CR or LF, inner quotes doubled (four scans in C; the writer calls a function for every
    character of every field)."""
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


@lru_cache(maxsize=20_000)
def text_field(text: str) -> str:
    """A text value as `csv.writer` writes it after `csv_text`: neutralised, then quoted as
    its default dialect quotes (`quoted`); remembered (paths, states and reasons recur in
    every report)."""
    return quoted(csv_text(text))


def csv_line(values: Iterable[object]) -> str:
    """One row of typed values as `csv.writer` writes it (line end included) after
    `csv_text`: each value's text, `quoted`; a row of one empty field is `""` (an empty
    line would read as no row)."""
    fields = ["" if v is None else str(v) if (t := type(v)) is int  # the common types inline
              else quoted(v if t is str and v[:1] not in TRIGGERS else csv_text(v))
              for v in values]
    line = ",".join(fields)
    return f'{line if line or len(fields) != 1 else chr(34) * 2}\r\n'


def int_field(v: int | None) -> str:
    return "" if v is None else str(v)
