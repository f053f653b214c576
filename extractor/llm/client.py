"""instructor over the openai client: one structured request, its mode, usage and errors.

Structured-output modes: JSON_SCHEMA (the server enforces the schema), TOOLS (the schema
constrains a tool call: llama.cpp's Python server, DeepSeek, DashScope), MD_JSON (a fenced
JSON block: the last resort). When an endpoint answers that it does not support the
response format, the client moves one step down `FALLBACK`, says so once, and goes on.
Whatever still fails ends as a `Failure` (never a guessed value).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel, ConfigDict

from extractor.llm.cache import ReplyCache
from extractor.llm.config import LLMSettings, auto_mode
from extractor.llm.transport import (
    FAILURE_HEADER,
    PROMPT_HEADER,
    LLMTransport,
    Stats,
    unsupported_format,
)

T = TypeVar("T", bound=BaseModel)

# instructor logs every failed attempt at ERROR; failures are reported in our records instead.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = False

MODES: dict[str, instructor.Mode] = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "md_json": instructor.Mode.MD_JSON,
}
FALLBACK = {"json_schema": "tools", "tools": "md_json"}


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __iadd__(self, other: Usage) -> Usage:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        return self


@dataclass
class Answer(Generic[T]):
    """A task's outcome: the parsed reply, or why there is none."""

    value: T | None
    usage: Usage
    mode: str
    error: str | None = None


class ProbeAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: bool


PROBE_MESSAGES = [
    {"role": "system", "content": "This is an endpoint check of report-extractor. "
     "Answer with ok = true."},
    {"role": "user", "content": "ok?"},
]


class EndpointError(Exception):
    """The endpoint cannot serve the run (unreachable, refused, misconfigured)."""


def _usage(obj: Any) -> Usage:
    u = getattr(obj, "usage", obj)
    return Usage(int(getattr(u, "prompt_tokens", 0) or 0), int(getattr(u, "completion_tokens", 0) or 0))


@dataclass
class LLMClient:
    settings: LLMSettings
    stats: Stats = field(default_factory=Stats)
    notes: list[str] = field(default_factory=list)  # things the run should say once

    def __post_init__(self) -> None:
        s = self.settings
        self.cache = ReplyCache(s.cache_dir) if s.cache != "off" else None
        self.transport = LLMTransport(s, self.stats, self.cache)
        self.http = httpx2.Client(transport=self.transport, timeout=s.timeout)
        self.openai = openai.OpenAI(
            api_key=s.api_key.get_secret_value() if s.api_key else "not-needed",
            base_url=s.endpoint, max_retries=0, timeout=s.timeout, http_client=self.http,
        )
        self.mode = auto_mode(s)
        if s.mode == "auto" and self.cache is not None:
            # An endpoint that rejected a mode in an earlier run starts where it ended up.
            self.mode = self.cache.get(self._mode_key()) or self.mode
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def _mode_key(self) -> str:
        return f"mode-fallback:{self.settings.endpoint}:{self.settings.model}"

    def _instructor(self, mode: str) -> Any:
        with self._lock:
            if mode not in self._clients:
                self._clients[mode] = instructor.from_openai(self.openai, mode=MODES[mode])
            return self._clients[mode]

    def _fall_back(self, failed: str, why: str) -> bool:
        """Move down the mode chain once per failing mode; False when nothing is left."""
        with self._lock:
            if self.mode != failed:
                return True  # another thread already switched
            nxt = FALLBACK.get(failed)
            if nxt is None:
                return False
            short = " ".join(why.split())
            short = short if len(short) <= 120 else short[:117].rsplit(" ", 1)[0] + " …"
            self.notes.append(f"{self.settings.endpoint} rejected {failed} structured output "
                              f"({short}); switching to {nxt} mode for the rest of the run")
            self.mode = nxt
            if self.settings.mode == "auto" and self.cache is not None:
                self.cache.set(self._mode_key(), nxt)
            return True

    def ask(self, prompt_version: str, messages: list[dict[str, str]],
            response_model: type[T], context: dict[str, Any] | None = None,
            max_tokens: int | None = None, use_cache: bool = True) -> Answer[T]:
        """One task's structured request (with instructor's re-asks). Its replies are
        cached only when it succeeds."""
        usage = Usage()
        self.transport.begin(use_cache)
        try:
            ans = self._ask(prompt_version, messages, response_model, context, max_tokens, usage)
        except BaseException:
            self.transport.discard()
            raise
        if ans.value is None:
            self.transport.discard()
        else:
            self.transport.commit()
        return ans

    def _ask(self, prompt_version: str, messages: list[dict[str, str]], response_model: type[T],
             context: dict[str, Any] | None, max_tokens: int | None, usage: Usage) -> Answer[T]:
        while True:
            mode = self.mode
            try:
                value, raw = self._instructor(mode).chat.completions.create_with_completion(
                    model=self.settings.model,
                    messages=messages,
                    response_model=response_model,
                    context=context,
                    max_retries=self.settings.reasks,
                    temperature=self.settings.temperature,
                    max_tokens=max_tokens or self.settings.max_tokens,
                    extra_headers={PROMPT_HEADER: prompt_version},
                )
            except IncompleteOutputException as e:
                usage += _usage(getattr(e, "last_completion", None))
                return Answer(None, usage, mode, "the reply was cut off at max_tokens "
                              "(finish_reason=length); nothing taken from it")
            except InstructorRetryException as e:
                usage += _usage(e.total_usage)
                cause = e.__cause__
                if isinstance(cause, openai.APIStatusError) and not cause.response.headers.get(
                        FAILURE_HEADER) and unsupported_format(
                        cause.status_code, str(cause.message) + str(cause.body)):
                    if self._fall_back(mode, str(cause.message)):
                        continue
                return Answer(None, usage, mode, _describe(cause or e, e.n_attempts))
            except openai.APIError as e:
                return Answer(None, usage, mode, _describe(e, 1))
            total = getattr(value, "_total_usage", None)
            usage += _usage(total if total is not None else raw)
            return Answer(value, usage, mode)

    def probe(self) -> str | None:
        """One cheap request before the first report: connection, authentication, model
        name, structured-output mode (an unsupported mode moves down the chain here). None
        when the endpoint can serve the run, else one line saying what is wrong. Bypasses
        the cache both ways."""
        ans = self.ask("probe", PROBE_MESSAGES, ProbeAnswer, max_tokens=32, use_cache=False)
        if ans.value is not None:
            return None
        err = ans.error or "no answer"
        where = f"the LLM endpoint {self.settings.endpoint} (model {self.settings.model})"
        if err.startswith("wrong shape: the reply did not fit"):
            # The server answers chat completions; only this tiny schema was not followed.
            self.notes.append(f"{where} answered the endpoint check but not in the requested "
                              f"shape ({err[:160]}); going on")
            return None
        return f"{where} failed the endpoint check: {err}"

    def cost(self, usage: Usage) -> Decimal:
        price = self.settings.price()
        return (price.prompt * usage.prompt_tokens
                + price.completion * usage.completion_tokens) / Decimal(1_000_000)

    def spent(self) -> Decimal:
        """What this run paid for: tokens of replies that came over the wire."""
        return self.cost(Usage(self.stats.live_prompt_tokens, self.stats.live_completion_tokens))

    def close(self) -> None:
        self.http.close()
        if self.cache is not None:
            self.cache.close()


def _describe(e: BaseException, attempts: int) -> str:
    """What happened, in words a user can act on (each kind of failure reads differently)."""
    if isinstance(e, openai.APIStatusError):
        if e.response.headers.get(FAILURE_HEADER):  # our own checks below the client
            body = e.body if isinstance(e.body, dict) else {}
            return str(body.get("message") or e.message)[:300]
        status = e.status_code
        hint = {401: " (authentication: check OPENAI_API_KEY)", 403: " (forbidden: check the key)",
                404: " (not found: check --model and that --base-url ends in /v1)",
                429: " (rate limited; retries exhausted)"}.get(status, "")
        if status >= 500:
            hint = " (server error; retries exhausted)"
        return f"the LLM endpoint answered HTTP {status}{hint}: {str(e.message)[:200]}"
    if isinstance(e, openai.APITimeoutError):
        return "the LLM endpoint timed out (after retries)"
    if isinstance(e, openai.APIConnectionError):
        cause = e.__cause__
        why = f": {cause}" if cause is not None and str(cause) else ""
        return f"the LLM endpoint is unreachable{why[:160]} (after retries)"
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    # pydantic's first line only names the model ("1 validation error for Map2021S2"); the
    # next one says what was wrong ("invalid cell citations: ... is not a cell id").
    text = "; ".join(lines[:3]) if lines else type(e).__name__
    kind = ("unparseable reply: the model's answer is not JSON" if "json_invalid" in text
            or "Invalid JSON" in text else "wrong shape: the reply did not fit the schema")
    return f"{kind} after {attempts} attempt(s): {text[:300]}"
