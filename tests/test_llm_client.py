"""The LLM client against a real local HTTP server: modes, retries, re-asks, cache."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import diskcache
import pytest
from fake_llm import Reply
from pydantic import BaseModel

from extractor.llm.cache import ReplyCache, UnsafeCacheEntry
from extractor.llm.client import LLMClient


class Answer(BaseModel):
    n: int


MSGS = [{"role": "user", "content": "数一数"}]


def ask(client: LLMClient, version: str = "t.v1+0", msgs=MSGS):
    return client.ask(version, msgs, Answer)


def test_a_correct_reply_is_parsed_and_cached(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(arguments={"n": 7}))
    client = LLMClient(llm_settings)
    first = ask(client)
    assert first.value.n == 7 and first.error is None and first.mode == "json_schema"
    assert first.usage.prompt_tokens > 0
    assert fake_llm.calls == 1
    assert fake_llm.requests[0]["response_format"]["type"] == "json_schema"
    again = ask(client)
    assert again.value.n == 7 and again.usage == first.usage
    assert fake_llm.calls == 1 and client.stats.cache_hits == 1  # no HTTP call
    fake_llm.script(Reply(arguments={"n": 7}))
    ask(client, version="t.v2+0")  # the prompt version is part of the key
    assert fake_llm.calls == 2


def test_429_honours_retry_after(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(status=429, headers={"Retry-After": "0.15"}), Reply(arguments={"n": 1}))
    client = LLMClient(llm_settings)
    t = time.monotonic()
    assert ask(client).value.n == 1
    assert time.monotonic() - t >= 0.15
    assert fake_llm.calls == 2 and client.stats.retries == 1


def test_500_is_retried_and_exhaustion_ends_null(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(status=500), Reply(arguments={"n": 2}))
    client = LLMClient(llm_settings)
    assert ask(client).value.n == 2 and fake_llm.calls == 2
    fake_llm.script(*[Reply(status=503)] * 3)
    failed = ask(client, version="other")
    assert failed.value is None and "HTTP 503" in (failed.error or "")
    assert fake_llm.calls == 2 + llm_settings.max_attempts


def test_a_timeout_is_retried(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(arguments={"n": 0}, delay=1.0), Reply(arguments={"n": 3}))
    client = LLMClient(llm_settings)
    assert ask(client).value.n == 3
    assert fake_llm.calls == 2


def test_a_second_timeout_is_not_retried(fake_llm, llm_settings) -> None:
    """A local server keeps working on a request we gave up on: retrying timeouts again and
    again only queues more work behind it."""
    fake_llm.script(*(Reply(arguments={"n": 0}, delay=1.0) for _ in range(3)), Reply(arguments={"n": 3}))
    client = LLMClient(llm_settings)
    answer = ask(client)
    assert answer.value is None and "timed out" in (answer.error or "")
    assert fake_llm.calls == 2


def test_malformed_json_is_re_asked_once_then_flagged(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(content='{"n": 4'), Reply(arguments={"n": 4}))
    client = LLMClient(llm_settings)
    assert ask(client).value.n == 4 and fake_llm.calls == 2
    fake_llm.script(Reply(content="not json at all"), Reply(content="{still not"))
    failed = ask(client, version="x")
    assert failed.value is None and "unparseable reply: the model's answer is not JSON after 2 attempt(s)" in (failed.error or "")
    assert fake_llm.calls == 4  # 1 + settings.reasks, then no more


def test_schema_invalid_then_valid_re_asks_with_the_error(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(arguments={"count": 5}), Reply(arguments={"n": 5}))
    client = LLMClient(llm_settings)
    assert ask(client).value.n == 5
    assert fake_llm.calls == 2
    reask = fake_llm.requests[1]["messages"]
    assert len(reask) > len(MSGS) and "n" in str(reask[-1]["content"])


def test_finish_reason_length_takes_nothing(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(arguments={"n": 6}, finish_reason="length"))
    answer = ask(LLMClient(llm_settings))
    assert answer.value is None and "finish_reason=length" in (answer.error or "")
    assert fake_llm.calls == 1


def test_unsupported_response_format_switches_mode_once(fake_llm, llm_settings) -> None:
    # llama-cpp-python's server answers json_schema with HTTP 500.
    fake_llm.script(Reply(status=500, body='{"error": {"message": "response_format json_schema not supported"}}'),
                    Reply(arguments={"n": 8}), Reply(arguments={"n": 9}))
    client = LLMClient(llm_settings)
    first = ask(client)
    assert first.value.n == 8 and first.mode == "tools"
    assert "tools" in fake_llm.requests[1] and "response_format" not in fake_llm.requests[1]
    assert ask(client, version="next").value.n == 9
    assert fake_llm.calls == 3  # the 500 was not retried; the switch happened once
    assert len(client.notes) == 1 and "switching to tools" in client.notes[0]


def test_md_json_mode_parses_a_fenced_block(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(arguments={"n": 10}))
    client = LLMClient(llm_settings.model_copy(update={"mode": "md_json"}))
    assert ask(client).value.n == 10
    assert "response_format" not in fake_llm.requests[0] and "tools" not in fake_llm.requests[0]


def test_concurrent_calls(fake_llm, llm_settings) -> None:
    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def responder(request):
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.05)
        with lock:
            active["now"] -= 1
        return Reply(arguments={"n": int(request["messages"][0]["content"])})

    fake_llm.responder = responder
    client = LLMClient(llm_settings)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: ask(client, msgs=[{"role": "user", "content": str(i)}]),
                                range(16)))
    assert [a.value.n for a in answers] == list(range(16))
    assert fake_llm.calls == 16 and active["max"] > 1
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: ask(client, msgs=[{"role": "user", "content": str(i)}]), range(16)))
    assert fake_llm.calls == 16 and client.stats.cache_hits == 16


def test_no_cache_and_refresh(fake_llm, llm_settings) -> None:
    fake_llm.responder = lambda _: Reply(arguments={"n": 1})
    ask(LLMClient(llm_settings.model_copy(update={"cache": "off"})))
    ask(LLMClient(llm_settings))
    assert fake_llm.calls == 2  # nothing was written by the cache-off run
    ask(LLMClient(llm_settings.model_copy(update={"cache": "refresh"})))
    assert fake_llm.calls == 3
    ask(LLMClient(llm_settings))
    assert fake_llm.calls == 3


def test_the_cache_is_private_text_without_the_key_and_refuses_pickles(fake_llm, llm_settings) -> None:
    fake_llm.script(Reply(arguments={"n": 1}))
    client = LLMClient(llm_settings)
    ask(client)
    client.close()
    directory = llm_settings.cache_dir
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
    for root, _, files in os.walk(directory):
        for name in files:
            assert b"sk-test-SECRET" not in open(os.path.join(root, name), "rb").read()
    cache = ReplyCache(directory)
    with pytest.raises(TypeError):
        cache.set("k", {"not": "text"})  # type: ignore[arg-type]
    cache.close()
    with diskcache.Cache(str(directory)) as plain:  # someone plants a pickle
        plain.set("planted", {"evil": True})
    cache = ReplyCache(directory)
    with pytest.raises(UnsafeCacheEntry):
        cache.get("planted")
    cache.close()


def test_a_mode_fallback_is_remembered_for_the_endpoint(fake_llm, llm_settings) -> None:
    """The next run starts in the mode the endpoint accepted: no rejected request again."""
    fake_llm.script(Reply(status=500, body='{"error": {"message": "response_format json_schema not supported"}}'),
                    Reply(arguments={"n": 8}))
    first = LLMClient(llm_settings)
    assert ask(first).value.n == 8 and first.mode == "tools"
    first.close()
    fake_llm.script(Reply(arguments={"n": 9}))
    second = LLMClient(llm_settings)
    assert second.mode == "tools"
    assert ask(second, version="t.v1+1").value.n == 9
    assert "tools" in fake_llm.requests[-1] and "response_format" not in fake_llm.requests[-1]
