"""One P2P node in its own process, for the integration tests and the benchmark.

Usage: python node_helper.py '<json options>'. Starts a `P2PService` with a few
in-process tools and an HTTP server (Starlette + uvicorn on a free port) serving
`GET /p2p/info` plus a small control API. Prints one JSON line
`{"http", "peer_id", "addresses"}` on stdout once both are up.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import logging
import pstats
import sys
import threading
import time
from collections import Counter
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from praxis_sdk.config import P2PConfig
from praxis_sdk.errors import PraxisError
from praxis_sdk.p2p.service import P2PService
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec


def schema(**props: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": v, "description": k}
                                             for k, v in props.items()},
            "required": list(props)}


def make_tools(name: str) -> dict[str, ToolSpec]:
    tools = [
        ToolSpec(name="echo", description="Returns its arguments",
                 input_schema=schema(text="string")),
        ToolSpec(name="add", description="Adds two numbers",
                 input_schema=schema(a="number", b="number")),
        ToolSpec(name="slow", description="Waits", input_schema=schema(seconds="number")),
        ToolSpec(name="fail", description="Always fails", input_schema=schema()),
        ToolSpec(name="secret", description="Local only", input_schema=schema(), expose=False),
        ToolSpec(name=f"only_{name.replace('-', '_')}", description="Unique to this node",
                 input_schema=schema()),
    ]
    return {tool.name: tool for tool in tools}


async def run_tool(agent: str, name: str, args: dict[str, Any]) -> ToolResult:
    started = time.perf_counter()
    common = {"tool": name, "provider": agent, "engine": "python"}
    if name == "echo":
        output = json.dumps({"echo": args.get("text"), "agent": agent})
    elif name == "add":
        output = json.dumps({"sum": float(args["a"]) + float(args["b"])})
    elif name == "slow":
        await asyncio.sleep(float(args.get("seconds", 1)))
        output = "done"
    elif name == "fail":
        return ToolResult.failure(code="tool_failed", message="fail always fails", **common)
    else:
        output = f"{name} ran on {agent}"
    return ToolResult.from_output(output=output, duration_ms=(time.perf_counter() - started) * 1000,
                                  **common)


async def main(options: dict[str, Any]) -> None:
    agent = options["name"]
    tools = make_tools(agent)
    events: list[dict[str, Any]] = []
    registry = CollectorRegistry()
    config = P2PConfig(**options.get("p2p", {}))

    async def invoke_local(name: str, args: dict[str, Any]) -> ToolResult:
        try:
            return await run_tool(agent, name, args)
        except asyncio.CancelledError:  # what a peer's call on this node left behind
            events.append({"type": "tool.cancelled", "tool": name, "at": time.time()})
            raise

    async def a2a(message: dict[str, Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": message.get("id"), "result": {"agent": agent,
                                                                       "echo": message}}

    service = P2PService(
        config, agent_name=agent, agent_version="0.1.0",
        local_tools=lambda: list(tools.values()), invoke_local=invoke_local,
        a2a_handler=a2a if options.get("a2a") else None,
        publish=lambda kind, payload: events.append({"type": kind, **payload, "at": time.time()}),
        endpoints={"http": "pending"}, registry=registry,
    )

    async def info(_: Request) -> JSONResponse:
        return JSONResponse(service.info())

    async def peers(_: Request) -> JSONResponse:
        return JSONResponse(service.peers())

    async def cards(_: Request) -> JSONResponse:
        return JSONResponse(service.cards())

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({**service.health(), "providers": {
            p.peer_id: {"name": p.name, "tools": [t.name for t in p.tools()]}
            for p in service.providers.values()}})

    async def get_events(_: Request) -> JSONResponse:
        return JSONResponse(events)

    async def cpu(_: Request) -> JSONResponse:
        return JSONResponse({"cpu_s": time.process_time()})  # all threads of this process

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type="text/plain")

    async def connect(request: Request) -> JSONResponse:
        body = await request.json()
        return await guarded(service.connect(body["target"], body.get("timeout")),
                             lambda pid: {"peer_id": pid})

    async def tool(request: Request) -> JSONResponse:
        body = await request.json()
        return await guarded(
            service.call_tool(body["peer_id"], body["tool_name"], body.get("arguments", {}),
                              body.get("timeout")), lambda r: r.model_dump())

    async def provider_call(request: Request) -> JSONResponse:
        body = await request.json()
        provider = next(p for p in service.providers.values() if p.name == body["provider"])
        spec = next(t for t in provider.tools() if t.name == body["tool_name"])
        return await guarded(provider.call(spec, body.get("arguments", {}), body.get("timeout")),
                             lambda r: r.model_dump())

    async def send_a2a(request: Request) -> JSONResponse:
        body = await request.json()
        return await guarded(service.send_a2a(body["peer_id"], body["request"]), lambda r: r)

    async def add_tool(request: Request) -> JSONResponse:
        body = await request.json()
        tools[body["name"]] = ToolSpec(name=body["name"], description="added later")
        service.notify_tools_changed()
        return JSONResponse({"ok": True})

    async def bench(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(await run_bench(service, body))

    sampler: list[Sampler] = []

    profiles: dict[str, Any] = {}

    async def cprofile(request: Request) -> JSONResponse:
        """cProfile both loops' threads (asyncio here, trio through the bridge)."""
        body = await request.json()
        if body.get("start"):
            profiles["asyncio"], profiles["trio"] = cProfile.Profile(), cProfile.Profile()
            profiles["asyncio"].enable()

            async def on_trio() -> None:
                profiles["trio"].enable()
            await service._bridge.call(on_trio)
            return JSONResponse({"ok": True})

        async def off_trio() -> None:
            profiles["trio"].disable()
        await service._bridge.call(off_trio)
        profiles["asyncio"].disable()
        out = {}
        for name in ("asyncio", "trio"):
            buffer = io.StringIO()
            pstats.Stats(profiles[name], stream=buffer).sort_stats(body.get("sort", "tottime")) \
                .print_stats(int(body.get("top", 25)))
            if body.get("callers"):
                pstats.Stats(profiles[name], stream=buffer).print_callers(body["callers"])
            out[name] = buffer.getvalue()
        return JSONResponse(out)

    async def profile(request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("start"):
            sampler[:] = [Sampler()]
            sampler[0].start()
            return JSONResponse({"ok": True})
        report = sampler[0].report() if sampler else {}
        if sampler:
            sampler[0]._stop.set()
        return JSONResponse(report)

    app = Starlette(routes=[
        Route("/p2p/info", info), Route("/peers", peers), Route("/p2p/cards", cards),
        Route("/health", health), Route("/events", get_events), Route("/metrics", metrics),
        Route("/cpu", cpu),
        Route("/p2p/connect", connect, methods=["POST"]),
        Route("/p2p/tool", tool, methods=["POST"]),
        Route("/provider/call", provider_call, methods=["POST"]),
        Route("/a2a", send_a2a, methods=["POST"]),
        Route("/tools/add", add_tool, methods=["POST"]),
        Route("/bench", bench, methods=["POST"]),
        Route("/profile", profile, methods=["POST"]),
        Route("/cprofile", cprofile, methods=["POST"]),
    ])
    server = uvicorn.Server(uvicorn.Config(app, host=options.get("http_host", "127.0.0.1"),
                                           port=0, log_level="warning", lifespan="off"))
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://{options.get('http_host', '127.0.0.1')}:{port}"
    service.endpoints["http"] = url
    start_at = time.time()
    await service.start()
    print(json.dumps({"http": url, "start_at": start_at, "ready_at": time.time(),
                      **service.info()}), flush=True)
    try:
        await serving
    finally:
        await service.stop()


class Sampler:
    """A tiny sampling profiler (all threads): where the node spends its time, for bench/."""

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval, self.inclusive, self.leaf, self.samples = interval, Counter(), Counter(), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                seen, top = set(), True
                current: Any = frame
                while current is not None:
                    code = current.f_code
                    key = f"{code.co_filename.split('site-packages/')[-1]}:{code.co_name}"
                    if top:
                        self.leaf[key] += 1
                        top = False
                    if key not in seen:
                        self.inclusive[key] += 1
                        seen.add(key)
                    current = current.f_back
            self.samples += 1

    def report(self) -> dict[str, Any]:
        idle = ("select.py", "epoll", "_io_epoll.py:get_events", "threading.py:wait",
                "base_events.py:_run_once")
        return {"samples": self.samples,
                "leaf": [(k, v) for k, v in self.leaf.most_common(40)
                         if not any(i in k for i in idle)][:25],
                "inclusive": self.inclusive.most_common(60)}


async def guarded(work: Any, shape: Any) -> JSONResponse:
    try:
        return JSONResponse(shape(await work))
    except PraxisError as exc:
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status)


async def run_bench(service: P2PService, body: dict[str, Any]) -> dict[str, Any]:
    """Round trips and throughput measured inside this process (no HTTP in the loop).

    `phases` (default all three: "warm", "serial", "inflight") runs only those, so the
    benchmark can read the callee's CPU time (`GET /cpu`) between them."""
    peer, n, inflight = body["peer_id"], int(body.get("n", 300)), int(body.get("inflight", 32))
    phases = body.get("phases", ["warm", "serial", "inflight"])
    out: dict[str, Any] = {}
    if "warm" in phases:
        for _ in range(20):
            await service.call_tool(peer, "echo", {"text": "warm"}, 10)
    if "serial" in phases:
        out.update(await _serial(service, peer, n))
    if "inflight" in phases:
        out.update(await _inflight(service, peer, n * 2, inflight))
    return out


async def _serial(service: P2PService, peer: str, n: int) -> dict[str, Any]:
    latencies = []
    cpu = time.process_time()  # all threads of this process: less moved by other load
    for _ in range(n):
        started = time.perf_counter()
        result = await service.call_tool(peer, "echo", {"text": "x"}, 10)
        latencies.append((time.perf_counter() - started) * 1000)
        assert result.ok, result
    serial_cpu = time.process_time() - cpu
    latencies.sort()
    return {"calls": n, "p50_ms": latencies[n // 2], "p99_ms": latencies[int(n * 0.99) - 1],
            "caller_cpu_us_per_call": {"serial": serial_cpu / n * 1e6}}


async def _inflight(service: P2PService, peer: str, total: int, inflight: int
                    ) -> dict[str, Any]:
    semaphore = asyncio.Semaphore(inflight)

    async def one() -> None:
        async with semaphore:
            assert (await service.call_tool(peer, "echo", {"text": "y"}, 30)).ok

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one() for _ in range(total)))
    elapsed = time.perf_counter() - started
    return {"throughput_calls": total, "inflight": inflight,
            "throughput_per_s": total / elapsed,
            "caller_cpu_us_per_call": {"inflight": (time.process_time() - cpu) / total * 1e6}}


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    logging.getLogger("praxis_sdk").setLevel(logging.INFO)
    if "SWITCH" in __import__("os").environ:
        sys.setswitchinterval(float(__import__("os").environ["SWITCH"]))
    asyncio.run(main(json.loads(sys.argv[1])))
