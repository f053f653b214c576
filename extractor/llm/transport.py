"""The HTTP layer under the openai client: reply cache, retries, call counts.

Why here and not around `chat.completions.create`: instructor builds the request (mode,
schema, re-ask messages) and parses the reply; caching the raw HTTP reply below the openai
client means instructor parses a cached reply exactly as a live one, re-asks get their own
keys (their messages differ), and a warm cache provably makes no HTTP call at all.

Retries live here too (the openai client's own are disabled): tenacity, exponential
backoff with jitter, Retry-After honoured (capped), on 429, 5xx, timeouts and connection
errors, bounded in attempts and in total time. A 4xx/5xx saying the server does not support
the `response_format` is not transient and goes straight back to the client, which
switches mode.
"""

from __future__ import annotations

import email.utils
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from extractor.llm.cache import ReplyCache, canonical_key
from extractor.llm.config import LLMSettings
from extractor.llm.ratelimit import RateLimiter, estimate_tokens

#: Header carrying the prompt version into the cache key (and, harmlessly, to the server).
PROMPT_HEADER = "x-extractor-prompt"

_UNSUPPORTED = re.compile(r"response_format|json_schema|response format", re.I)
_RETRY_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))


def unsupported_format(status: int, body: str) -> bool:
    """The server says it cannot do the requested structured-output format."""
    return status in (400, 422, 500, 501) and bool(_UNSUPPORTED.search(body))


@dataclass
class Stats:
    """What the transport did, for a run (thread-safe)."""

    http_calls: int = 0  # requests that went out on the wire (each retry counts)
    cache_hits: int = 0
    retries: int = 0
    live_prompt_tokens: int = 0  # tokens of replies paid for in this run (not cached)
    live_completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for k, v in counts.items():
                setattr(self, k, getattr(self, k) + v)


class _RetryableStatus(Exception):
    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def retry_after(response: httpx2.Response) -> float | None:
    """Seconds the server asks us to wait (Retry-After: seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def request_key(request: httpx2.Request) -> str:
    """The cache key: endpoint, the JSON body (model, messages, mode, schema, parameters)
    and the prompt version. Never the Authorization header."""
    try:
        body: Any = json.loads(request.content or b"null")
    except ValueError:
        body = request.content.decode("utf-8", "replace")
    return canonical_key({
        "method": request.method,
        "url": str(request.url.copy_with(query=None)),
        "body": body,
        "prompt": request.headers.get(PROMPT_HEADER, ""),
    })


def _total_tokens(response: httpx2.Response, estimate: float) -> int:
    try:
        usage = json.loads(response.read()).get("usage") or {}
        return int(usage.get("total_tokens") or usage.get("prompt_tokens", 0)
                   + usage.get("completion_tokens", 0)) or int(estimate)
    except (ValueError, AttributeError, TypeError):
        return int(estimate)


class LLMTransport(httpx2.BaseTransport):
    def __init__(self, settings: LLMSettings, stats: Stats, cache: ReplyCache | None,
                 inner: httpx2.BaseTransport | None = None) -> None:
        self.settings = settings
        self.stats = stats
        self.cache = cache
        self.inner = inner or httpx2.HTTPTransport()
        self.limiter = RateLimiter(settings.rpm, settings.tpm)
        self._local = threading.local()  # per-thread retry bookkeeping

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        key = request_key(request) if self.cache is not None else ""
        if self.cache is not None and self.settings.cache == "use":
            hit = self.cache.get(key)
            if hit is not None:
                self.stats.add(cache_hits=1)
                stored = json.loads(hit)
                return httpx2.Response(stored["status"], content=stored["body"].encode("utf-8"),
                                       headers={"content-type": stored["content_type"]},
                                       request=request)
        response = self._send(request)
        if response.status_code == 200:
            body = response.read().decode("utf-8")
            self._count_usage(body)
            if self.cache is not None:
                self.cache.set(key, json.dumps({
                    "status": 200,
                    "content_type": response.headers.get("content-type", "application/json"),
                    "body": body,
                }, ensure_ascii=False))
        return response

    def _count_usage(self, body: str) -> None:
        try:
            usage = json.loads(body).get("usage") or {}
        except (ValueError, AttributeError):
            return
        self.stats.add(live_prompt_tokens=int(usage.get("prompt_tokens") or 0),
                       live_completion_tokens=int(usage.get("completion_tokens") or 0))

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        s = self.settings
        if isinstance(exc, _RetryableStatus):
            after = retry_after(exc.response)
            if after is not None:
                return min(after, s.backoff_max)
        return wait_exponential_jitter(multiplier=s.backoff_initial, max=s.backoff_max,
                                       jitter=s.backoff_initial)(state)

    def _first_timeout(self, exc: BaseException) -> bool:
        """A timeout is retried once per request: a local server keeps working on the
        request we gave up on, so every further retry would queue behind it."""
        if not isinstance(exc, httpx2.TimeoutException):
            return False
        self._local.timeouts = getattr(self._local, "timeouts", 0) + 1
        return self._local.timeouts <= 1

    def _send(self, request: httpx2.Request) -> httpx2.Response:
        s = self.settings
        self._local.timeouts = 0
        retrying = Retrying(
            stop=stop_after_attempt(s.max_attempts) | stop_before_delay(s.retry_budget),
            wait=self._wait,
            retry=retry_if_exception_type(
                (_RetryableStatus, httpx2.NetworkError, httpx2.RemoteProtocolError))
            | retry_if_exception(self._first_timeout),
            before_sleep=lambda _: self.stats.add(retries=1),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    booking = (self.limiter.acquire(estimate_tokens(request.content or b""))
                               if self.limiter.active else None)
                    self.stats.add(http_calls=1)
                    response = self.inner.handle_request(request)
                    if booking is not None and response.status_code == 200:
                        self.limiter.settle(booking, _total_tokens(response, booking[1]))
                    if response.status_code in _RETRY_STATUS:
                        body = response.read().decode("utf-8", "replace")
                        if not unsupported_format(response.status_code, body):
                            raise _RetryableStatus(response)
                    return response
        except _RetryableStatus as e:
            return e.response  # attempts or time spent: the client reports the last error
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.inner.close()
