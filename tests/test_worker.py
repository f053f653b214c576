"""The bounded worker pool: a document over its wall-clock budget is killed, unless it asked
for more time (`extractor.schema.budget.extend`, as OCR does once per page) and finished
within what it asked for."""

from __future__ import annotations

import os
import signal
import time

import pytest

from extractor.run.worker import BoundedPool, Done, Limits, _interrupt_when_safe, interrupts
from extractor.schema import budget


def _plain(x: int) -> int:
    time.sleep(1.5)
    return x * 2


def _asks_enough(x: int) -> int:
    for _ in range(3):  # three "pages", each asking before it starts
        budget.extend(1.0)
        time.sleep(0.5)
    return x * 2


def _asks_too_little(x: int) -> int:
    budget.extend(0.25)
    time.sleep(3.0)
    return x * 2


def one(fn: object, seconds: float) -> Done:
    with BoundedPool(fn, 1, Limits(seconds=seconds, memory_mb=None)) as pool:  # type: ignore[arg-type]
        pool.submit("doc", 21)
        done: list[Done] = []
        while not done:
            done = pool.wait()
    assert len(done) == 1 and done[0].key == "doc"
    return done[0]


def test_a_document_over_its_budget_is_killed() -> None:
    done = one(_plain, 1.0)
    assert done.failure is not None and done.failure.reason == "timeout"
    assert done.failure.detail == "took over 1 s"


def test_a_document_that_asked_for_more_time_finishes_within_it() -> None:
    done = one(_asks_enough, 1.0)  # 1.5 s of work, 1 + 3 s allowed
    assert done.failure is None and done.payload == 42


def test_more_time_is_only_what_was_asked_for() -> None:
    done = one(_asks_too_little, 1.0)  # 3 s of work, 1.25 s allowed
    assert done.failure is not None and done.failure.reason == "timeout"
    assert done.failure.detail == "took over 1.25 s (with 0.25 s more it asked for)"
    assert done.seconds < 2.5


def test_outside_a_bounded_worker_asking_for_time_does_nothing() -> None:
    budget.extend(5.0)  # no listener in this process: no error, no effect


def test_wait_with_a_timeout_returns_nothing_until_a_worker_answers() -> None:
    """What an LLM run's loop relies on to look at its threads while documents are read."""
    with BoundedPool(_plain, 1, Limits(seconds=10, memory_mb=None)) as pool:
        pool.submit("doc", 21)
        t0 = time.monotonic()
        assert pool.wait(timeout=0.2) == []
        assert time.monotonic() - t0 < 1.0  # the worker sleeps 1.5 s: it did not wait for it
        done: list[Done] = []
        while not done:
            done = pool.wait(timeout=0.2)
        assert [(d.key, d.payload, d.failure) for d in done] == [("doc", 42, None)]


class _CollectedDuringTheSignal:
    """The signal handler running inside a `__del__`, as it does when SIGTERM lands while a
    pipe's end is being collected: Python swallows what it raises there."""

    def __del__(self) -> None:
        _interrupt_when_safe(signal.SIGTERM, None)


def _sleeps(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_python_swallowed_still_stops_the_wait_for_a_busy_worker() -> None:
    started = time.monotonic()
    with (pytest.raises(KeyboardInterrupt),
          BoundedPool(_sleeps, 1, Limits(seconds=None, memory_mb=None)) as pool, interrupts()):
        pool.submit("doc", 20.0)
        _CollectedDuringTheSignal()  # collected at once: nothing is raised here
        pool.wait()
    assert time.monotonic() - started < 5  # not after the document's 20 s


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_python_swallowed_at_the_end_of_a_run_still_ends_it_quietly() -> None:
    with pytest.raises(KeyboardInterrupt), interrupts():
        _CollectedDuringTheSignal()  # e.g. while the last document was being stored
    with interrupts():  # the next run in this process starts uninterrupted
        pass


def _queued(x: str) -> str:
    """A document for a worker with a queue: 'hang' overruns any budget, 'die' ends the
    process, 'memory' runs out of memory; anything else takes 0.7 s (so two of them in a row
    overrun a 1 s budget if the second one's clock started when it was queued)."""
    if x == "hang":
        time.sleep(5)
    elif x == "die":
        os._exit(3)
    elif x == "memory":
        raise MemoryError
    time.sleep(0.7)
    return x.upper()


def queue_of_two(first: str, seconds: float = 1.0) -> dict[str, Done]:
    """`first`, then 'next', queued in one worker; every Done by key."""
    with BoundedPool(_queued, 1, Limits(seconds=seconds, memory_mb=None), depth=2) as pool:
        assert pool.free() == 2
        pool.submit("first", first)
        assert (pool.free(), pool.busy()) == (1, 1)
        pool.submit("next", "next")
        assert (pool.free(), pool.busy()) == (0, 1)
        done: dict[str, Done] = {}
        until = time.monotonic() + 20
        while pool.busy() and time.monotonic() < until:
            done |= {d.key: d for d in pool.wait(timeout=1)}  # type: ignore[misc]
        assert sorted(done) == ["first", "next"] and pool.free() == 2
    return done


def test_a_queued_document_gets_its_own_budget_from_when_it_starts() -> None:
    done = queue_of_two("a")
    assert done["first"].failure is None and done["first"].payload == "A"
    assert done["next"].failure is None and done["next"].payload == "NEXT"
    assert done["next"].seconds < 1.0


@pytest.mark.parametrize(("first", "reason"), [("hang", "timeout"), ("die", "died"),
                                               ("memory", "memory")])
def test_a_document_queued_behind_one_that_fails_is_done_by_a_fresh_worker(first: str, reason: str) -> None:
    done = queue_of_two(first)
    assert done["first"].failure is not None and done["first"].failure.reason == reason
    assert done["next"].failure is None and done["next"].payload == "NEXT"


def _fated(x: tuple[str, str]) -> str:
    """A document whose fate is its first item: 'ok', 'slow' (0.3 s), 'hang', 'die',
    'memory' or 'raise'."""
    fate, name = x
    if fate in ("hang", "die", "memory"):
        _queued(fate)
    if fate == "raise":
        raise ValueError(name)
    if fate == "slow":
        time.sleep(0.3)
    return name


FATES = {"ok": None, "slow": None, "hang": "timeout", "die": "died", "memory": "memory",
         "raise": "error"}


@pytest.mark.parametrize(("jobs", "depth", "fates"), [
    (1, 2, ["ok", "hang", "ok", "die", "ok", "memory", "ok", "raise", "ok"]),
    (2, 2, ["hang", "ok", "die", "die", "slow", "memory", "ok", "ok", "raise", "slow"]),
    (2, 3, ["ok", "ok", "die", "hang", "ok", "ok", "memory", "slow", "ok", "ok"]),
])
def test_every_document_ends_exactly_once_with_its_own_fate(jobs: int, depth: int, fates: list[str]) -> None:
    with BoundedPool(_fated, jobs, Limits(seconds=1.5, memory_mb=None), depth=depth) as pool:
        todo = list(enumerate(fates))
        done: list[Done] = []
        until = time.monotonic() + 60
        while (todo or pool.busy()) and time.monotonic() < until:
            while todo and pool.free():
                key, fate = todo.pop(0)
                pool.submit(key, (fate, f"doc{key}"))
            done += pool.wait(timeout=1)
    assert sorted(d.key for d in done) == list(range(len(fates)))  # type: ignore[type-var]
    for d in done:
        fate = fates[d.key]  # type: ignore[index]
        assert (d.failure.reason if d.failure else None) == FATES[fate], (d.key, fate, d.failure)
        if d.failure is None:
            assert d.payload == f"doc{d.key}"
