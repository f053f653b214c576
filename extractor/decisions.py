"""The reviewer's decisions file: the contract between `extractor review` and `extractor correct`.

`extractor review OUT` writes ``OUT/review/decisions.csv`` with one row per flagged cell and
the decision columns empty; the review page downloads the same format. A reviewer fills
``decision`` (accept, set, source_wrong) and, for ``set``, ``value``; rows left undecided
are ignored on import. UTF-8 with a BOM, so Excel opens it with the Chinese intact.
"""

from __future__ import annotations

#: Columns of decisions.csv, in order. The first block identifies and describes the cell;
#: the last four are the reviewer's.
COLUMNS: tuple[str, ...] = (
    "sha256",  # the document's sha256: decisions follow the content, not the file name
    "file",
    "path",  # the cell's stable field path, e.g. s3.granted.total
    "label",
    "machine_value",  # what the run read ("" for blank, "<placeholder>" etc. otherwise)
    "machine_state",
    "status",
    "reasons",
    "decision",  # accept | set | source_wrong | "" (undecided)
    "value",  # for set: a number (万元 for amounts), or "blank", or "placeholder"
    "reviewer",
    "note",
)

DECISIONS = ("accept", "set", "source_wrong")
