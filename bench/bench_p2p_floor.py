"""The floor under a Praxis P2P call: echo between two processes, no Praxis code. JSON out.

    .venv/bin/python bench/bench_p2p_floor.py [--calls 500] [--inflight 32] [--size 200]
                                              [--rounds 3] [--transports tcp,libp2p]

A server process echoes every byte it reads; this process is the client. Each message is
`--size` bytes (about a Praxis tool request or answer). For each transport, interleaved
over `--rounds`, the client measures:

- `p50_us` / `p99_us`: serial round trips on one open stream;
- `calls_per_s`: `--inflight` round trips open at a time on that one stream (each
  waits for its own echo, as the pipelined `/praxis/tool/2.0.0` stream does);
- `client_cpu_us_per_call` / `server_cpu_us_per_call`: the client's / the echo server's
  process CPU time per call, serial and in flight (compare with `caller_cpu_us_per_call`
  / `callee_cpu_us_per_call` of `bench_p2p.py`; the server's from /proc, in 10 ms steps).

Transports:
- `tcp`: a trio TCP socket, nothing else (the Python + trio floor of this machine);
- `libp2p`: py-libp2p as shipped (Noise + yamux, one stream, no Praxis code);
- `libp2p_fastpath`: the same with `praxis_sdk.p2p.fastpath` (coalesced yamux writes,
  read-ahead under Noise, locks without scheduling turns) on both sides, which is how a
  Praxis node runs it;
- `libp2p_new_stream`: serial only, a new stream with multistream-select per call
  (what `/praxis/tool/1.0.0` costs at least).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import multiaddr
import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
from bench.procstat import cpu_seconds  # noqa: E402

PROTOCOL = "/praxis-bench/echo/1.0.0"
TRANSPORTS = ("tcp", "libp2p", "libp2p_fastpath")


def build_host(fastpath: bool) -> Any:
    """A py-libp2p host with Noise and yamux, as `praxis_sdk.p2p.host` builds it."""
    from libp2p import create_yamux_muxer_option, new_host
    from libp2p.crypto.ed25519 import create_new_key_pair
    from libp2p.crypto.x25519 import create_new_key_pair as new_x25519_pair
    from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_ID
    from libp2p.security.noise.transport import Transport as NoiseTransport

    key_pair = create_new_key_pair()
    noise = NoiseTransport(key_pair, noise_privkey=new_x25519_pair().private_key)
    host = new_host(key_pair=key_pair, sec_opt={NOISE_ID: noise},
                    muxer_opt=create_yamux_muxer_option())
    if fastpath:
        from praxis_sdk.p2p import fastpath as praxis_fastpath
        assert praxis_fastpath.install(host.get_network())
    return host


def quicken(stream: Any) -> None:
    """What the node's `LineStream` does to its streams (fastpath connections only)."""
    from praxis_sdk.p2p import fastpath as praxis_fastpath
    if hasattr(praxis_fastpath, "quicken_stream"):
        praxis_fastpath.quicken_stream(stream)


# ---- server ------------------------------------------------------------------------------


async def echo(stream: Any) -> None:
    quicken(stream)
    try:
        while data := await stream.read(65536):
            await stream.write(data)
    except Exception:  # the client went away
        return


async def serve(transport: str) -> None:
    if transport == "tcp":
        async def on_tcp(sock: trio.SocketStream) -> None:
            try:
                while data := await sock.receive_some(65536):
                    await sock.send_all(data)
            except trio.BrokenResourceError:
                return
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(
                functools.partial(trio.serve_tcp, on_tcp, 0, host="127.0.0.1"))
            port = listeners[0].socket.getsockname()[1]
            print(json.dumps({"addr": f"127.0.0.1:{port}"}), flush=True)
        return
    host = build_host(transport == "libp2p_fastpath")
    listen = multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")
    async with host.run(listen_addrs=[listen]):
        host.set_stream_handler(PROTOCOL, echo)
        addr = f"{host.get_addrs()[0]}"
        if "/p2p/" not in addr:
            addr += f"/p2p/{host.get_id()}"
        print(json.dumps({"addr": addr}), flush=True)
        await trio.sleep_forever()


# ---- client ------------------------------------------------------------------------------


class Echoes:
    """Round trips on one byte stream: answers come back in the order requests went out."""

    def __init__(self, write: Any, read: Any, size: int) -> None:
        self.write, self.read, self.size = write, read, size
        self.message = b"x" * (size - 1) + b"\n"
        self.lock = trio.Lock()
        self.waiting: deque[trio.Event] = deque()
        self.received = 0

    async def reader(self) -> None:
        while data := await self.read(65536):
            self.received += len(data)
            while self.received >= self.size:
                self.received -= self.size
                self.waiting.popleft().set()

    async def call(self) -> None:
        done = trio.Event()
        async with self.lock:  # the order of the writes is the order of the answers
            self.waiting.append(done)
            await self.write(self.message)
        await done.wait()


async def measure(echoes: Echoes, calls: int, inflight: int, server: int) -> dict[str, Any]:
    for _ in range(50):
        await echoes.call()
    times = []
    cpu, server_cpu = time.process_time(), cpu_seconds(server)
    for _ in range(calls):
        started = time.perf_counter()
        await echoes.call()
        times.append((time.perf_counter() - started) * 1e6)
    serial_cpu = (time.process_time() - cpu) / calls * 1e6
    serial_server = (cpu_seconds(server) - server_cpu) / calls * 1e6
    times.sort()
    total = calls * 4
    slots = trio.Semaphore(inflight)

    async def one() -> None:
        async with slots:
            await echoes.call()

    started, cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(server)
    async with trio.open_nursery() as nursery:
        for _ in range(total):
            await slots.acquire()
            slots.release()
            nursery.start_soon(one)
    elapsed = time.perf_counter() - started
    return {"p50_us": round(statistics.median(times), 1),
            "p99_us": round(times[int(calls * 0.99) - 1], 1),
            "calls_per_s": round(total / elapsed), "inflight": inflight,
            "client_cpu_us_per_call": {
                "serial": round(serial_cpu, 1),
                "inflight": round((time.process_time() - cpu) / total * 1e6, 1)},
            "server_cpu_us_per_call": {
                "serial": round(serial_server, 1),
                "inflight": round((cpu_seconds(server) - server_cpu) / total * 1e6, 1)},
            "load": [round(x, 2) for x in os.getloadavg()]}


async def client(transport: str, addr: str, calls: int, inflight: int, size: int,
                 server: int) -> dict[str, Any]:
    if transport == "tcp":
        ip, port = addr.split(":")
        sock = await trio.open_tcp_stream(ip, int(port))
        echoes = Echoes(sock.send_all, sock.receive_some, size)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(echoes.reader)
            out = await measure(echoes, calls, inflight, server)
            nursery.cancel_scope.cancel()
        return out
    from libp2p.peer.peerinfo import info_from_p2p_addr

    host = build_host(transport == "libp2p_fastpath")
    async with host.run(listen_addrs=[multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
        await host.connect(info)
        stream = await host.new_stream(info.peer_id, [PROTOCOL])
        quicken(stream)
        echoes = Echoes(stream.write, stream.read, size)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(echoes.reader)
            out = await measure(echoes, calls, inflight, server)
            nursery.cancel_scope.cancel()
        if transport == "libp2p":
            out["new_stream_per_call"] = await new_streams(host, info.peer_id, calls, size)
        return out


async def new_streams(host: Any, peer_id: Any, calls: int, size: int) -> dict[str, Any]:
    """Serial calls, each on a new stream (multistream-select, write, read, close)."""
    message = b"y" * (size - 1) + b"\n"
    times = []
    for index in range(calls + 20):
        started = time.perf_counter()
        stream = await host.new_stream(peer_id, [PROTOCOL])
        await stream.write(message)
        got = 0
        while got < size:
            got += len(await stream.read(65536))
        await stream.close()
        if index >= 20:
            times.append((time.perf_counter() - started) * 1e6)
    times.sort()
    return {"p50_us": round(statistics.median(times), 1),
            "p99_us": round(times[int(calls * 0.99) - 1], 1)}


def one_round(transport: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen([sys.executable, __file__, "--serve", transport],
                              stdout=subprocess.PIPE, env=env)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            raise SystemExit(f"{transport} echo server did not start")
        addr = json.loads(line)["addr"]
        return trio.run(client, transport, addr, args.calls, args.inflight, args.size,
                        server.pid)
    finally:
        server.terminate()
        server.wait(10)


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str, part: str | None = None) -> float:
        values = [(r[part] if part else r)[key] for r in rounds]
        return round(statistics.median(values), 1)
    out = {"p50_us": median("p50_us"), "p99_us": median("p99_us"),
           "calls_per_s": median("calls_per_s"),
           **{f"{side}_cpu_us_per_call": {
               kind: round(statistics.median(r[f"{side}_cpu_us_per_call"][kind]
                                             for r in rounds), 1)
               for kind in ("serial", "inflight")} for side in ("client", "server")},
           "rounds": [{k: r[k] for k in ("p50_us", "calls_per_s", "load")} for r in rounds]}
    if "new_stream_per_call" in rounds[0]:
        out["new_stream_per_call"] = {"p50_us": median("p50_us", "new_stream_per_call"),
                                      "p99_us": median("p99_us", "new_stream_per_call")}
    return out


def names_from(choices: tuple[str, ...]) -> Any:
    """An argparse `type`: a comma-separated list of names, each one of `choices`."""
    def parse(text: str) -> list[str]:
        chosen = [name for name in text.split(",") if name]
        unknown = [name for name in chosen if name not in choices]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"{', '.join(unknown) or 'nothing'} given; choose from {', '.join(choices)}")
        return chosen
    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--inflight", type=int, default=32)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--transports", type=names_from(TRANSPORTS), default=TRANSPORTS,
                        help="comma-separated, from: " + ", ".join(TRANSPORTS))
    parser.add_argument("--serve", choices=TRANSPORTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        trio.run(serve, args.serve)
        return
    chosen = args.transports
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
    for _ in range(args.rounds):
        for transport in chosen:
            results[transport].append(one_round(transport, args))
    report = {name: summary(rounds) for name, rounds in results.items()}
    report["size_bytes"] = args.size
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
