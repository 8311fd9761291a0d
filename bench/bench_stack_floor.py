"""The floor of the agent's design under a remote tool call, with no Praxis logic. JSON out.

    .venv/bin/python bench/bench_stack_floor.py [--calls 500] [--rounds 3] [--size 200]
                                                [--wrk SECONDS]
                                                [--tools async,thread,trio-async,...]

The design fixes the shape a remote call runs through: each agent serves HTTP from an
asyncio loop (uvicorn, with uvloop and httptools here), and runs its py-libp2p host
(trio only) in a trio thread of its own, reached through `praxis_sdk.p2p.bridge`. This
script builds that shape from the same parts and nothing else, in two processes:

- `B`: the bridge and a py-libp2p host with `praxis_sdk.p2p.fastpath` (Noise, yamux, one
  long-lived stream, as `/praxis/tool/2.0.0` uses it); each line read is answered as is
  on B's asyncio loop (`bridge.to_asyncio`), by an `async` function (`async`) or by a
  plain one in a `ToolThreads` worker (`thread`, how a plain Python tool runs);
- `A`: the same host and bridge, plus uvicorn serving a bare ASGI app: `POST /call`
  hands its body to the trio thread (`bridge.hand`), which writes it on the stream to B
  and settles the call with B's answer.

`trio-async` and `trio-thread` build the other design one could choose: one thread, one
trio loop per process, no asyncio and no bridge. A serves HTTP with h11 on a trio socket
in the host's own loop; B answers in that loop, or in a `trio.to_thread` worker.
`trio-hypercorn` is `trio-thread` with a real ASGI server on A: Hypercorn's trio worker
serving the same bare ASGI app as uvicorn does in the first design (the `bench` extra).

No catalog, no pydantic, no events, no metrics, no records: what is measured is what
each design costs before the agent does any work of its own.

For each kind, interleaved over `--rounds` (one pair of processes a round):

- `p2p_p50_us`: serial calls started on A's loop (what `bench_p2p.py` times inside node
  A: asyncio -> trio -> B's trio -> B's asyncio -> back);
- `http_p50_us`: serial `POST /call` on A from a keep-alive h11 client (what
  `bench_p2p_agents.py` times as "remote, h11");
- `cpu_us_per_call` / `user_us_per_call`: CPU of A and B (all threads; user + system,
  and user alone; from /proc in 10 ms steps) per serial HTTP call;
- `inflight` (`--wrk SECONDS`, default 3; 0 for none): `wrk` with 64 connections on
  `POST /call`: calls/s and the CPU of A and B a call with every thread kept busy (what
  `bench_p2p_agents.py` reports under `inflight`).

Compare with `bench_p2p.py` and `bench_p2p_agents.py` taken in the same minutes: this
machine's CPU speed drifts by up to 2x (`bench/cpu_drift.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import multiaddr
import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
from bench.bench_p2p_agents import BareClient  # noqa: E402
from bench.bench_p2p_floor import (  # noqa: E402
    PROTOCOL,
    build_host,
    names_from,
    quicken,
)
from bench.procstat import cpu_split  # noqa: E402
from bench.wrk import lua_file, post_lua, wrk, wrk_cpu  # noqa: E402
from praxis_sdk.api.server import run_loop  # noqa: E402
from praxis_sdk.p2p.bridge import Handoff, TrioBridge  # noqa: E402
from praxis_sdk.tools.engines.threads import ToolThreads  # noqa: E402

TOOLS = ("async", "thread", "trio-async", "trio-thread", "trio-hypercorn")
DEFAULT_TOOLS = ["async", "thread"]
NO_HYPERCORN = ("trio-hypercorn needs Hypercorn (the 'bench' extra): "
                ".venv/bin/pip install -c constraints.txt -e '.[bench]'")
LISTEN = multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")


def lines(buffer: bytearray, data: bytes) -> list[bytes]:
    """Append `data` to `buffer`; take out and return every whole line now in it."""
    buffer += data
    out = []
    while (cut := buffer.find(b"\n")) >= 0:
        out.append(bytes(buffer[:cut + 1]))
        del buffer[:cut + 1]
    return out


# ---- B: answers each line on its asyncio loop ---------------------------------------------


async def answer(line: bytes) -> bytes:
    return line


def answer_blocking(line: bytes) -> bytes:
    return line


async def answer_lines(respond: Callable[[bytes], Awaitable[bytes]], stream: Any) -> None:
    """Trio: answer each line B reads on `stream` with `await respond(line)`, until A goes."""
    quicken(stream)
    buffer = bytearray()
    try:
        while data := await stream.read(65536):
            for line in lines(buffer, data):
                await stream.write(await respond(line))
    except Exception:  # A went away
        return


def print_address(host: Any) -> None:
    print(json.dumps({"addr": f"{host.get_addrs()[0]}/p2p/{host.get_id()}"}), flush=True)


async def serve_b(threaded: bool) -> None:
    bridge = TrioBridge("floor-b")
    threads = ToolThreads()

    async def answer_in_thread(line: bytes) -> bytes:
        value = await threads.run(functools.partial(answer_blocking, line))
        return value  # type: ignore[no-any-return]

    respond = answer_in_thread if threaded else answer

    async def across(line: bytes) -> bytes:  # trio -> B's asyncio loop -> trio
        return await bridge.to_asyncio(respond, line)

    async def main(bridge: TrioBridge) -> None:
        host = build_host(fastpath=True)
        async with host.run(listen_addrs=[LISTEN]):
            host.set_stream_handler(PROTOCOL, functools.partial(answer_lines, across))
            print_address(host)
            bridge.ready()
            await bridge.wait_stop()

    await bridge.start(main, timeout=30)
    await asyncio.Event().wait()


async def serve_b_trio(threaded: bool) -> None:
    """B of the one-thread design: each line answered in the trio loop itself, or by a
    plain function in a `trio.to_thread` worker; no asyncio, no bridge."""

    async def in_thread(line: bytes) -> bytes:
        return await trio.to_thread.run_sync(answer_blocking, line)

    host = build_host(fastpath=True)
    async with host.run(listen_addrs=[LISTEN]):
        host.set_stream_handler(PROTOCOL, functools.partial(
            answer_lines, in_thread if threaded else answer))
        print_address(host)
        await trio.sleep_forever()


# ---- A: HTTP in, the stream to B out ------------------------------------------------------


class Caller:
    """Trio: one long-lived stream to B; answers come back in the order lines went out."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.waiting: collections.deque[Handoff[bytes]] = collections.deque()
        self.outbox: collections.deque[bytes] = collections.deque()
        self.wake = trio.Event()

    def start(self, handoff: Handoff[bytes], line: bytes) -> None:
        """`bridge.hand` target: queue the line for the writer, no task per call."""
        self.waiting.append(handoff)
        self.outbox.append(line)
        self.wake.set()

    async def writer(self) -> None:
        while True:
            await self.wake.wait()
            self.wake = trio.Event()
            batch = b"".join(self.outbox)
            self.outbox.clear()
            await self.stream.write(batch)

    async def reader(self) -> None:
        buffer = bytearray()
        while data := await self.stream.read(65536):
            for line in lines(buffer, data):
                self.waiting.popleft().resolve(line)


async def serve_a(b_addr: str) -> None:
    import uvicorn

    bridge = TrioBridge("floor-a")
    callers: list[Caller] = []

    async def main(bridge: TrioBridge) -> None:
        host = build_host(fastpath=True)
        async with host.run(listen_addrs=[LISTEN]):
            caller = Caller(await stream_to(host, b_addr))
            callers.append(caller)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(caller.reader)
                nursery.start_soon(caller.writer)
                bridge.ready()
                await bridge.wait_stop()
                nursery.cancel_scope.cancel()

    await bridge.start(main, timeout=30)
    caller = callers[0]

    async def call(line: bytes) -> bytes:
        return await bridge.hand(caller.start, line)  # type: ignore[no-any-return]

    app = caller_app(call)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn serves
    config = uvicorn.Config(app, lifespan="off", log_level="warning", http="httptools",
                            access_log=False)
    server = uvicorn.Server(config)
    print(json.dumps({"http": f"http://127.0.0.1:{sock.getsockname()[1]}"}), flush=True)
    await server.serve(sockets=[sock])


async def stream_to(host: Any, b_addr: str) -> Any:
    """Trio: A's one long-lived stream to B (at `b_addr`, a multiaddr with /p2p/)."""
    from libp2p.peer.peerinfo import info_from_p2p_addr

    info = info_from_p2p_addr(multiaddr.Multiaddr(b_addr))
    await host.connect(info)
    stream = await host.new_stream(info.peer_id, [PROTOCOL])
    quicken(stream)
    return stream


def caller_app(call: Callable[[bytes], Awaitable[bytes]]) -> Any:
    """A's bare ASGI app: `POST /call` sends its body to B as one line; `/p2p-serial`
    times serial calls from A's own loop (the body is the number of calls)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # Hypercorn asks; there is nothing to set up
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/p2p-serial":
            await respond(send, json.dumps(await p2p_serial(call, int(body))).encode())
            return
        await respond(send, await call(body + b"\n"))

    return app


class TrioCaller:
    """Trio: one long-lived stream to B, for callers in the same trio loop."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.waiting: collections.deque[tuple[trio.Event, list[bytes]]] = collections.deque()

    async def call(self, line: bytes) -> bytes:
        done, answer_box = trio.Event(), []
        self.waiting.append((done, answer_box))
        await self.stream.write(line)
        await done.wait()
        return answer_box[0]

    async def reader(self) -> None:
        buffer = bytearray()
        while data := await self.stream.read(65536):
            for line in lines(buffer, data):
                done, answer_box = self.waiting.popleft()
                answer_box.append(line)
                done.set()


async def serve_a_trio(b_addr: str) -> None:
    """A of the one-thread design: h11 on a trio socket in the host's own trio loop."""
    import h11

    host = build_host(fastpath=True)
    async with host.run(listen_addrs=[LISTEN]), trio.open_nursery() as nursery:
        caller = TrioCaller(await stream_to(host, b_addr))
        nursery.start_soon(caller.reader)

        async def serve(conn: trio.SocketStream) -> None:
            try:
                await serve_http(conn)
            except (trio.BrokenResourceError, h11.ProtocolError):  # the client went away
                return

        async def serve_http(conn: trio.SocketStream) -> None:
            http = h11.Connection(h11.SERVER)
            body = b""
            while True:
                event = http.next_event()
                if event is h11.NEED_DATA:
                    if not (data := await conn.receive_some(65536)):
                        return
                    http.receive_data(data)
                elif isinstance(event, h11.Request):
                    target, body = event.target, b""
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    if target == b"/p2p-serial":  # the body is the number of calls
                        out = json.dumps(await p2p_serial(caller.call, int(body))).encode()
                    else:
                        out = await caller.call(body + b"\n")
                    headers = [("content-type", "application/json"),
                               ("content-length", str(len(out)))]
                    await conn.send_all(http.send(h11.Response(status_code=200,
                                                               headers=headers))
                                        + http.send(h11.Data(data=out))
                                        + http.send(h11.EndOfMessage()))
                    http.start_next_cycle()
                else:
                    return

        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        print(json.dumps({"http": f"http://127.0.0.1:{port}"}), flush=True)
        await trio.serve_listeners(serve, listeners)


async def serve_a_hypercorn(b_addr: str) -> None:
    """A of the one-thread design with a real ASGI server on trio: Hypercorn's trio
    worker serving the bare app, in the libp2p host's own loop."""
    try:
        from hypercorn.config import Config
        from hypercorn.trio import serve
    except ImportError:
        raise SystemExit(NO_HYPERCORN) from None

    host = build_host(fastpath=True)
    async with host.run(listen_addrs=[LISTEN]), trio.open_nursery() as nursery:
        caller = TrioCaller(await stream_to(host, b_addr))
        nursery.start_soon(caller.reader)
        config = Config()
        config.bind = ["127.0.0.1:0"]
        config.accesslog = config.errorlog = None
        binds = await nursery.start(functools.partial(serve, caller_app(caller.call), config))
        print(json.dumps({"http": binds[0]}), flush=True)


async def respond(send: Any, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def p2p_serial(call: Any, calls: int) -> dict[str, float]:
    line = b'{"x": "' + b"x" * 180 + b'"}\n'
    for _ in range(50):
        await call(line)
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await call(line)
        times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return {"p50_us": round(statistics.median(times), 1),
            "p99_us": round(times[int(calls * 0.99) - 1], 1)}


# ---- the driver ---------------------------------------------------------------------------


def spawn(*args: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE,
                            env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"{args[0]} did not start")
    return proc, json.loads(line)


def http_serial(url: str, calls: int, body: bytes, pids: tuple[int, int]) -> dict[str, Any]:
    client = BareClient(url)
    for _ in range(50):
        client.post("/call", body)
    times = []
    before = [cpu_split(pid) for pid in pids]
    for _ in range(calls):
        started = time.perf_counter()
        status, data = client.post("/call", body)
        times.append((time.perf_counter() - started) * 1e6)
        assert status == 200 and data == body + b"\n", data
    spent = [[(now - then) / calls * 1e6 for now, then in zip(cpu_split(pid), was, strict=True)]
             for pid, was in zip(pids, before, strict=True)]
    client.close()
    times.sort()
    sides = dict(zip("ab", spent, strict=True))
    return {"http_p50_us": round(statistics.median(times), 1),
            "http_p99_us": round(times[int(calls * 0.99) - 1], 1),
            "cpu_us_per_call": {side: round(sum(cpu)) for side, cpu in sides.items()},
            "user_us_per_call": {side: round(cpu[0]) for side, cpu in sides.items()}}


def http_inflight(url: str, body: bytes, seconds: float, pids: tuple[int, int]
                  ) -> dict[str, Any]:
    """`wrk` with 64 connections on `POST /call`: calls/s and the CPU of A and B a call,
    with every thread kept busy (what `bench_p2p_agents.py` reports as `inflight`)."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk not installed (apt-get install -y wrk)"}
    with lua_file(post_lua(json.dumps(body.decode()))) as script:
        wrk(url + "/call", 64, 1, script)  # warm-up
        out = wrk_cpu(url + "/call", 64, seconds, script, dict(zip("ab", pids, strict=True)))
    return {"calls_per_s": out["requests_per_s"], "cpu_us_per_call": out["cpu_us_per_call"]}


def one_round(calls: int, size: int, tool: str, wrk_seconds: float) -> dict[str, Any]:
    body = json.dumps({"x": "x" * (size - 10)}).encode()
    b, b_info = spawn("--serve-b", tool)
    try:
        a_flag = {"trio-hypercorn": "--serve-a-hypercorn"}.get(
            tool, "--serve-a-trio" if tool.startswith("trio-") else "--serve-a")
        a, a_info = spawn(a_flag, b_info["addr"])
        try:
            out = http_serial(a_info["http"], calls, body, (a.pid, b.pid))
            client = BareClient(a_info["http"])
            p2p = json.loads(client.post("/p2p-serial", str(calls).encode())[1])
            client.close()
            if wrk_seconds:
                out["inflight"] = http_inflight(a_info["http"], body, wrk_seconds,
                                                (a.pid, b.pid))
            return {"p2p_p50_us": p2p["p50_us"], "p2p_p99_us": p2p["p99_us"], **out,
                    "load": [round(x, 2) for x in os.getloadavg()]}
        finally:
            a.terminate()
            a.wait(10)
    finally:
        b.terminate()
        b.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--tools", type=names_from(TOOLS), default=DEFAULT_TOOLS,
                        help="comma-separated, from: " + ", ".join(TOOLS))
    parser.add_argument("--wrk", type=float, default=3.0, metavar="SECONDS",
                        help="wrk run on POST /call after the serial calls (0: none)")
    parser.add_argument("--serve-b", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--serve-a", metavar="ADDR", help=argparse.SUPPRESS)
    parser.add_argument("--serve-a-trio", metavar="ADDR", help=argparse.SUPPRESS)
    parser.add_argument("--serve-a-hypercorn", metavar="ADDR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_a_hypercorn:
        trio.run(serve_a_hypercorn, args.serve_a_hypercorn)
    elif args.serve_b in ("trio-async", "trio-thread", "trio-hypercorn"):
        trio.run(serve_b_trio, args.serve_b != "trio-async")
    elif args.serve_b:
        run_loop(serve_b(args.serve_b == "thread"))
    elif args.serve_a_trio:
        trio.run(serve_a_trio, args.serve_a_trio)
    elif args.serve_a:
        run_loop(serve_a(args.serve_a))
    else:
        measure(args)


def measure(args: argparse.Namespace) -> None:
    if "trio-hypercorn" in args.tools and importlib.util.find_spec("hypercorn") is None:
        raise SystemExit(NO_HYPERCORN)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in args.tools}
    for _ in range(args.rounds):  # interleaved: each kind sees the same CPU drift
        for name in args.tools:
            rounds[name].append(one_round(args.calls, args.size, name, args.wrk))
    report = {name: {key: statistics.median(r[key] for r in runs)
                     for key in ("p2p_p50_us", "http_p50_us")} | {"rounds": runs}
              for name, runs in rounds.items()}
    print(json.dumps({**report, "targets_us": {"p2p_p50_us": 1000, "http_p50_us": 2000}},
                     indent=2))


if __name__ == "__main__":
    main()
