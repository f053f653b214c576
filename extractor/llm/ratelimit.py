"""Requests-per-minute and tokens-per-minute limits shared by every thread of a run.

A sliding one-minute window: a request waits until both the number of requests and the
tokens sent in the last 60 seconds leave room for it. A request's tokens are estimated from
its size before it goes out and replaced by the server's reported usage when it returns,
so the window tracks what the provider counts. Cache hits never pass through here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0


class RateLimiter:
    def __init__(self, rpm: int | None = None, tpm: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rpm, self.tpm = rpm, tpm
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._events: deque[list[float]] = deque()  # [time, tokens], mutable for settle()
        self.waited = 0.0  # seconds spent waiting, for the run's report

    @property
    def active(self) -> bool:
        return self.rpm is not None or self.tpm is not None

    def _trim(self, now: float) -> None:
        while self._events and now - self._events[0][0] >= WINDOW:
            self._events.popleft()

    def acquire(self, tokens: int) -> list[float]:
        """Wait for room, then book the request; returns its booking for `settle`."""
        if self.tpm is not None:
            tokens = min(tokens, self.tpm)  # a request bigger than the limit still goes alone
        while True:
            with self._lock:
                now = self._clock()
                self._trim(now)
                used = sum(e[1] for e in self._events)
                fits_r = self.rpm is None or len(self._events) < self.rpm
                fits_t = self.tpm is None or used + tokens <= self.tpm
                if fits_r and fits_t:
                    booking = [now, float(tokens)]
                    self._events.append(booking)
                    return booking
                wait = WINDOW - (now - self._events[0][0]) if self._events else 0.05
            wait = max(wait, 0.01)
            self.waited += wait
            self._sleep(wait)

    def settle(self, booking: list[float], tokens: int) -> None:
        """Replace a booking's estimate by the tokens the server reported."""
        with self._lock:
            booking[1] = float(tokens)


def estimate_tokens(body: bytes) -> int:
    """A generous estimate of a request's tokens from its JSON body: Chinese text runs at
    about one token per character, JSON and ASCII at about one per four bytes."""
    text = body.decode("utf-8", "replace")
    cjk = sum(1 for ch in text if ord(ch) > 0x2E80)
    return cjk + (len(text) - cjk) // 4 + 1
