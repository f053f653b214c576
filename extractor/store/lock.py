"""One writer per output folder: `extractor run` and `extractor correct` hold an exclusive
lock on OUT/.lock while they write, so a second one on the same folder is refused with a
clear message instead of interleaving with the first (duplicate rows, a lost temporary
export, exports rewritten from an unfinished run).

The lock is a POSIX record lock (`lockf`) on an open file: the kernel releases it when the
holder exits, however it exits (kill -9 included), so a stale lock never blocks the next
run; and unlike `flock` it is not shared with forked worker processes, so a worker that
takes a moment to die after its parent does not hold the folder. The file itself stays; it
records who held it last.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".lock"


class LockError(Exception):
    """Another process is writing to the output folder."""


@contextmanager
def write_lock(out: Path, command: str) -> Iterator[None]:
    """Hold OUT's lock for `command` ('run', 'correct'), or raise `LockError` at once."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one run per folder is on the user
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            holder = os.pread(fd, 200, 0).decode("utf-8", errors="replace").split()
            who = (f"`extractor {holder[1]}` (pid {holder[0]})" if len(holder) >= 2
                   else "another extractor process")
            raise LockError(f"{out} is in use by {who}; wait for it to finish, or write to "
                            "another output folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
