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

Every reply is read with a size bound (`max_reply_bytes`; a 60 MB reply once took 5.3 GB of
memory), must be a JSON chat completion (an HTML proxy page or a JSON error object is not
one), and has its token usage checked (negative, non-numeric or absurd counts are replaced by
an estimate, so a server cannot defeat `--max-cost`). What fails these checks reaches the
client as a synthetic HTTP 502 carrying `x-extractor-failure: <kind>` and a message saying
what happened. Nothing is cached here directly: replies wait in a per-thread list until the
client says the task they belong to succeeded (`commit`), so a failed reply is never served
from the cache to a later run.
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

from extractor.llm.cache import ReplyCache, UnsafeCacheEntry, canonical_key
from extractor.llm.config import LLMSettings
from extractor.llm.ratelimit import RateLimiter, estimate_tokens

#: Header carrying the prompt version into the cache key (and, harmlessly, to the server).
PROMPT_HEADER = "x-extractor-prompt"

#: Header of a synthetic reply saying what went wrong below the openai client.
FAILURE_HEADER = "x-extractor-failure"
#: No single reply reports more tokens than this: a larger count is not believed.
MAX_REPLY_TOKENS = 10_000_000

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
    usage_estimated: int = 0  # replies whose reported usage was missing or impossible
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


def failure(request: httpx2.Request, kind: str, message: str) -> httpx2.Response:
    """A synthetic reply saying what went wrong (the client reports `message`)."""
    body = json.dumps({"error": {"message": message, "type": kind}}, ensure_ascii=False)
    return httpx2.Response(502, content=body.encode("utf-8"), request=request,
                           headers={"content-type": "application/json", FAILURE_HEADER: kind})


def _sane(value: Any, estimate: int) -> tuple[int, bool]:
    """A token count as reported, or the estimate when it is missing or impossible."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return estimate, True
    if value != value or value < 0 or value > MAX_REPLY_TOKENS or int(value) != value:
        return estimate, True
    return int(value), False


def check_completion(body: bytes, request: httpx2.Request) -> tuple[dict[str, Any] | None, str]:
    """(the chat completion, "") or (None, what is wrong with the body)."""
    try:
        data = json.loads(body)
    except ValueError:
        head = body[:60].decode("utf-8", "replace").replace("\n", " ")
        return None, f"unparseable body: the reply is not JSON (it starts {head!r})"
    choices = data.get("choices") if isinstance(data, dict) else None
    if not (isinstance(choices, list) and choices and isinstance(choices[0], dict)
            and isinstance(choices[0].get("message"), dict)):
        keys = sorted(data)[:6] if isinstance(data, dict) else type(data).__name__
        return None, f"wrong shape: the reply is JSON but not a chat completion (keys: {keys})"
    return data, ""


class LLMTransport(httpx2.BaseTransport):
    def __init__(self, settings: LLMSettings, stats: Stats, cache: ReplyCache | None,
                 inner: httpx2.BaseTransport | None = None) -> None:
        self.settings = settings
        self.stats = stats
        self.cache = cache
        self.inner = inner or httpx2.HTTPTransport()
        self.limiter = RateLimiter(settings.rpm, settings.tpm)
        self._local = threading.local()  # per-thread retry bookkeeping, pending cache writes

    # -- the cache, written only for tasks that succeeded ---------------------------------
    def begin(self, use_cache: bool = True) -> None:
        """A task starts on this thread: nothing pending; `use_cache` False bypasses the
        cache both ways (the endpoint probe)."""
        self._local.pending = []
        self._local.bypass = not use_cache

    def commit(self) -> None:
        """The task succeeded: cache the replies it got."""
        pending = getattr(self._local, "pending", [])
        if self.cache is not None:
            for key, value in pending:
                self.cache.set(key, value)
        self._local.pending = []

    def discard(self) -> None:
        self._local.pending = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        bypass = getattr(self._local, "bypass", False)
        cache = None if bypass else self.cache
        key = request_key(request) if cache is not None else ""
        if cache is not None and self.settings.cache == "use":
            try:
                hit = cache.get(key)
                stored = json.loads(hit) if hit is not None else None
                if stored is not None:
                    status, body = int(stored["status"]), str(stored["body"])
                    ctype = str(stored["content_type"])
            except (UnsafeCacheEntry, ValueError, KeyError, TypeError) as e:
                return failure(request, "refused_cache_entry",
                               f"refused cache entry: {e} (in {cache.directory}); use "
                               "--refresh-cache to ask again")
            if stored is not None:
                self.stats.add(cache_hits=1)
                return httpx2.Response(status, content=body.encode("utf-8"),
                                       headers={"content-type": ctype}, request=request)
        response = self._send(request)
        if response.status_code != 200:
            return response
        data, problem = check_completion(response.content, request)
        if data is None:
            return failure(request, problem.split(":")[0].replace(" ", "_"), problem)
        body = self._sanitize_usage(data, request, response.content)
        if cache is not None:
            pending = getattr(self._local, "pending", None)
            value = json.dumps({"status": 200, "content_type": "application/json", "body": body},
                               ensure_ascii=False)
            if pending is None:  # a caller that does not use begin/commit
                cache.set(key, value)
            else:
                pending.append((key, value))
        return httpx2.Response(200, content=body.encode("utf-8"), request=request,
                               headers={"content-type": "application/json"})

    def _sanitize_usage(self, data: dict[str, Any], request: httpx2.Request, raw: bytes) -> str:
        """The body with believable usage (counted as paid); the original text if it had it."""
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        prompt, bad_p = _sane(usage.get("prompt_tokens"), estimate_tokens(request.content or b""))
        out = json.dumps(data["choices"][0].get("message"), ensure_ascii=False).encode("utf-8")
        completion, bad_c = _sane(usage.get("completion_tokens"), estimate_tokens(out))
        self.stats.add(live_prompt_tokens=prompt, live_completion_tokens=completion)
        if not (bad_p or bad_c) and _sane(usage.get("total_tokens"), 0)[0] in (0, prompt + completion):
            return raw.decode("utf-8")
        self.stats.add(usage_estimated=1)
        data["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion,
                         "total_tokens": prompt + completion}
        return json.dumps(data, ensure_ascii=False)

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

    def _read(self, request: httpx2.Request, response: httpx2.Response) -> httpx2.Response:
        """The reply read into memory, at most `max_reply_bytes` (decoded)."""
        limit = self.settings.max_reply_bytes
        declared = response.headers.get("content-length", "")
        chunks: list[bytes] = []
        size = 0
        try:
            if declared.isdigit() and int(declared) > limit:
                raise _TooLarge(int(declared))
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _TooLarge(size)
                chunks.append(chunk)
        except _TooLarge as e:
            response.close()
            return failure(request, "too_large",
                           f"the reply is larger than {limit} bytes ({e.size:,}+ bytes): not read")
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
        return httpx2.Response(response.status_code, headers=headers, content=b"".join(chunks),
                               request=request)

    def _send(self, request: httpx2.Request) -> httpx2.Response:
        s = self.settings
        self._local.timeouts = 0
        attempts = s.max_attempts if not getattr(self._local, "bypass", False) else min(2, s.max_attempts)
        retrying = Retrying(
            stop=stop_after_attempt(attempts) | stop_before_delay(s.retry_budget),
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
                    response = self._read(request, self.inner.handle_request(request))
                    if response.headers.get(FAILURE_HEADER):
                        return response
                    if booking is not None and response.status_code == 200:
                        self.limiter.settle(booking, _total_tokens(response, booking[1]))
                    if response.status_code in _RETRY_STATUS:
                        body = response.content.decode("utf-8", "replace")
                        if not unsupported_format(response.status_code, body):
                            raise _RetryableStatus(response)
                    return response
        except _RetryableStatus as e:
            return e.response  # attempts or time spent: the client reports the last error
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.inner.close()


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _total_tokens(response: httpx2.Response, estimate: float) -> int:
    try:
        usage = json.loads(response.content).get("usage") or {}
        p = _sane(usage.get("prompt_tokens"), int(estimate))[0]
        c = _sane(usage.get("completion_tokens"), 0)[0]
        return max(p + c, 1)
    except (ValueError, AttributeError, TypeError):
        return int(estimate)
