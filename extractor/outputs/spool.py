"""The export lines a run's workers made, kept on disk by input position until the run's
exports are written in input order (results arrive in any order; memory stays flat).

One append-only file in the output folder (`.exports.spool.tmp`, removed when the exports
are written, and by the next run if a killed run left it): for each input position, the
offset and the length of its lines in each output file.
"""

from __future__ import annotations

import struct
from pathlib import Path

NAME = ".exports.spool.tmp"


class Spool:
    def __init__(self, out: Path) -> None:
        self.path = out / NAME
        self._fh = open(self.path, "w+b")  # noqa: SIM115 - closed in close()
        self._end = 0
        self._reading = False  # the position is not at the end
        #: by input position: its offset and each file's length, packed, and the
        #: files' names (one tuple shared by every input with the same files): ~0.2 KB an
        #: input, where a tuple of (name, length) pairs held ~0.8 KB (principle 4)
        self._at: dict[int, tuple[bytes, tuple[str, ...]]] = {}
        self._names: dict[tuple[str, ...], tuple[str, ...]] = {}

    def add(self, seq: int, lines: dict[str, bytes]) -> None:
        """Append the lines of the input at `seq` (one write; the file is read only by `get`,
        which moves the position: the next write goes back to the end)."""
        if self._reading:
            self._fh.seek(self._end)
            self._reading = False
        data = b"".join(lines.values())
        self._fh.write(data)
        names = tuple(lines)
        names = self._names.setdefault(names, names)
        self._at[seq] = (struct.pack(f"<{1 + len(names)}Q", self._end,
                                     *(len(b) for b in lines.values())), names)
        self._end += len(data)

    def get(self, seq: int) -> dict[str, bytes] | None:
        """The lines of the input at `seq`, or None when no worker made them in this run."""
        at = self._at.get(seq)
        if at is None:
            return None
        packed, names = at
        offset, *sizes = struct.unpack(f"<{1 + len(names)}Q", packed)
        self._reading = True
        self._fh.seek(offset)
        return {name: self._fh.read(n) for name, n in zip(names, sizes, strict=True)}

    def __contains__(self, seq: int) -> bool:
        return seq in self._at

    def close(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
