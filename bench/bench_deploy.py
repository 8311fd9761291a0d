"""Deployment figures: image sizes, Compose up times, `praxis-agent up` time, memory at rest.
Prints one JSON object.

- cold: `compose build --no-cache` then `compose up -d --wait` (what `up --build` does on a
  machine without build cache), to all three services healthy;
- warm: `compose up -d --wait` with the images present (after `down`), to all healthy, with
  the default 10 s probe interval and with PRAXIS_HEALTH_INTERVAL=2s;
- `praxis-agent up`: start to all healthy as it reports it (target <= 5 s);
- memory at rest: each container (`docker stats`) and each `praxis-agent up` process (RSS).

Runs in a copy of the repository files under a unique project name and image tag, and
removes what it created. Needs the Docker daemon (DOCKER_HOST) and the Compose plugin.

    .venv/bin/python bench/bench_deploy.py [--runs 3] [--no-cold] [--no-compose]
        [--baseline-src DIR] [--no-precompile]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.compose import Stack, docker_env, new_stack, run  # noqa: E402
from tests.support.localnet import free_base  # noqa: E402


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(stack: Stack, *args: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = run(["docker", "compose", "-p", stack.name, *args], {**stack.env, **(env or {})},
               stack.folder, 1800)
    assert done.returncode == 0, f"compose {' '.join(args)}:\n{done.stderr[-3000:]}"
    return round(time.perf_counter() - started, 2)


def image_sizes(stack: Stack) -> dict[str, float]:
    tag = stack.env["PRAXIS_IMAGE_TAG"]
    sizes = {}
    for image in ("praxis-agent", "praxis-mcp-filesystem"):
        done = run(["docker", "image", "inspect", "-f", "{{.Size}}", f"{image}:{tag}"],
                   stack.env, stack.folder, 60)
        sizes[image] = round(int(done.stdout.strip()) / 1e6, 1)
    return sizes


def container_memory(stack: Stack) -> dict[str, float]:
    """MiB in use per service (`docker stats`)."""
    ids = stack.ok("ps", "-q").split()
    done = run(["docker", "stats", "--no-stream", "--format",
                "{{.Name}} {{.MemUsage}}", *ids], stack.env, stack.folder, 120)
    out = {}
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / 2**20}
    for line in done.stdout.splitlines():
        name, usage = line.split(" ", 1)
        value, unit = re.match(r"([\d.]+)(\w+)", usage).groups()
        service = name.removeprefix(f"{stack.name}-").rsplit("-", 1)[0]
        out[service] = round(float(value) * units[unit], 1)
    return out


def compose_figures(runs: int, cold: bool) -> dict[str, object]:
    env, _ = docker_env()
    with tempfile.TemporaryDirectory() as tmp:
        stack = new_stack(env, Path(tmp) / "praxis", prefix="praxis-bench")
        stack.env.pop("PRAXIS_HEALTH_INTERVAL")  # the default 10 s unless a run sets it
        name, folder = stack.name, stack.folder
        out: dict[str, object] = {}
        try:
            if cold:
                build = timed(stack, "build", "--no-cache")
                up = timed(stack, "up", "-d", "--wait", "--wait-timeout", "600")
                out["cold_up_build_s"] = {"build_no_cache": build, "up_to_healthy": up,
                                         "total": round(build + up, 2), "load": load()}
            else:
                out["build_s"] = timed(stack, "build")
                timed(stack, "up", "-d", "--wait", "--wait-timeout", "600")
            out["image_mb"] = image_sizes(stack)
            time.sleep(10)  # at rest: let start-up work settle before reading memory
            out["container_memory_mib_at_rest"] = container_memory(stack)
            for label, interval in (("warm_up_s_interval_10s", "10s"),
                                    ("warm_up_s_interval_2s", "2s")):
                times = []
                for _ in range(runs):
                    timed(stack, "down")
                    times.append(timed(stack, "up", "-d", "--wait", "--wait-timeout", "600",
                                       env={"PRAXIS_HEALTH_INTERVAL": interval}))
                out[label] = {"median": statistics.median(times), "runs": times,
                              "load": load()}
        finally:
            run(["docker", "compose", "-p", name, "down", "-v", "--rmi", "all"], stack.env,
                folder, 600)
    return out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def localnet_up(home: Path, measure_memory: bool, src: Path | None = None
                ) -> tuple[float, dict[str, object]]:
    """Seconds `praxis-agent up` reports to all healthy; with `measure_memory`, each
    process's CPU seconds used up to then and its RSS at rest. `src`: run that tree's
    `praxis_sdk` instead of the installed one."""
    base = free_base()
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    proc = subprocess.Popen([sys.executable, "-m", "praxis_sdk", "up", "--port-base",
                             str(base), "--dir", str(home)], stdout=subprocess.PIPE, text=True,
                            env=env)
    memory: dict[str, object] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("all healthy in"):
                took = float(line.split()[3].rstrip("s;"))
                break
        else:
            raise AssertionError("praxis-agent up did not report all healthy")
        if measure_memory:
            memory["cpu_s_up_itself"] = cpu_s(proc.pid)
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            pids = dict(zip(["mcp-filesystem", "praxis-agent-1", "praxis-agent-2"],
                            map(int, children), strict=True))
            memory["cpu_s_to_healthy"] = {name: cpu_s(pid) for name, pid in pids.items()}
            time.sleep(10)  # at rest
            memory["rss_mib_at_rest"] = {name: rss_mib(pid) for name, pid in pids.items()}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    return took, memory


def precompile(src: Path) -> None:
    """Bytecode for the tree, as `pip install` leaves it (with PYTHONDONTWRITEBYTECODE set,
    each process would otherwise compile every module of ours from source at start)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)


def up_figures(runs: int, trees: dict[str, Path | None]) -> dict[str, object]:
    """`praxis-agent up` to all healthy for each tree, the trees' runs interleaved."""
    times: dict[str, list[float]] = {label: [] for label in trees}
    memory: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            for label, src in trees.items():
                took, mem = localnet_up(Path(tmp) / f"{label}{i}", i == 0, src)
                times[label].append(took)
                memory.setdefault(label, mem)
    out: dict[str, object] = {}
    for label in trees:
        key = "praxis_agent_up" if label == "now" else f"praxis_agent_up_{label}"
        out[f"{key}_s"] = {"median": statistics.median(times[label]), "runs": times[label],
                           "target": 5.0, "load": load()}
        out[f"{key}_processes"] = memory[label]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-cold", action="store_true", help="skip the --no-cache build")
    parser.add_argument("--no-compose", action="store_true",
                        help="only `praxis-agent up` (no Docker)")
    parser.add_argument("--baseline-src", type=Path,
                        help="a `src` tree of older code: its `praxis-agent up` runs "
                             "interleaved with this one's")
    parser.add_argument("--no-precompile", action="store_true",
                        help="do not write bytecode for the trees first")
    args = parser.parse_args()
    trees: dict[str, Path | None] = {"now": None}
    if args.baseline_src:
        trees["baseline"] = args.baseline_src.resolve()
    if not args.no_precompile:
        for src in trees.values():
            precompile(src or Path(__file__).resolve().parents[1] / "src")
    out: dict[str, object] = {"load_before": load(), "bytecode_precompiled":
                              not args.no_precompile}
    out.update(up_figures(args.runs, trees))
    if not args.no_compose:
        out.update(compose_figures(args.runs, cold=not args.no_cold))
    out["load_after"] = load()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
