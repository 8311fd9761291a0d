"""A remote tool call through agent A's HTTP API, two agent processes, Noise on. JSON out.

    .venv/bin/python bench/bench_p2p_agents.py [--calls 500] [--seconds 8] [--inflight 64]
                                               [--baseline-src DIR] [--profile DIR]

Agent B has an `engine: python` echo tool that A has not; A bootstraps to B over
libp2p (Noise + yamux on loopback). Measured the way a user calls it, with a
keep-alive client on A's HTTP API, interleaved in one run:

- serial: p50/p99 of `POST /tools/b_echo@agent-b/invoke` on A (remote) against the
  same tool local on A (`POST /tools/a_echo/invoke`, the HTTP stack without the hop);
- throughput: `wrk` with `--inflight` connections on the same two URLs (remote, local);
- each figure with the `uptime` load averages at the time it was taken;
- `--baseline-src DIR`: a second pair of agents runs the `praxis_sdk` in DIR (for
  example `git archive <rev> src | tar -x -C DIR`); every figure is then taken for
  both pairs, one right after the other;
- `--profile DIR`: py-spy samples (raw, collapsed stacks) of both agents during a
  serial run, and in `DIR/inflight` during `wrk`; `bench/profile_shares.py FILE` turns
  one into shares of busy samples;
- `--syscalls`: system calls per remote call in A and in B (`strace -c` during a serial
  run): a figure that does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.wrk import lua_file, post_lua, wrk  # noqa: E402
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


def start_pair(home: Path, p2p: dict[str, Any], src: Path | None = None
               ) -> tuple[AgentProcess, AgentProcess]:
    # the default liveness settings: the tests' 0.5 s pings mark a peer gone under load
    p2p = {"ping_interval": 10.0, "ping_misses": 3, "request_timeout": 30.0, **p2p}
    env = dict(ENV)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), ENV["PYTHONPATH"]])
    b_home, a_home = home / "b", home / "a"
    b = start_agent(b_home, agent_config(b_home, "agent-b", agent=agent_section(
        echo_tool("b_echo")), p2p=p2p_section(**p2p), logging={"level": "warning"}),
        env=env, wait=60)
    a = start_agent(a_home, agent_config(a_home, "agent-a", agent=agent_section(
        echo_tool("a_echo")), p2p=p2p_section(bootstrap_nodes=[b.url], **p2p),
        logging={"level": "warning"}), env=env, wait=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply = httpx.post(a.url + REMOTE, json=BODY, timeout=10)
        if reply.status_code == 200 and reply.json().get("ok"):
            return a, b
        time.sleep(0.1)
    raise SystemExit(f"A never reached B's echo:\n{a.log[-2000:]}")


def serial(client: httpx.Client, calls: int) -> dict[str, dict[str, Any]]:
    """Remote and local calls alternating, so both see the same machine load."""
    times: dict[str, list[float]] = {"remote": [], "local": []}
    before = load()
    for _ in range(calls):
        for kind, path in (("remote", REMOTE), ("local", LOCAL)):
            started = time.perf_counter()
            reply = client.post(path, json=BODY)
            times[kind].append((time.perf_counter() - started) * 1000)
            assert reply.status_code == 200 and reply.json()["ok"], reply.text
    out = {}
    for kind, values in times.items():
        values.sort()
        out[kind] = {"calls": len(values), "p50_ms": round(statistics.median(values), 3),
                     "p99_ms": round(values[int(len(values) * 0.99) - 1], 3),
                     "load": before}
    return out


WRK_LUA = post_lua("""'{"arguments": {"text": "x"}}'""")


def calls(url: str, connections: int, seconds: float, script: Path) -> dict[str, Any]:
    """One wrk run with the load average before it."""
    before = load()
    return wrk(url, connections, seconds, script) | {"load": before}


def throughput(a: AgentProcess, connections: int, seconds: float) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk not installed (apt-get install -y wrk)"}
    with lua_file(WRK_LUA) as script:
        return {"remote": calls(a.url + REMOTE, connections, seconds, script),
                "local": calls(a.url + LOCAL, connections, seconds, script)}


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
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--syscalls", action="store_true")
    parser.add_argument("--p2p", default="{}", help="extra p2p config (JSON) for all agents")
    args = parser.parse_args()
    extra = json.loads(args.p2p)
    report: dict[str, Any] = {"serial": {}, "inflight": {}}
    with tempfile.TemporaryDirectory(prefix="praxis-bench-agents-") as tmp:
        pairs = {"now": start_pair(Path(tmp) / "now", extra)}
        if args.baseline_src:
            pairs["baseline"] = start_pair(Path(tmp) / "base", extra, args.baseline_src)
        clients = {name: httpx.Client(base_url=a.url, timeout=30)
                   for name, (a, _) in pairs.items()}
        try:
            for client in clients.values():
                for _ in range(50):
                    client.post(REMOTE, json=BODY)
                    client.post(LOCAL, json=BODY)
            for name in pairs:
                report["serial"][name] = serial(clients[name], args.calls)
            for name, (a, _) in pairs.items():
                report["inflight"][name] = throughput(a, args.inflight, args.seconds)
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
            for a, b in pairs.values():
                a.stop()
                b.stop()
    report["targets"] = {"remote_serial_p50_ms": 2, "remote_calls_per_s": 1000}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
