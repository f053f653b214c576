"""Bounded work per document: each document is processed in a worker process that the
parent can kill, under a wall-clock and a memory budget.

A worker runs `fn(path) -> payload` (any picklable value; what it means is the caller's
business) for one document at a time (with a pool's `depth`, the next ones wait in its
pipe, each on its own clock from when it starts). The parent hands out paths, waits on the workers'
pipes and process sentinels, and turns every document into exactly one `Done`: the payload,
or a `Failure` saying why there is none (over the time budget: killed; over the memory
ceiling: MemoryError under `RLIMIT_AS`; the process died). A killed or dead worker is
replaced by a fresh one for the next document, so one input never stalls or empties a batch.

Workers never outlive the parent: on Linux the kernel kills them when it dies
(`PR_SET_PDEATHSIG`), even after `kill -9`; everywhere an idle worker exits when its pipe to
the parent reaches end of file, and a busy one notices that its parent changed within a
second. Workers ignore Ctrl-C (the terminal sends it to the whole process group): the parent
decides, and kills them.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from extractor.schema import budget

#: Defaults of `extractor run --doc-timeout / --doc-memory`.
DEFAULT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 2048


@dataclass(frozen=True)
class Limits:
    """What one document may use: wall-clock seconds, and memory in MB above what a worker
    holds before it starts (None: unbounded)."""

    seconds: float | None = DEFAULT_SECONDS
    memory_mb: int | None = DEFAULT_MEMORY_MB


@dataclass(frozen=True)
class Failure:
    """Why a document has no payload: 'timeout', 'memory', 'died' (the worker process ended
    without an answer) or 'error' (fn raised; `detail` is the exception)."""

    reason: str
    detail: str


@dataclass(frozen=True)
class Done:
    key: Hashable
    payload: Any  # fn's return value when `failure` is None
    failure: Failure | None
    seconds: float


#: The longest a parent waits on its workers before it looks for a recorded interrupt.
POLL_SECONDS = 0.25


class _Interrupt:
    """The run's interrupt (Ctrl-C, SIGTERM), recorded as well as raised. A signal handler
    can run inside a `__del__` (a pipe's end being collected), where Python swallows what it
    raises: the record is raised again at the pool's next look (`raise_if_interrupted`, at
    least every POLL_SECONDS) and when the run's block ends. While a worker is being forked
    the handler only records it (a KeyboardInterrupt raised inside the fork's Python hooks
    is swallowed by them and leaves a lock of the logging module held)."""

    spawning = 0
    pending = False


def _interrupt_when_safe(signum: int, frame: object) -> None:
    _Interrupt.pending = True
    if not _Interrupt.spawning:
        raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """KeyboardInterrupt if SIGINT or SIGTERM came during the `interrupts` block."""
    if _Interrupt.pending:
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """SIGTERM (a service manager, `kill`, a CI timeout) ends a run like Ctrl-C: both raise
    KeyboardInterrupt in the block (main thread only), never in the middle of starting a
    worker, and never lost (see `_Interrupt`); one that Python swallowed is not printed as
    an error."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {s: signal.signal(s, _interrupt_when_safe) for s in (signal.SIGINT, signal.SIGTERM)}
    unraisable = sys.unraisablehook

    def quiet(u: Any) -> None:
        if not isinstance(u.exc_value, KeyboardInterrupt):
            unraisable(u)

    sys.unraisablehook = quiet
    try:
        yield
    finally:
        sys.unraisablehook = unraisable
        for s, handler in before.items():
            signal.signal(s, handler)
        interrupted, _Interrupt.pending = _Interrupt.pending, False  # none outlives the block
    if interrupted:
        raise KeyboardInterrupt


def _context() -> Any:
    # fork: a worker starts in milliseconds with everything the parent imported; it is the
    # default on Linux. Elsewhere fork is unsafe (macOS) or absent (Windows).
    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), and watch the
    parent everywhere (a busy worker does not read its pipe)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory(mb: int | None) -> None:
    """Cap the address space at what the worker already maps plus `mb` megabytes: a document
    that needs more gets MemoryError instead of taking the machine's memory."""
    if mb is None:
        return
    try:
        import resource
    except ImportError:  # Windows
        return
    base = 0
    try:
        with open("/proc/self/statm") as f:
            base = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        pass
    limit = base + mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _serve(conn: Connection, fn: Callable[[Any], Any], memory_mb: int | None, parent: int,
           inherited: list[Connection]) -> None:
    """A worker's life: one path in, one answer out, until the pipe closes."""
    # The collector: what the parent made (modules, caches) is never garbage, so it is not
    # traversed again; and a document allocates ~10^5 objects, nearly none in cycles, so
    # the youngest generation is collected every 20,000 allocations, not 700 (measured: the
    # worker's CPU per text report 19.1 -> 17.9 ms, median of 4 alternating runs).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _Interrupt.spawning, _Interrupt.pending = 0, False
    for c in inherited:  # the parent's ends of the pipes (fork copies them): closed, so that
        c.close()  # end of file on our pipe means the parent is gone
    _die_with_parent(parent)
    _limit_memory(memory_mb)
    budget.listen(lambda seconds: conn.send(("extend", seconds)))
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            answer: tuple[str, Any] = ("ok", fn(path))
        except MemoryError:
            answer = ("memory", "")
        except BaseException as e:  # noqa: BLE001 - reported to the parent as this input's error
            answer = ("error", f"{type(e).__name__}: {e}"[:500])
        try:
            conn.send(answer)
        except MemoryError:
            answer = ("memory", "")
            with contextlib.suppress(Exception):
                conn.send(answer)
        except Exception as e:  # noqa: BLE001 - e.g. a payload that does not pickle
            with contextlib.suppress(Exception):
                conn.send(("error", f"{type(e).__name__}: {e}"[:500]))
        if answer[0] == "memory":
            os._exit(0)  # a fresh worker for the next document


class _Worker:
    def __init__(self, pool: BoundedPool) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe(duplex=True)
        others = [w.conn for w in pool.workers if w is not None] + [self.conn]
        self.proc = ctx.Process(target=_serve, daemon=True, name="extractor-worker",
                                args=(child, pool.fn, pool.limits.memory_mb, os.getpid(), others))
        _Interrupt.spawning += 1
        try:
            self.proc.start()
        finally:
            _Interrupt.spawning -= 1
            child.close()
        if _Interrupt.pending and not _Interrupt.spawning:
            self.kill()
            raise KeyboardInterrupt
        self.key: Hashable | None = None  # the document it is working on
        self.started = 0.0
        self.extra = 0.0  # seconds the document asked for on top of the budget (`budget.extend`)
        self.pending: Any = None  # an answer read while taking requests for more time
        self.queued: deque[tuple[Hashable, Any]] = deque()  # sent, waiting behind `key`

    @property
    def load(self) -> int:
        return (self.key is not None) + len(self.queued)

    def take(self, key: Hashable) -> None:
        """`key` is the document it works on from now (its clock starts)."""
        self.key, self.started, self.extra, self.pending = key, time.monotonic(), 0.0, None

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()
        self.proc.close()


class BoundedPool:
    """`jobs` worker processes running `fn` on one path each, under `limits`.

    `depth`: documents handed to a worker at once (the one it works on and those queued in
    its pipe behind it), so that it starts the next as soon as it answers instead of waiting
    for this process to read the answer. A document's clock starts when its worker starts
    it; the documents queued behind one that is killed or kills its worker are handed out
    again, unharmed."""

    def __init__(self, fn: Callable[[Any], Any], jobs: int, limits: Limits, depth: int = 1) -> None:
        self.fn = fn
        self.limits = limits
        self.depth = max(1, depth)
        self.workers: list[_Worker | None] = [None] * max(1, jobs)

    def __enter__(self) -> BoundedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def free(self) -> int:
        """How many more documents `submit` takes now."""
        return sum(self.depth - (0 if w is None else w.load) for w in self.workers)

    def busy(self) -> int:
        """How many workers are working on a document."""
        return sum(1 for w in self.workers if w is not None and w.key is not None)

    def submit(self, key: Hashable, path: Any) -> None:
        """Hand `path` (fn's argument: any picklable value) to the least loaded worker
        (there must be room: see `free`)."""
        i = min(range(len(self.workers)), key=lambda i: 0 if (w := self.workers[i]) is None else w.load)
        w = self.workers[i]
        if w is None:
            w = self.workers[i] = _Worker(self)
        if w.key is not None:  # busy: queued behind its document (if it died, `wait` sees it
            w.queued.append((key, path))  # and the queue goes to a fresh worker)
            with contextlib.suppress(OSError):
                w.conn.send(path)
            return
        try:
            w.conn.send(path)
        except OSError:  # it died while idle: a new one
            w.kill()
            w = self.workers[i] = _Worker(self)
            w.conn.send(path)
        w.take(key)

    def wait(self, timeout: float | None = None) -> list[Done]:
        """Block until at least one busy worker has an answer, failed, or ran out of time
        (or, with `timeout`, at most that many seconds: then maybe nothing)."""
        if not self.busy():
            return []
        until = None if timeout is None else time.monotonic() + timeout
        while True:
            raise_if_interrupted()
            busy = [(i, w) for i, w in enumerate(self.workers) if w is not None and w.key is not None]
            left = POLL_SECONDS if until is None else min(POLL_SECONDS, max(0.0, until - time.monotonic()))
            if self.limits.seconds is not None:
                first = min(w.started + w.extra for _, w in busy) + self.limits.seconds
                left = min(left, max(0.0, first - time.monotonic()))
            ready = set(wait([w.conn for _, w in busy] + [w.proc.sentinel for _, w in busy],
                             left))
            done: list[Done] = []
            now = time.monotonic()
            for i, w in busy:
                if w.conn in ready and self._extended(w):
                    continue  # more time asked for, no answer yet
                if w.conn in ready or w.proc.sentinel in ready:
                    done.append(self._answer(i, w, now))
                elif (self.limits.seconds is not None
                      and now - w.started >= self.limits.seconds + w.extra):
                    more = f" (with {w.extra:g} s more it asked for)" if w.extra else ""
                    done.append(self._retire(i, w, Failure(
                        "timeout", f"took over {self.limits.seconds + w.extra:g} s{more}"), now))
            if done or (until is not None and now >= until):
                return done

    @staticmethod
    def _extended(w: _Worker) -> bool:
        """Take the worker's requests for more time; True when nothing else is waiting (no
        answer yet, and the process is alive)."""
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if isinstance(msg, tuple) and len(msg) == 2 and msg[0] == "extend":
                    w.extra += float(msg[1])
                    continue
                w.pending = msg
                return False
        except (EOFError, OSError):
            return False
        return w.proc.is_alive()

    def _answer(self, i: int, w: _Worker, now: float) -> Done:
        try:
            msg, w.pending = w.pending, None
            while msg is None or (isinstance(msg, tuple) and msg[:1] == ("extend",)):
                if not w.conn.poll():
                    msg = None
                    break
                msg = w.conn.recv()  # requests for more time before the end are moot now
            if msg is not None:
                kind, value = msg
                if kind == "memory":  # the worker exits after this answer
                    mb = self.limits.memory_mb
                    return self._retire(i, w, Failure("memory", f"needed over {mb} MB of memory"), now)
                done = Done(w.key, value if kind == "ok" else None,
                            None if kind == "ok" else Failure("error", str(value)), now - w.started)
                w.key = None
                if w.queued:  # it has started the next one
                    w.take(w.queued.popleft()[0])
                return done
        except (EOFError, OSError):
            pass
        w.proc.join(5)
        code = w.proc.exitcode
        how = (f"killed by {signal.Signals(-code).name}" if code is not None and code < 0
               and -code in signal.valid_signals() else f"exit status {code}")
        return self._retire(i, w, Failure("died", f"the worker process ended ({how})"), now)

    def _retire(self, i: int, w: _Worker, failure: Failure, now: float) -> Done:
        """`w`'s document ends with `failure`; `w` is killed, and what was queued behind
        the document is handed out again (to a fresh worker in its place, or another)."""
        done = Done(w.key, None, failure, now - w.started)
        w.kill()
        self.workers[i] = None
        for key, path in w.queued:
            self.submit(key, path)
        return done

    def close(self) -> None:
        """Kill every worker (documents in hand are dropped; a re-run redoes them)."""
        for i, w in enumerate(self.workers):
            if w is not None:
                w.kill()
                self.workers[i] = None
