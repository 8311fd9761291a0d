"""Stage timestamps inside an agent process, for `bench_p2p_agents.py --stages`.

Loaded only when this folder is on PYTHONPATH and `PRAXIS_STAGES_OUT` names a file:
it wraps the functions a tool call passes through (HTTP in and out, the catalog, the
bridge crossings, the pipelined stream, yamux and the socket) so that each appends
`(time.perf_counter_ns(), stage)` to a list; the list is written to
`PRAXIS_STAGES_OUT` (JSON) whenever the file `PRAXIS_STAGES_OUT + ".dump"` exists.
`perf_counter_ns` is CLOCK_MONOTONIC on Linux, one clock for every process, so the
stages of both agents line up on one time axis. A diagnostic, never product code.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from typing import Any

EVENTS: list[tuple[int, str]] = []
_now = time.perf_counter_ns


def _around(owner: Any, name: str, stage: str) -> None:
    """Mark entry (`stage>`) and exit (`stage<`) of an async function."""
    fn = getattr(owner, name)

    @functools.wraps(fn)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        EVENTS.append((_now(), stage + ">"))
        try:
            return await fn(*args, **kwargs)
        finally:
            EVENTS.append((_now(), stage + "<"))

    setattr(owner, name, wrapped)


def _at(owner: Any, name: str, stage: str) -> None:
    """Mark each call of a plain function."""
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        EVENTS.append((_now(), stage))
        return fn(*args, **kwargs)

    setattr(owner, name, wrapped)


def _install() -> None:
    import anyio.to_thread
    import trio
    from uvicorn.protocols.http import httptools_impl

    from praxis_sdk.p2p import bridge, pipeline
    from praxis_sdk.p2p.calls import Calls
    from praxis_sdk.p2p.fastpath import CoalescingYamux
    from praxis_sdk.p2p.inbound import InboundHandlers
    from praxis_sdk.p2p.protocols import LineStream
    from praxis_sdk.p2p.service import P2PService
    from praxis_sdk.tools.catalog import ToolCatalog
    from praxis_sdk.tools.engines.python import PythonEngine

    _at(httptools_impl.HttpToolsProtocol, "data_received", "http: request bytes in")
    send = httptools_impl.RequestResponseCycle.send

    async def http_send(self: Any, message: Any) -> None:
        await send(self, message)
        if message["type"] == "http.response.body":
            EVENTS.append((_now(), "http: response written"))

    httptools_impl.RequestResponseCycle.send = http_send
    _around(ToolCatalog, "invoke", "catalog.invoke")
    _around(PythonEngine, "run", "python engine")
    _around(P2PService, "call_tool", "P2PService.call_tool")
    _at(bridge, "_start", "bridge: call starts in trio")
    _at(bridge, "settle", "bridge: answer settles in asyncio")
    _around(bridge.TrioBridge, "to_asyncio", "bridge.to_asyncio")
    _at(bridge.TrioBridge, "_start_task", "bridge: handler starts in asyncio")
    _at(bridge.TrioBridge, "_task_done", "bridge: handler done in asyncio")
    _around(Calls, "call_tool", "Calls.call_tool")
    _at(Calls, "hand_tool", "Calls.hand_tool")
    _around(pipeline.Pipe, "_flush", "Pipe._flush")
    _around(pipeline.Outbox, "send", "Outbox.send")
    _around(CoalescingYamux, "_flush", "yamux flush")
    _around(InboundHandlers, "tool", "InboundHandlers.tool")
    read_value = LineStream.read_value

    async def line_read(self: Any, timeout: float) -> Any:
        value = await read_value(self, timeout)
        EVENTS.append((_now(), f"line read {self.protocol}"))
        return value

    LineStream.read_value = line_read
    send_all = trio.SocketStream.send_all

    async def socket_send(self: Any, data: Any) -> None:
        EVENTS.append((_now(), "socket send>"))
        await send_all(self, data)
        EVENTS.append((_now(), "socket send<"))

    trio.SocketStream.send_all = socket_send
    receive_some = trio.SocketStream.receive_some

    async def socket_receive(self: Any, max_bytes: int | None = None) -> Any:
        data = await receive_some(self, max_bytes)
        EVENTS.append((_now(), "socket receive"))
        return data

    trio.SocketStream.receive_some = socket_receive
    run_sync = anyio.to_thread.run_sync

    async def to_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
        def marked(*inner: Any) -> Any:
            EVENTS.append((_now(), "worker thread runs the tool"))
            return fn(*inner)
        EVENTS.append((_now(), "to_thread>"))
        try:
            return await run_sync(marked, *args, **kwargs)
        finally:
            EVENTS.append((_now(), "to_thread<"))

    anyio.to_thread.run_sync = to_thread


def _dump_when_asked(out: str) -> None:
    while True:
        time.sleep(0.2)
        if os.path.exists(out + ".dump"):
            with open(out + ".tmp", "w") as f:
                json.dump(EVENTS, f)
            os.replace(out + ".tmp", out)
            os.remove(out + ".dump")


if os.environ.get("PRAXIS_STAGES_OUT"):
    _install()
    threading.Thread(target=_dump_when_asked, args=(os.environ["PRAXIS_STAGES_OUT"],),
                     daemon=True).start()
