"""DSL and executor figures, printed as JSON.

- parse + validate (compile_dsl) of a 10,000-line script (target <= 150 ms), wall clock
  and CPU time of this process (less moved by other load on the machine)
- executor overhead per step, in-process, with a tool that returns at once (target <= 2 ms)

Run: PYTHONPATH=src python bench/bench_dsl.py [--baseline-src DIR] [--rounds 5]

With `--baseline-src DIR` (other code: `git archive main src | tar -x -C DIR`; DIR or
DIR/src holds `praxis_sdk`), `side_by_side` holds the compile's CPU median of this code
and of DIR's, each in its own fresh process, interleaved over `--rounds` (the order
swapping each round), so both meet the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import praxis_sdk
from praxis_sdk.errors import NotFound
from praxis_sdk.runner import Executor, compile_dsl
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec

SPECS = {
    "word_counter": ToolSpec(name="word_counter", input_schema={
        "type": "object", "properties": {"file_path": {"type": "string"}},
        "required": ["file_path"], "additionalProperties": False}),
    "write_file": ToolSpec(name="write_file", input_schema={
        "type": "object", "properties": {"path": {"type": "string"},
                                         "content": {"type": "string"}},
        "required": ["path", "content"]}),
    "echo": ToolSpec(name="echo", input_schema={
        "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
}


def lookup(name: str, provider: str | None = None) -> ToolSpec:
    if name in SPECS:
        return SPECS[name]
    raise NotFound(f"unknown tool {name!r}", details={"suggestions": []})


def script(lines: int) -> str:
    """A varied script: calls, named results, references, PARALLEL and IF blocks."""
    out: list[str] = []
    i = 0
    while len(out) < lines:
        out.append(f"CALL word_counter --file_path /shared/file{i}.txt AS c{i}")
        out.append(f'CALL write_file /out/{i}.txt "count: $c{i}.words" # note {i}')
        if i % 50 == 0:
            out += ["PARALLEL", f"  CALL echo a{i}", f"  CALL echo b{i}", "END",
                    f"IF $c{i}.words > 10", f"  CALL echo big{i}", "ELSE",
                    f"  CALL echo small{i}", "END"]
        i += 1
    return "\n".join(out[:lines]) + "\n"


def bench_compile(repeats: int = 7) -> dict[str, Any]:
    text = script(10_000)
    times, cpu = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        plan = compile_dsl(text, lookup, max_bytes=10_000_000)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return {"lines": text.count("\n"), "steps": len(plan.steps), "bytes": len(text),
            "best_ms": round(min(times) * 1000, 1),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "cpu_median_ms": round(statistics.median(cpu) * 1000, 1), "target_ms": 150,
            "load_average": [round(x, 2) for x in os.getloadavg()]}


async def instant(tool: str, arguments: dict[str, Any], provider: str | None,
                  timeout: float | None) -> ToolResult:
    return ToolResult(tool=tool, provider="bench", engine="bench", ok=True)


async def bench_executor(steps: int = 2000) -> dict[str, Any]:
    chain = compile_dsl("\n".join(f"CALL echo s{i} AS r{i}" for i in range(steps)), lookup)
    wide = compile_dsl("PARALLEL\n" + "\n".join(f"CALL echo s{i}" for i in range(steps))
                       + "\nEND", lookup)
    events: list[str] = []

    async def save(state: Any) -> None:
        return None

    executor = Executor(instant, publish=lambda kind, payload: events.append(kind), save=save,
                        max_parallel=8)
    out: dict[str, Any] = {"steps": steps, "target_ms": 2.0}
    for name, plan in (("sequential", chain), ("parallel", wide)):
        started = time.perf_counter()
        state = await executor.run(plan)
        elapsed = time.perf_counter() - started
        assert state.status == "completed", state.error
        out[f"{name}_ms_per_step"] = round(elapsed * 1000 / steps, 3)
    out["events"] = len(events)
    return out


def source_dir(tree: Path) -> Path:
    """The folder holding `praxis_sdk`: `tree` itself or its `src` (as `git archive` gives)."""
    for candidate in (tree, tree / "src"):
        if (candidate / "praxis_sdk" / "__init__.py").is_file():
            return candidate
    raise SystemExit(f"no praxis_sdk package in {tree} or {tree / 'src'}")


def compile_in(src: Path) -> float:
    """The compile's CPU median in a fresh process importing `praxis_sdk` from `src`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = json.loads(subprocess.run([sys.executable, __file__, "--compile-only"], env=env,
                                    check=True, capture_output=True, text=True).stdout)
    # an installed (editable) praxis_sdk must not stand in for the tree asked for
    if not Path(out["package"]).resolve().is_relative_to(src.resolve()):
        raise SystemExit(f"imported praxis_sdk from {out['package']}, not from {src}")
    return float(out["cpu_median_ms"])


def side_by_side(baseline: Path, rounds: int) -> dict[str, Any]:
    here = Path(__file__).resolve().parents[1] / "src"
    baseline = source_dir(baseline)
    runs: dict[str, list[float]] = {"now": [], "baseline": []}
    load_before = [round(x, 2) for x in os.getloadavg()]
    trees = {"now": here, "baseline": baseline}
    for round_ in range(rounds):  # the order swaps each round, so drifting load is shared
        for name in ("now", "baseline") if round_ % 2 == 0 else ("baseline", "now"):
            runs[name].append(compile_in(trees[name]))
    now, base = statistics.median(runs["now"]), statistics.median(runs["baseline"])
    return {"cpu_median_ms": {"now": now, "baseline": base}, "ratio": round(now / base, 2),
            "runs": runs, "load_before_after": [
                load_before, [round(x, 2) for x in os.getloadavg()]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compile-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compile_only:
        print(json.dumps(bench_compile() | {"package": praxis_sdk.__file__}))
        return
    result: dict[str, Any] = {"compile_10k_lines": bench_compile(),
                              "executor_overhead": asyncio.run(bench_executor())}
    if args.baseline_src:
        result["side_by_side"] = side_by_side(args.baseline_src.resolve(), args.rounds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
