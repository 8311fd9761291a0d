"""A remote tool call through agent A's HTTP API, two agent processes, Noise on. JSON out.

    .venv/bin/python bench/bench_p2p_agents.py [--calls 500] [--seconds 8] [--inflight 64]
                                               [--rounds 1] [--baseline-src DIR]
                                               [--profile DIR]

Agent B has an `engine: python` echo tool that A has not; A bootstraps to B over
libp2p (Noise + yamux on loopback). Measured the way a user calls it, with a
keep-alive client on A's HTTP API, interleaved in one run:

- serial: p50/p99 of `POST /tools/b_echo@agent-b/invoke` on A (remote) against the
  same tool local on A (`POST /tools/a_echo/invoke`, the HTTP stack without the hop),
  each with two keep-alive clients: `httpx` and `h11` (a bare h11 connection on one
  socket: what is left when the client costs next to nothing);
- `cpu_us_per_call`: CPU time (all threads) of agent A and agent B per serial call,
  remote and local (h11 client): a figure the machine's load moves much less;
- throughput: `wrk` with `--inflight` connections on the same two URLs (remote, local),
  with the CPU each agent spent per call meanwhile; `--rounds N` runs it N times per pair,
  the pairs taking turns, and reports the median;
- each figure with the `uptime` load averages at the time it was taken;
- `--baseline-src DIR`: a second pair of agents runs the `praxis_sdk` in DIR (for
  example `git archive <rev> src | tar -x -C DIR`); every figure is then taken for
  both pairs, one right after the other;
- `--profile DIR`: py-spy samples (raw, collapsed stacks) of both agents during a
  serial run, and in `DIR/inflight` during `wrk`; `bench/profile_shares.py FILE` turns
  one into shares of busy samples;
- `--syscalls`: system calls per remote call in A and in B (`strace -c` during a serial
  run): a figure that does not depend on how busy the machine is;
- `--stages N`: a third pair runs with `bench/stages/` on PYTHONPATH, which timestamps
  each stage of a call in both agents (one clock for both processes); N spaced remote
  calls and N local ones, then the median time of each stage from the moment the
  client sent the request (`stages.remote`, `stages.local`, in microseconds).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h11
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.procstat import cpu_seconds  # noqa: E402
from bench.wrk import lua_file, post_lua, wrk, wrk_cpu  # noqa: E402
from tests.support.agents import AgentProcess, agent_config, start_agent  # noqa: E402
from tests.support.p2p_agents import ENV, agent_section, p2p_section, python_tool  # noqa: E402

REMOTE = "/tools/b_echo@agent-b/invoke"
LOCAL = "/tools/a_echo/invoke"
BODY = {"arguments": {"text": "x"}}


def load() -> list[float]:
    return [float(x) for x in os.getloadavg()]


def echo_tool(name: str) -> dict[str, Any]:
    tool = python_tool("b_echo")
    tool["name"] = name
    return tool


STAGES = ROOT / "bench" / "stages"


def agent_env(src: Path | None, stages_out: Path | None) -> dict[str, str]:
    """The agents' environment: `src` first on the path; the stage tracer when asked."""
    env = dict(ENV)
    paths = [str(src)] if src is not None else []
    if stages_out is not None:
        paths.append(str(STAGES))
        env["PRAXIS_STAGES_OUT"] = str(stages_out)
    env["PYTHONPATH"] = os.pathsep.join([*paths, ENV["PYTHONPATH"]])
    return env


def start_pair(home: Path, p2p: dict[str, Any], src: Path | None = None,
               stages: bool = False) -> tuple[AgentProcess, AgentProcess]:
    # the default liveness settings: the tests' 0.5 s pings mark a peer gone under load
    p2p = {"ping_interval": 10.0, "ping_misses": 3, "request_timeout": 30.0, **p2p}
    b_home, a_home = home / "b", home / "a"
    b = start_agent(b_home, agent_config(b_home, "agent-b", agent=agent_section(
        echo_tool("b_echo")), p2p=p2p_section(**p2p), logging={"level": "warning"}),
        env=agent_env(src, home / "b.stages.json" if stages else None), wait=60)
    a = start_agent(a_home, agent_config(a_home, "agent-a", agent=agent_section(
        echo_tool("a_echo")), p2p=p2p_section(bootstrap_nodes=[b.url], **p2p),
        logging={"level": "warning"}),
        env=agent_env(src, home / "a.stages.json" if stages else None), wait=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply = httpx.post(a.url + REMOTE, json=BODY, timeout=10)
        if reply.status_code == 200 and reply.json().get("ok"):
            return a, b
        time.sleep(0.1)
    raise SystemExit(f"A never reached B's echo:\n{a.log[-2000:]}")


class BareClient:
    """One keep-alive HTTP/1.1 connection spoken with h11 on a plain socket (made
    again when the server closed it while idle: uvicorn's keep-alive timeout)."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        self.host = f"{host}:{port}"
        self.address = (host, int(port))
        self.connect()

    def connect(self) -> None:
        self.sock = socket.create_connection(self.address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h11.Connection(h11.CLIENT)
        self.last = time.monotonic()

    def fresh(self) -> None:
        """Reconnect when idle for long enough that the server may have closed us."""
        if time.monotonic() - self.last > 2.0:
            self.close()
            self.connect()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        headers = [("Host", self.host), ("Content-Type", "application/json"),
                   ("Content-Length", str(len(body)))]
        self.sock.sendall(self.conn.send(h11.Request(method="POST", target=path,
                                                     headers=headers))
                          + self.conn.send(h11.Data(data=body))
                          + self.conn.send(h11.EndOfMessage()))
        status, data = 0, b""
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                data += event.data
            elif isinstance(event, h11.EndOfMessage):
                self.conn.start_next_cycle()
                self.last = time.monotonic()
                return status, data
            else:
                raise RuntimeError(f"unexpected HTTP event {event!r}")

    def close(self) -> None:
        self.sock.close()


BODY_BYTES = json.dumps(BODY).encode()


def call_bare(client: BareClient, path: str) -> None:
    status, data = client.post(path, BODY_BYTES)
    assert status == 200 and json.loads(data)["ok"], data


def call_httpx(client: httpx.Client, path: str) -> None:
    reply = client.post(path, json=BODY)
    assert reply.status_code == 200 and reply.json()["ok"], reply.text


def serial(clients: dict[str, tuple[httpx.Client, BareClient]], calls: int
           ) -> dict[str, dict[str, Any]]:
    """Remote and local calls, by both clients, of every pair, alternating: all see the
    same load (and the same CPU speed, which drifts on this machine)."""
    ways = {}
    for pair, (client, bare) in clients.items():
        ways |= {(pair, "remote", "httpx"): functools.partial(call_httpx, client, REMOTE),
                 (pair, "local", "httpx"): functools.partial(call_httpx, client, LOCAL),
                 (pair, "remote", "h11"): functools.partial(call_bare, bare, REMOTE),
                 (pair, "local", "h11"): functools.partial(call_bare, bare, LOCAL)}
        bare.fresh()
    times: dict[tuple[str, str, str], list[float]] = {way: [] for way in ways}
    before = load()
    for _ in range(calls):
        for way, call in ways.items():
            started = time.perf_counter()
            call()
            times[way].append((time.perf_counter() - started) * 1000)
    out: dict[str, dict[str, Any]] = {
        pair: {"remote": {}, "local": {}, "load": before} for pair in clients}
    for (pair, kind, name), values in times.items():
        values.sort()
        out[pair][kind][name] = {"calls": len(values),
                                 "p50_ms": round(statistics.median(values), 3),
                                 "p99_ms": round(values[int(len(values) * 0.99) - 1], 3)}
    return out


def cpu_per_call(pairs: dict[str, tuple[AgentProcess, AgentProcess, BareClient]],
                 calls: int, block: int = 10) -> dict[str, Any]:
    """CPU microseconds of each agent (all threads) per serial call, remote and local;
    the pairs and kinds take turns every `block` calls (the CPU speed drifts)."""
    spent = {(pair, kind): [0.0, 0.0] for pair in pairs for kind in ("remote", "local")}
    before_load = load()
    for bare in (bare for _, _, bare in pairs.values()):
        bare.fresh()
    for _ in range(max(1, calls // block)):
        for pair, (a, b, bare) in pairs.items():
            for kind, path in (("remote", REMOTE), ("local", LOCAL)):
                start = cpu_seconds(a.proc.pid), cpu_seconds(b.proc.pid)
                for _ in range(block):
                    call_bare(bare, path)
                spent[pair, kind][0] += cpu_seconds(a.proc.pid) - start[0]
                spent[pair, kind][1] += cpu_seconds(b.proc.pid) - start[1]
    done = max(1, calls // block) * block
    out: dict[str, Any] = {pair: {"load": before_load} for pair in pairs}
    for (pair, kind), (a_cpu, b_cpu) in spent.items():
        out[pair][kind] = {"agent_a": round(a_cpu / done * 1e6),
                           "agent_b": round(b_cpu / done * 1e6)}
    return out


def stages(home: Path, p2p: dict[str, Any], src: Path | None, calls: int
           ) -> dict[str, Any]:
    """Median time (us) of each stage of a call in both agents, from the request sent."""
    a, b = start_pair(home, p2p, src, stages=True)
    bare = BareClient(a.url)
    out: dict[str, Any] = {"load": load()}
    try:
        for _ in range(100):
            call_bare(bare, REMOTE)
            call_bare(bare, LOCAL)
        spans: dict[str, list[tuple[int, int]]] = {"remote": [], "local": []}
        for kind, path in (("remote", REMOTE), ("local", LOCAL)):
            for _ in range(calls):
                time.sleep(0.02)  # calls apart: no stage of one call inside another's span
                started = time.perf_counter_ns()
                call_bare(bare, path)
                spans[kind].append((started, time.perf_counter_ns()))
        events = {name: dumped(home / f"{name}.stages.json") for name in ("a", "b")}
    finally:
        bare.close()
        a.stop()
        b.stop()
    for kind, found in spans.items():
        out[kind] = stage_medians(found, events)
    return out


def dumped(out: Path) -> list[tuple[int, str]]:
    """Ask a traced agent to write its stage list, and read it."""
    Path(f"{out}.dump").touch()
    deadline = time.monotonic() + 10
    while Path(f"{out}.dump").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return [tuple(event) for event in json.loads(out.read_text())]


def stage_medians(spans: list[tuple[int, int]], events: dict[str, list[tuple[int, str]]]
                  ) -> dict[str, float]:
    """`"agent stage #n": median us after the request was sent`, in time order."""
    offsets: dict[str, list[float]] = {}
    for started, ended in spans:
        seen: dict[str, int] = {}
        inside = sorted((t, f"{name.upper()} {stage}") for name, found in events.items()
                        for t, stage in found if started <= t <= ended)
        for t, stage in [*inside, (ended, "client: response read")]:
            seen[stage] = seen.get(stage, 0) + 1
            key = stage if seen[stage] == 1 else f"{stage} #{seen[stage]}"
            offsets.setdefault(key, []).append((t - started) / 1000)
    rows = {key: round(statistics.median(v), 1) for key, v in offsets.items()
            if len(v) >= len(spans) // 2}
    return dict(sorted(rows.items(), key=lambda row: row[1]))


WRK_LUA = post_lua("""'{"arguments": {"text": "x"}}'""")


def calls(url: str, connections: int, seconds: float, script: Path,
          agents: tuple[AgentProcess, AgentProcess]) -> dict[str, Any]:
    """One wrk run with the load average before it, and the CPU each agent spent per
    call meanwhile (all threads; the calls are requests/s times the seconds)."""
    before = load()
    a, b = agents
    return wrk_cpu(url, connections, seconds, script,
                   {"agent_a": a.proc.pid, "agent_b": b.proc.pid}) | {"load": before}


def throughput(a: AgentProcess, b: AgentProcess, connections: int, seconds: float
               ) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk not installed (apt-get install -y wrk)"}
    with lua_file(WRK_LUA) as script:
        return {"remote": calls(a.url + REMOTE, connections, seconds, script, (a, b)),
                "local": calls(a.url + LOCAL, connections, seconds, script, (a, b))}


def rounds_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several throughput runs of one pair: each run's figures, and the median calls/s."""
    if len(runs) == 1 or "skipped" in runs[0]:
        return runs[0]
    return {kind: {"median_requests_per_s": statistics.median(
                       run[kind]["requests_per_s"] for run in runs),
                   "runs": [run[kind] for run in runs]} for kind in ("remote", "local")}


def profiled(a: AgentProcess, b: AgentProcess, client: httpx.Client, calls: int,
             out: Path, connections: int = 0, seconds: float = 0) -> dict[str, str]:
    """py-spy both agents (all threads) during a serial run, or during `wrk` with
    `connections` when given (shares: `bench/profile_shares.py FILE`)."""
    out.mkdir(parents=True, exist_ok=True)
    spies = {name: subprocess.Popen(
        ["py-spy", "record", "--pid", str(agent.proc.pid), "--rate", "500", "--threads",
         "--format", "raw", "--output", str(out / f"{name}.txt"), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, agent in
        (("agent_a", a), ("agent_b", b))}
    time.sleep(1.0)
    if connections:
        with lua_file(WRK_LUA) as script:
            wrk(a.url + REMOTE, connections, seconds, script)
    else:
        for _ in range(calls):
            client.post(REMOTE, json=BODY)
    for spy in spies.values():
        spy.send_signal(2)
        spy.wait(30)
    return {name: str(out / f"{name}.txt") for name in spies}


def syscalls(a: AgentProcess, b: AgentProcess, client: httpx.Client, calls: int,
             ) -> dict[str, dict[str, float]]:
    """System calls per call in each agent (all threads), by name, busiest first."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tracers = {name: subprocess.Popen(
            ["strace", "-c", "-f", "-p", str(agent.proc.pid), "-o", f"{tmp}/{name}"],
            stderr=subprocess.DEVNULL) for name, agent in (("agent_a", a), ("agent_b", b))}
        time.sleep(1.5)  # strace attaches to every thread
        for _ in range(calls):
            client.post(REMOTE, json=BODY)
        for tracer in tracers.values():
            tracer.send_signal(2)
            tracer.wait(30)
        for name in tracers:
            counts = {}
            for row in Path(f"{tmp}/{name}").read_text().splitlines():
                cells = row.split()
                if len(cells) >= 5 and cells[0][0].isdigit() and cells[-1] != "total":
                    counts[cells[-1]] = round(int(cells[3]) / calls, 1)
            busiest = dict(sorted(counts.items(), key=lambda item: -item[1])[:6])
            out[name] = {"total": round(sum(counts.values()), 1), **busiest}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--inflight", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1,
                        help="wrk runs per pair, the pairs taking turns (median reported)")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--baseline-first", action="store_true",
                        help="measure the baseline pair before ours (order check)")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--syscalls", action="store_true")
    parser.add_argument("--stages", type=int, default=0, metavar="N")
    parser.add_argument("--p2p", default="{}", help="extra p2p config (JSON) for all agents")
    args = parser.parse_args()
    extra = json.loads(args.p2p)
    report: dict[str, Any] = {"serial": {}, "cpu_us_per_call": {}, "inflight": {}}
    with tempfile.TemporaryDirectory(prefix="praxis-bench-agents-") as tmp:
        pairs = {"now": start_pair(Path(tmp) / "now", extra)}
        if args.baseline_src:
            pairs["baseline"] = start_pair(Path(tmp) / "base", extra, args.baseline_src)
            if args.baseline_first:  # the pair measured second tends to do better
                pairs = dict(reversed(pairs.items()))
        clients = {name: httpx.Client(base_url=a.url, timeout=30)
                   for name, (a, _) in pairs.items()}
        bares = {name: BareClient(a.url) for name, (a, _) in pairs.items()}
        try:
            for name, client in clients.items():
                for _ in range(50):
                    call_httpx(client, REMOTE)
                    call_httpx(client, LOCAL)
                    call_bare(bares[name], REMOTE)
            report["serial"] = serial(
                {name: (clients[name], bares[name]) for name in pairs}, args.calls)
            report["cpu_us_per_call"] = cpu_per_call(
                {name: (a, b, bares[name]) for name, (a, b) in pairs.items()}, args.calls)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in pairs}
            for _ in range(args.rounds):
                for name, (a, b) in pairs.items():
                    runs[name].append(throughput(a, b, args.inflight, args.seconds))
            report["inflight"] = {name: rounds_of(found) for name, found in runs.items()}
            if args.syscalls and shutil.which("strace"):
                report["syscalls_per_call"] = {
                    name: syscalls(*pair, clients[name], min(args.calls, 200))
                    for name, pair in pairs.items()}
            if args.profile:
                a, b = pairs["now"]
                report["profile"] = profiled(a, b, clients["now"], args.calls, args.profile)
                if shutil.which("wrk"):
                    report["profile_inflight"] = profiled(
                        a, b, clients["now"], args.calls, args.profile / "inflight",
                        args.inflight, args.seconds)
        finally:
            for client in clients.values():
                client.close()
            for bare in bares.values():
                bare.close()
            for a, b in pairs.values():
                a.stop()
                b.stop()
        if args.stages:
            report["stages_us"] = stages(Path(tmp) / "stages", extra, None, args.stages)
    report["targets"] = {"remote_serial_p50_ms": 2, "remote_calls_per_s": 1000}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
