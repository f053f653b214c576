"""What the standard outputs hold beyond their default, lean form: `--with-text` (results
lines carry the normalized text) and `--cell-labels` (cells.csv with every readable
identity and label column, the layout before issue 17).

`extractor run` sets them for the whole run through the environment (`ENV`), as `--ocr`
is set: worker processes inherit it and make their lines accordingly, and the run's exports
read it too. Other callers pass an `OutputOptions`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

ENV = "EXTRACTOR_OUTPUTS"


@dataclass(frozen=True)
class OutputOptions:
    with_text: bool = False
    cell_labels: bool = False

    @classmethod
    def from_env(cls) -> OutputOptions | None:
        """The options `extractor run` set, or None outside a run (read for every payload:
        the options of a value are remembered)."""
        value = os.environ.get(ENV)
        return None if value is None else _parsed(value)

    @classmethod
    def parse(cls, value: str) -> OutputOptions:
        words = set(value.replace(",", " ").split())
        return cls(with_text="with-text" in words, cell_labels="cell-labels" in words)

    def env_value(self) -> str:
        return " ".join(w for w, on in (("with-text", self.with_text),
                                         ("cell-labels", self.cell_labels)) if on)

    def stamp(self) -> str:
        """What the exports' bytes depend on here (part of a run's export stamp)."""
        return f"text={int(self.with_text)},labels={int(self.cell_labels)}"


@lru_cache(maxsize=16)
def _parsed(value: str) -> OutputOptions:
    return OutputOptions.parse(value)  # frozen: one value shared by every caller
