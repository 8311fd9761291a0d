"""A scripted OpenAI-compatible HTTP server: the only stand-in the tests use (for the LLM).

It serves `POST .../chat/completions` on loopback, answers with the scripted replies in
order (then with `default(body)` if given), and records every request it was sent
(headers and JSON body), so a test can assert on the prompts an agent built. Agents
reach it with the real `openai` client through `llm.base_url`:

    with ScriptedLLM(["```praxis\\nCALL echo --text hi\\n```", "It said hi."]) as llm:
        agent = spawn_agent("a", llm=llm.config(api_key="sk-test"))
        ...
        assert "echo" in llm.requests[0].prompt
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_LIMIT_S = 120.0


@dataclass
class Reply:
    """One scripted answer: text (HTTP 200), an error status, or no answer at all (`hang`)."""

    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


def plan(dsl: str) -> str:
    """A model answer holding `dsl` in a fenced block, with a line of chatter around it."""
    return f"Here is the plan.\n```praxis\n{dsl.strip()}\n```\nDone."


@dataclass
class Recorded:
    """What the server was sent: the path, the headers (lower-case names) and the body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def prompt(self) -> str:
        """Every message's content, one after the other."""
        return "\n".join(str(m.get("content")) for m in self.messages)

    @property
    def last(self) -> str:
        """The content of the last message (the request, a repair or an answer prompt)."""
        return str(self.messages[-1].get("content")) if self.messages else ""


class ScriptedLLM:
    """`with ScriptedLLM(replies) as llm:` serves until the block ends."""

    def __init__(self, replies: list[Reply | str] | None = None, *,
                 default: Callable[[dict[str, Any]], Reply | str] | None = None) -> None:
        self._replies: deque[Reply] = deque()
        self.default = default
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.script(*(replies or []))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The `llm.base_url` to configure."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def config(self, **extra: Any) -> dict[str, Any]:
        """An `llm` config section pointing at this server."""
        return {"enabled": True, "base_url": self.url, "model": "scripted-model",
                "timeout": 10, "max_retries": 2, **extra}

    def script(self, *replies: Reply | str) -> None:
        """Queue more replies (strings are 200 answers)."""
        with self._lock:
            self._replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def reset(self) -> None:
        """Forget queued replies and recorded requests."""
        with self._lock:
            self._replies.clear()
            self.requests.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    # ---------------------------------------------------------------- serving

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        if self.default is not None:
            reply = self.default(body)
            return reply if isinstance(reply, Reply) else Reply(reply)
        return Reply(status=500, content="the test scripted no reply for this request")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        llm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with llm._lock:
                    llm.requests.append(Recorded(self.path, headers, body))
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                reply = llm._next(body)
                if reply.hang:
                    llm._closing.wait(HANG_LIMIT_S)
                    self.close_connection = True
                    return
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": reply.content or "scripted",
                                                        "type": "scripted_error"}},
                               reply.headers)
                    return
                self._send(200, completion(body, reply.content), reply.headers)

            def _send(self, status: int, data: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

        return Handler


def completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat completion object as OpenAI's API returns it (token counts estimated)."""
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages") or []) // 4
    answer = len(content) // 4
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}", "object": "chat.completion",
        "created": int(time.time()), "model": body.get("model", "scripted-model"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": answer,
                  "total_tokens": prompt + answer},
    }
