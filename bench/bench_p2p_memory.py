"""Idle RSS of an agent with P2P off and on, and what P2P's share is made of. JSON out.

    .venv/bin/python bench/bench_p2p_memory.py [--settle 3] [--rounds 3] \
        [--baseline-src /tmp/base/src]

- `idle_rss_mib`: VmRSS of an idle `praxis-agent run` (no peers, the tests' default
  config) a few seconds after every component started and the first `/health`, P2P off
  and on, median of `--rounds` (target with P2P on: <= 100 MiB); `p2p_on_mdns`: P2P on
  with mDNS on as well (the starter config's default, `praxis-agent init-config`); with
  `--baseline-src`, the same for that source tree, rounds interleaved;
- `loaded`: which of the optional or unused packages the idle agent (P2P on) imported
  (its `sys.modules` at exit), and `libraries_alone_mib`: the RSS of a fresh interpreter
  that imports just the library modules that agent had loaded (no Praxis code, no
  runtime state): the floor those libraries set;
- `import_mib`: RSS added by importing the P2P node, and by importing each heavy
  package that libp2p 0.8.1 loads at `import libp2p`, each in a fresh interpreter that
  has already imported the agent (so shared dependencies are not counted twice).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.agents import agent_config, start_agent  # noqa: E402

# what `import libp2p` (0.8.1) pulls in, and whether a Praxis node loads it (p2p/slim.py)
PACKAGES = {
    "praxis_sdk.p2p.node": "the whole P2P node (libp2p as p2p/slim.py imports it)",
    "libp2p": "py-libp2p's package __init__, as p2p/slim.py imports it",
    "aioquic.quic.connection": "QUIC, unused; left out by p2p/slim.py (libp2p.custom_types "
                               "and libp2p's __init__ import it through libp2p.transport.quic), "
                               "and dnspython's DNS-over-QUIC switched off",
    "dns.resolver": "dnspython, for /dns multiaddrs: loads at the first /dns dial "
                    "(p2p/slim.py: multiaddr's resolver, which the swarm makes at start, "
                    "is made on first use)",
    "requests": "unused; left out by p2p/slim.py (libp2p.host.basic_host imports it "
                "through libp2p.security.tls.autotls.acme)",
    "zeroconf": "mDNS: loads when p2p.enable_mdns (p2p/mdns.py); libp2p.host.basic_host's "
                "import of it is left out by p2p/slim.py",
    "noise.connection": "noiseprotocol with its default backend on the cryptography package, "
                        "as stock py-libp2p's Noise loads it; a node's Noise runs on PyNaCl "
                        "and hashlib (p2p/noise_nacl.py): noise.connection without either",
    "Crypto.Cipher.AES": "pycryptodome (RSA keys, private networks): loads at the first "
                         "peer with an RSA key (p2p/slim.py)",
    "nacl.public": "PyNaCl; loaded by libp2p.crypto.ed25519 (our key type)",
    "coincurve": "secp256k1 keys: loads at the first peer with such a key (p2p/slim.py)",
}
MODULES_AT_EXIT = ROOT / "tests" / "support" / "modules_at_exit"
# imported by an idle agent only because they are installed, or not at all (lean.py), or
# only at first use (the DSL parser, schema checks, the HTTP client, DNS, the CLI library)
WATCHED = ("rich", "pygments", "grpc", "watchfiles", "docker", "openai", "mcp", "aioquic",
           "dns.resolver", "requests", "zeroconf", "Crypto", "coincurve", "lark", "jsonschema",
           "httpx", "typer", "cryptography")
FLOOR = """
import ctypes, importlib, json, sys
try:
    import praxis_sdk.p2p  # libp2p imported as the agent imports it (p2p/slim.py)
except ImportError:
    pass
for name in [m for m in sys.modules if m.startswith("praxis_sdk")]:
    del sys.modules[name]  # the hook stays; the agent's modules are not counted
def rss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])
for name in sys.argv[1:]:  # what the agent did not load, it does not get here either
    sys.modules[name] = None
by_package = {}
for name in sys.stdin.read().split():
    before = rss()
    try:
        importlib.import_module(name)
    except Exception:  # a module that only imports inside its package's set-up
        pass
    top = name.split(".")[0]
    by_package[top] = by_package.get(top, 0) + rss() - before
ctypes.CDLL(None).malloc_trim(0)  # as the agent does after start-up (memory.py)
print(json.dumps({"total": rss() / 1024, "by_package": {
    k: round(v / 1024, 1) for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])[:20]}}))
"""
PROBE = """
import sys
from praxis_sdk.lean import without_optional_extras
with without_optional_extras():
    import praxis_sdk.agent, trio
def rss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])
before = rss()
__import__(sys.argv[1])
print((rss() - before) / 1024)
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def idle_rss(p2p: bool, settle: float, src: Path, record: bool = False, mdns: bool = False
             ) -> tuple[float, list[str]]:
    """RSS of an idle agent run from `src`; with `record`, the modules it imported (its
    `sys.modules` at exit, written by tests/support/modules_at_exit)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {"PYTHONPATH": str(src)}
        if record:
            env = {"PYTHONPATH": f"{MODULES_AT_EXIT}:{src}",
                   "PRAXIS_TEST_MODULES_OUT": str(home / "modules.txt")}
        p2p_section = {"enabled": p2p, "enable_mdns": mdns}
        agent = start_agent(home, agent_config(home, "bench-mem", p2p=p2p_section),
                            wait=60, env=env)
        try:
            time.sleep(settle)
            rss = rss_mib(agent.proc.pid)
        finally:
            agent.stop()
        return rss, (home / "modules.txt").read_text().split() if record else []


def idle_figures(trees: dict[str, Path], settle: float, rounds: int) -> dict[str, Any]:
    """Median idle RSS per tree, P2P off and on, the trees' rounds interleaved."""
    runs: dict[str, dict[str, list[float]]] = {
        name: {"off": [], "on": [], "on_mdns": []} for name in trees}
    for _ in range(rounds):
        for p2p in ("off", "on", "on_mdns"):
            for name, src in trees.items():
                runs[name][p2p].append(idle_rss(p2p != "off", settle, src,
                                                mdns=p2p == "on_mdns")[0])
    return {name: {"p2p_off": statistics.median(run["off"]),
                   "p2p_on": statistics.median(run["on"]),
                   "p2p_on_mdns": statistics.median(run["on_mdns"]),
                   "p2p_off_runs": run["off"], "p2p_on_runs": run["on"],
                   "p2p_on_mdns_runs": run["on_mdns"],
                   **loaded_figures(idle_rss(True, settle, trees[name], True)[1],
                                    trees[name])}
            for name, run in runs.items()}


def loaded_figures(modules: list[str], src: Path) -> dict[str, Any]:
    """Which WATCHED packages were loaded; the RSS of a fresh interpreter that imports the
    library modules the agent had loaded, in its order, and none of ours (the floor those
    libraries set), with what each top-level package added to it."""
    loaded = set(modules)
    libraries = [name for name in modules
                 if name.split(".")[0] not in ("praxis_sdk", "tests", "__main__",
                                               "sitecustomize")]
    absent = [name for name in WATCHED if name not in loaded]
    done = subprocess.run([sys.executable, "-c", FLOOR, *absent], input="\n".join(libraries),
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(src)})
    floor = json.loads(done.stdout)
    return {"loaded": sorted(name for name in WATCHED if name in loaded),
            "modules": len(modules), "libraries_alone_mib": round(floor["total"], 1),
            "libraries_alone_top_mib": floor["by_package"]}


def import_cost(module: str) -> float | str:
    done = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        return round(float(done.stdout.strip()), 1)
    except ValueError:
        return f"import failed: {done.stderr.strip().splitlines()[-1:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, help="a source tree to compare with")
    args = parser.parse_args()
    report: dict[str, Any] = {"load": [round(x, 2) for x in os.getloadavg()]}
    trees = {"this_tree": ROOT / "src"}
    if args.baseline_src:
        trees["baseline"] = args.baseline_src.resolve()
    report["idle_rss_mib"] = {"target_p2p_on": 100,
                              **idle_figures(trees, args.settle, args.rounds)}
    report["import_mib"] = {module: {"mib": import_cost(module), "what": what}
                            for module, what in PACKAGES.items()}
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
