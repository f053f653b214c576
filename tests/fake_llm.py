"""A real HTTP server on 127.0.0.1 that speaks `/v1/chat/completions` with scripted replies.

Tests talk to it over TCP exactly as to a real endpoint: nothing inside openai, instructor or
httpx is patched. A script is a queue of `Reply` objects and/or a function of the request
body; when the queue is empty the function (if any) answers.

A `Reply` says what to send: the structured arguments (wrapped as a tool call or as message
content, following the request's mode), raw content, an HTTP error with headers, a delay
before answering (for timeouts), a raw body (malformed JSON, an HTML proxy page), the usage
it reports (negative or absurd counts), or a huge body streamed without Content-Length.

The endpoint check the command line sends before the first report (`client.probe`) is
answered `{"ok": true}` by the server itself unless `answer_probe` is False (the fault tests
let the probe meet the faults too).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    arguments: dict[str, Any] | None = None  # the structured answer
    content: str | None = None  # raw message content (overrides arguments)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # raw HTTP body (overrides everything)
    delay: float = 0.0  # seconds to wait before answering
    finish_reason: str = "stop"
    usage: dict[str, Any] | None = None  # reported usage (default: counted)
    huge: int = 0  # stream this many bytes of junk, no Content-Length (a reply-size test)


Responder = Callable[[dict[str, Any]], Reply]


def tokens(text: str) -> int:
    """A crude token count for usage: one per CJK character, one per 4 other characters."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return cjk + (len(text) - cjk + 3) // 4


def completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt = "".join(str(m.get("content") or "") for m in request.get("messages", []))
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if reply.content is not None:
        message["content"] = reply.content
        out = reply.content
    elif request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        out = json.dumps(reply.arguments, ensure_ascii=False)
        message["tool_calls"] = [{"id": "call_1", "type": "function",
                                  "function": {"name": name, "arguments": out}}]
    else:
        out = json.dumps(reply.arguments, ensure_ascii=False)
        if request.get("response_format") is None:  # MD_JSON: a fenced block
            out = f"```json\n{out}\n```"
        message["content"] = out
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        "usage": reply.usage if reply.usage is not None else {
            "prompt_tokens": tokens(prompt), "completion_tokens": tokens(out),
            "total_tokens": tokens(prompt) + tokens(out)},
    }


def is_probe(request: dict[str, Any]) -> bool:
    msgs = request.get("messages") or [{}]
    return str(msgs[0].get("content") or "").startswith("This is an endpoint check")


class FakeLLM:
    """The server, its script, and what it received."""

    def __init__(self) -> None:
        self.queue: deque[Reply] = deque()
        self.responder: Responder | None = None
        self.answer_probe = True
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def calls(self) -> int:
        return len(self.requests)

    def script(self, *replies: Reply) -> None:
        self.queue.extend(replies)

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply(status=500, body='{"error": {"message": "fake server: no scripted reply"}}')

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw)
                except ValueError:
                    request = {"raw": raw.decode("utf-8", "replace")}
                with fake._lock:
                    fake.requests.append(request)
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                if not self.path.endswith("/chat/completions"):
                    return self._send(Reply(status=404, body='{"error": {"message": "not found"}}'))
                if fake.answer_probe and is_probe(request):
                    return self._send(Reply(arguments={"ok": True}), request)
                self._send(fake._next(request), request)

            def _send(self, reply: Reply, request: dict[str, Any] | None = None) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.huge:
                    return self._stream(reply.huge)
                if reply.body is not None:
                    body = reply.body
                elif reply.status != 200:
                    body = json.dumps({"error": {"message": f"status {reply.status}"}})
                else:
                    body = json.dumps(completion(request or {}, reply), ensure_ascii=False)
                data = body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def _stream(self, size: int) -> None:
                chunk = b'{"junk": "' + b"x" * 65536
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    sent = 0
                    while sent < size:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a bounded reader does
                self.close_connection = True

        return Handler

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake
