"""Run a DSL script or a request on a running agent over `/ws/workflow`, with progress.

`run_remote(url, script, token=..., emit=...)` sends `DSL_COMMAND`, reports `dslProgress`,
this run's node updates and logs, and returns the `dslResult` payload; `ask_remote(url,
request, ...)` does the same for plain language (`CHAT_MESSAGE`) and returns the
`chatMessage` payload. Both raise `PraxisError` (with a readable message) when the agent
cannot be reached or refuses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from praxis_sdk.errors import (
    PraxisError,
    Timeout,
    Unauthorized,
    Unavailable,
    describe,
    from_dict,
)

Emit = Callable[[str], None]


def ws_url(url: str) -> str:
    base = url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://"):]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://"):]
    elif not base.startswith(("ws://", "wss://")):
        base = "ws://" + base
    return base + "/ws/workflow"


def run_remote(url: str, script: str, *, token: str | None = None, timeout: float = 600.0,
               emit: Emit = print) -> dict[str, Any]:
    """The `dslResult` payload of running `script` on the agent at `url`."""
    return _session(url, "DSL_COMMAND", {"command": script}, "dslResult", token=token,
                    timeout=timeout, emit=emit)


def ask_remote(url: str, request: str, *, token: str | None = None, timeout: float = 600.0,
               emit: Emit = print) -> dict[str, Any]:
    """The `chatMessage` payload (the answer) of a plain-language request to `url`."""
    return _session(url, "CHAT_MESSAGE", {"content": request}, "chatMessage", token=token,
                    timeout=timeout, emit=emit)


def _session(url: str, kind: str, payload: dict[str, Any], until: str, *, token: str | None,
             timeout: float, emit: Emit) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        with connect(ws_url(url), additional_headers=headers, open_timeout=10,
                     max_size=64 * 1024 * 1024) as ws:
            ws.send(json.dumps({"type": kind, "payload": payload}))
            return _follow(ws, until, time.monotonic() + timeout, timeout, emit)
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status in (401, 403):
            raise Unauthorized(f"the agent at {url} refused the connection (HTTP {status}); "
                               "give the right token with --token or PRAXIS_TOKEN") from None
        raise Unavailable(f"the agent at {url} answered HTTP {status} to the WebSocket "
                          "handshake") from None
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        raise Unavailable(f"cannot reach the agent at {url}: {describe(exc)}") from None
    except ConnectionClosed as exc:
        raise Unavailable(f"the agent at {url} closed the connection: {describe(exc)}") from None


def _follow(ws: Any, until: str, deadline: float, timeout: float, emit: Emit
            ) -> dict[str, Any]:
    run_id: str | None = None
    tools: dict[str, str] = {}
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout(f"no result after {timeout:g}s; the run goes on in the agent"
                          + (f" (workflow {run_id})" if run_id else ""))
        try:
            frame = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            continue
        kind, payload = frame.get("type"), frame.get("payload") or {}
        if kind == until:
            return payload
        if kind == "error":
            raise from_dict(payload)
        if kind == "dslProgress":
            run_id = payload.get("workflowId") or run_id
            emit(f"[{payload.get('stage')}] {payload.get('message')}")
            for line in str(payload.get("plan") or "").splitlines():
                emit(f"    {line}")
            for problem in payload.get("problems") or []:
                emit(f"    - {problem.get('message')}")
        elif run_id is not None and payload.get("workflowId") == run_id:
            _event(kind, payload, tools, emit)


def _event(kind: str, payload: dict[str, Any], tools: dict[str, str], emit: Emit) -> None:
    if kind == "workflowStart":
        tools.update({str(n["id"]): str(n.get("tool")) for n in payload.get("nodes") or []})
    elif kind == "nodeStatusUpdate":
        node = str(payload.get("nodeId"))
        attempt = f" (attempt {payload['attempt']})" if payload.get("attempt") else ""
        emit(f"  {node} {tools.get(node, '')}: {payload.get('status')}{attempt}")
    elif kind == "workflowLog":
        emit(f"  {payload.get('level')}: {payload.get('message')}")


def failure_message(result: dict[str, Any]) -> str:
    """One line for a failed `dslResult`, listing every problem of bad input."""
    error = result.get("error") or {}
    if not isinstance(error, dict):
        return str(error)
    problems = (error.get("details") or {}).get("problems") or []
    if len(problems) > 1:
        parts = [f"line {p['line']}: {p['message']}" if p.get("line") else str(p.get("message"))
                 for p in problems]
        return f"{len(problems)} problems: " + "; ".join(parts)
    return str(error.get("message") or "the workflow failed")


__all__ = ["PraxisError", "ask_remote", "failure_message", "run_remote", "ws_url"]
