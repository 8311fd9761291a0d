"""P2P figures between node processes on this machine, printed as JSON.

    python bench/bench_p2p.py [--calls 300] [--inflight 32] [--no-mdns] [--profile]
                              [--baseline-src DIR [--baseline-first]]

- warm round trip: p50/p99 of a tool call that returns at once, on an open connection
  between two node processes on loopback (target p50 <= 1 ms), measured inside node A
  (P2PService.call_tool, no HTTP in the loop);
- throughput: calls per second with 32 calls in flight (target >= 2,000/s);
- `caller_cpu_us_per_call` / `callee_cpu_us_per_call`: CPU time of node A's / node B's
  process (all threads) per call, serial and in flight: figures the machine's load moves
  much less than the times;
- `--baseline-src DIR`: the same figures, right after, for two nodes running the
  `praxis_sdk` in DIR (e.g. `git archive <rev> src | tar -x -C DIR`); before, with
  `--baseline-first` (the pair measured second tends to do better: run both orders);
- `load`: the `uptime` load averages when each figure was taken;
- bootstrap: HTTP-URL connect (GET /p2p/info, dial, Noise, yamux, card swap) until the
  cards are exchanged (target <= 1 s);
- mdns: time from node B being ready to node A holding B's card, the two nodes in two
  network namespaces on one bridge (needs root and `ip netns`);
- profile (--profile): the top functions by own time in both threads of both nodes.

Each node is tests/integration/p2p/node_helper.py (a P2PService plus a small HTTP API).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
HELPER = ROOT / "tests" / "integration" / "p2p" / "node_helper.py"
NETNS = ROOT / "tests" / "e2e" / "netns.py"


def env(src: Path | None = None) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src or ROOT / "src"),
                                                      out.get("PYTHONPATH")]))
    return out


def start(name: str, keys: Path, prefix: list[str] | None = None, src: Path | None = None,
          **p2p: Any) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    options = {"name": name, "p2p": {"host": "127.0.0.1", "port": 0, "enable_mdns": False,
                                     "keystore_path": str(keys), **p2p}}
    proc = subprocess.Popen([*(prefix or []), sys.executable, str(HELPER), json.dumps(options)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env(src))
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"node {name} did not start")
    return proc, json.loads(line)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return round(value, 3) if isinstance(value, float) else value


def profile_text(report: dict[str, str], lines: int = 18) -> dict[str, list[str]]:
    out = {}
    for thread, text in report.items():
        rows = [row.strip() for row in text.splitlines() if row.strip()]
        start_at = next((i for i, row in enumerate(rows) if row.startswith("ncalls")), 0)
        out[thread] = rows[start_at:start_at + lines]
    return out


def run_phases(client: httpx.Client, a: dict[str, Any], b: dict[str, Any], calls: int,
               inflight: int) -> dict[str, Any]:
    """A's figures, phase by phase, with B's (the callee's) CPU time per call in each."""
    body = {"peer_id": b["peer_id"], "n": calls, "inflight": inflight}
    client.post(f"{a['http']}/bench", json={**body, "phases": ["warm"]})
    figures: dict[str, Any] = {"caller_cpu_us_per_call": {}, "callee_cpu_us_per_call": {}}
    for phase, count in (("serial", calls), ("inflight", calls * 2)):
        before = client.get(f"{b['http']}/cpu").json()["cpu_s"]
        part = client.post(f"{a['http']}/bench", json={**body, "phases": [phase]}).json()
        after = client.get(f"{b['http']}/cpu").json()["cpu_s"]
        figures["caller_cpu_us_per_call"].update(part.pop("caller_cpu_us_per_call"))
        figures["callee_cpu_us_per_call"][phase] = (after - before) / count * 1e6
        figures.update(part)
    return figures


def loopback(calls: int, inflight: int, profile: bool, src: Path | None = None
             ) -> dict[str, Any]:
    keys = Path(tempfile.mkdtemp(prefix="praxis-bench-p2p-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        proc_a, a = start("bench-a", keys, src=src)
        procs.append(proc_a)
        proc_b, b = start("bench-b", keys, src=src)
        procs.append(proc_b)
        with httpx.Client(timeout=120) as client:
            started = time.perf_counter()
            reply = client.post(f"{a['http']}/p2p/connect", json={"target": b["http"]}).json()
            bootstrap_s = time.perf_counter() - started
            assert reply.get("peer_id") == b["peer_id"], reply
            assert b["peer_id"] in client.get(f"{a['http']}/p2p/cards").json()
            if profile:
                for node in (a, b):
                    client.post(f"{node['http']}/cprofile", json={"start": True})
            load = [round(x, 2) for x in os.getloadavg()]
            figures = run_phases(client, a, b, calls, inflight)
            out: dict[str, Any] = {"bootstrap_url_to_cards_s": round(bootstrap_s, 3), **{
                k: rounded(v) for k, v in figures.items()}, "load": load}
            if profile:
                out["profile"] = {
                    name: profile_text(client.post(f"{node['http']}/cprofile",
                                                   json={"sort": "tottime", "top": 18}).json())
                    for name, node in (("caller", a), ("callee", b))}
        return out
    finally:
        stop(procs)


def mdns() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"mdns": "skipped: needs root for ip netns"}
    spec = importlib.util.spec_from_file_location("praxis_bench_netns", NETNS)
    assert spec is not None and spec.loader is not None
    netns = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(netns)
    keys = Path(tempfile.mkdtemp(prefix="praxis-bench-mdns-"))
    with netns.lan(2) as lan:
        (ns_a, _), (ns_b, _) = lan.nodes.items()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            common = {"host": "0.0.0.0", "port": 4001, "enable_mdns": True}
            proc_a, a = start("mdns-a", keys, lan.exec_argv(ns_a, []), **common)
            procs.append(proc_a)
            proc_b, b = start("mdns-b", keys, lan.exec_argv(ns_b, []), **common)
            procs.append(proc_b)
            probe = ("import sys, httpx, time\n"
                     "deadline = time.time() + 60\n"
                     "while time.time() < deadline:\n"
                     "    ev = [e for e in httpx.get(sys.argv[1] + '/events').json()\n"
                     "          if e.get('peerId') == sys.argv[2] and e.get('name')]\n"
                     "    if ev:\n"
                     "        print(ev[0]['at']); break\n"
                     "    time.sleep(0.05)\n")
            done = subprocess.run(lan.exec_argv(ns_a, [sys.executable, "-c", probe, a["http"],
                                                       b["peer_id"]]),
                                  capture_output=True, text=True, timeout=90)
            if not done.stdout.strip():
                return {"mdns_discovery_s": None, "mdns": "not discovered within 60 s"}
            return {"mdns_discovery_s": round(float(done.stdout) - b["start_at"], 3)}
        finally:
            stop(procs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--inflight", type=int, default=32)
    parser.add_argument("--no-mdns", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--baseline-first", action="store_true",
                        help="measure the baseline tree before this one")
    args = parser.parse_args()
    baseline = None
    if args.baseline_src and args.baseline_first:
        baseline = loopback(args.calls, args.inflight, False, args.baseline_src)
    report = loopback(args.calls, args.inflight, args.profile)
    if args.baseline_src:
        report["baseline"] = baseline or loopback(args.calls, args.inflight, False,
                                                  args.baseline_src)
    if not args.no_mdns:
        report.update(mdns())
    report["targets"] = {"p50_ms": 1, "throughput_per_s": 2000, "bootstrap_url_to_cards_s": 1}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
