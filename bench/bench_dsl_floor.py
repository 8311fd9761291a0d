"""The floor under the 10,000-line DSL compile in CPython, printed as JSON.

The CPU median of each part of the compile of `bench_dsl.script(10_000)`, next to the
cost of the least work any pure-Python compiler of that script has to do:

- `floor_*`: splitting the lines, finding each argument with the lexer's own regex, and
  one slots object per step with its arguments and dependencies (no checks, no errors,
  no pydantic): what a one-pass lexer-planner would still pay;
- `parts_*`: the real compile, stage by stage (lexing, the block parser, planning with
  the schema checks, the reference checks, the collection of the plan's objects after
  the compile, `Step.trusted` alone);
- `slots_step_instead_ms`: the same steps as one slots dataclass each, for comparison
  with `parts_step_trusted_ms`.

Run: PYTHONPATH=src python bench/bench_dsl_floor.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dsl import lookup, script  # noqa: E402

from praxis_sdk.dsl.lexer import ARG, lex  # noqa: E402
from praxis_sdk.dsl.parser import parse  # noqa: E402
from praxis_sdk.runner.compile import REST_OF_LINE_TOOLS, _Compiler, compile_dsl  # noqa: E402
from praxis_sdk.runner.plan import Plan, Step  # noqa: E402
from praxis_sdk.runner.validate import Specs, unmet_references  # noqa: E402

PARAMS = {"word_counter": ["file_path"], "write_file": ["path", "content"], "echo": ["text"]}


@dataclass(slots=True)
class BareStep:
    """One object per step: the least a plan can hold."""

    id: str
    tool: str
    arguments: dict[str, Any]
    depends_on: list[str]
    line: int


@dataclass(slots=True)
class SlotsStep:
    """A compiled step as one slots object with Step's fields (the design to weigh)."""

    id: str
    tool: str | None
    provider: str | None
    arguments: dict[str, Any]
    depends_on: list[str]
    condition: str | None
    output: str | None
    line: int | None
    string_params: list[str]
    retry: None = None
    timeout: float | None = None


def cpu_ms(work: Callable[[], Any], repeats: int) -> float:
    """The CPU median of `work`, with the cycle collector off while it runs."""
    times = []
    for _ in range(repeats):
        gc.disable()
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
        gc.enable()
        gc.collect()
    return round(statistics.median(times) * 1000, 1)


def tokenise(text: str) -> list[list[str]]:
    """Every argument of every line, as the lexer's regex finds it (no typing, no tuples)."""
    return [[match.group() for match in ARG.finditer(line)] for line in text.split("\n")]


def bare_plan(text: str) -> list[BareStep]:
    """Tokenise, then one BareStep per CALL, chained one after the other."""
    steps: list[BareStep] = []
    last: list[str] = []
    for number, words in enumerate(tokenise(text), start=1):
        if len(words) < 2 or words[0] != "CALL" and words[0].strip() != "CALL":
            continue
        tool = words[1].strip()
        values = [w.strip() for w in words[2:] if not w.lstrip().startswith(("#", "--"))]
        step = BareStep(f"s{len(steps) + 1}", tool, dict(zip(PARAMS.get(tool, []), values,
                                                              strict=False)), last, number)
        steps.append(step)
        last = [step.id]
    return steps


def collect_after_ms(text: str, repeats: int) -> float:
    """The young-generation pass over a fresh plan's objects (what follows the compile)."""
    times = []
    for _ in range(repeats):
        gc.disable()
        plan = compile_dsl(text, lookup, max_bytes=10_000_000)
        started = time.process_time()
        gc.enable()
        gc.collect(0)
        times.append(time.process_time() - started)
        del plan
        gc.collect()
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    repeats = parser.parse_args().repeats
    text = script(10_000)
    parsed = parse(text, max_bytes=10_000_000)

    def plan_steps() -> _Compiler:
        compiler = _Compiler(Specs(lookup), REST_OF_LINE_TOOLS)
        compiler.statements(parsed.body, [], ())
        return compiler

    compiler = plan_steps()
    plan = Plan(steps=compiler.steps, source="dsl")
    trusted_args = [(s.id, s.tool, s.provider, s.arguments, s.depends_on, s.condition,
                     s.output, s.line, s.string_params) for s in plan.steps]
    out: dict[str, Any] = {
        "lines": text.count("\n"), "steps": len(plan.steps),
        "floor_split_lines_ms": cpu_ms(lambda: text.split("\n"), repeats),
        "floor_tokenise_ms": cpu_ms(lambda: tokenise(text), repeats),
        "floor_bare_plan_ms": cpu_ms(lambda: bare_plan(text), repeats),
        "parts_lex_ms": cpu_ms(lambda: lex(text, 10_000), repeats),
        "parts_parse_incl_lex_ms": cpu_ms(lambda: parse(text, max_bytes=10_000_000), repeats),
        "parts_plan_ms": cpu_ms(plan_steps, repeats),
        "parts_step_trusted_ms": cpu_ms(lambda: [Step.trusted(*a) for a in trusted_args],
                                        repeats),
        "slots_step_instead_ms": cpu_ms(lambda: [SlotsStep(*a) for a in trusted_args],
                                        repeats),
        "parts_reference_checks_ms": cpu_ms(lambda: unmet_references(
            compiler.pending, compiler.producers, compiler.steps), repeats),
        "parts_collect_after_ms": collect_after_ms(text, repeats),
        "compile_dsl_ms": cpu_ms(lambda: compile_dsl(text, lookup, max_bytes=10_000_000),
                                 repeats),
        "target_ms": 150,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
