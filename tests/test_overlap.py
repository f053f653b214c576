"""The run's workers and its main process overlap: a worker that answered gets its next
document before the main process writes the answer, so with `--jobs 1` reading and writing
do not take turns (issue 17)."""

from __future__ import annotations

import time
from pathlib import Path

from extractor.run.batch import _bounded
from extractor.run.worker import Limits

MARKS = Path()  # set by the test before the workers fork


def _mark(task: tuple[str, int, str]) -> str:
    """A worker's document: leave a mark that it started, answer its name."""
    (MARKS / f"started-{task[1]}").touch()
    return task[0]


def test_the_worker_starts_the_next_document_while_the_last_answer_is_written(tmp_path: Path) -> None:
    global MARKS
    MARKS = tmp_path
    todo = [(seq, tmp_path / f"doc{seq}.txt", f"{seq:064d}", 1) for seq in range(4)]
    seen = []
    for seq, item, _sha, _size, outcome in _bounded(todo, 1, Limits(seconds=30, memory_mb=None), _mark):
        assert outcome == str(item)
        seen.append(seq)
        if seq + 1 < len(todo):  # "writing" this answer: the next document is already started
            nxt = tmp_path / f"started-{seq + 1}"
            until = time.monotonic() + 10
            while not nxt.exists() and time.monotonic() < until:
                time.sleep(0.01)
            assert nxt.exists(), f"document {seq + 1} waited for the answer of {seq} to be written"
    assert seen == [0, 1, 2, 3]


def test_every_document_is_answered_once_with_two_workers(tmp_path: Path) -> None:
    global MARKS
    MARKS = tmp_path
    todo = [(seq, tmp_path / f"doc{seq}.txt", f"{seq:064d}", 1) for seq in range(9)]
    got = [(seq, outcome) for seq, *_rest, outcome in _bounded(todo, 2, Limits(seconds=30, memory_mb=None), _mark)]
    assert sorted(got) == [(seq, str(tmp_path / f"doc{seq}.txt")) for seq in range(9)]
