"""`compile_dsl`: a DSL script to a checked Plan.

Statements run in order; the steps of a PARALLEL block share the same predecessors and
the next statement waits for all of them; the steps of an IF branch carry its condition
(`not (...)` in the ELSE branch, nested IFs are joined with `and`) and are skipped when it
does not hold. A step that uses `$name` also waits for the step(s) with `AS name`.
Positional arguments fill the tool's declared parameters in order (those not given by
name); for tools in `rest_of_line_tools` the last parameter takes the rest of the line.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from praxis_sdk.dsl.ast import Arg, Block, Call, If, Statement
from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.dsl.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_STEPS
from praxis_sdk.dsl.parser import parse
from praxis_sdk.errors import PraxisError
from praxis_sdk.runner.conditions import condition_names, names_by_argument, names_in
from praxis_sdk.runner.plan import Lookup, Plan, PlanInvalid, Step
from praxis_sdk.runner.validate import (
    ArgumentChecker,
    Specs,
    reference_problems,
    tool_problems,
)
from praxis_sdk.tools.spec import ToolSpec

REST_OF_LINE_TOOLS = frozenset({"write_file"})


def compile_dsl(
    text: str,
    lookup: Lookup,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_steps: int = DEFAULT_MAX_STEPS,
    rest_of_line_tools: frozenset[str] = REST_OF_LINE_TOOLS,
) -> Plan:
    """Parse and check `text`; `DSLSyntaxError` or `PlanInvalid` (both `InvalidInput`)."""
    with _gc_paused():
        return _compile(text, lookup, max_bytes, max_steps, rest_of_line_tools)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Compiling allocates many small acyclic objects; cycle collection would only cost
    time (a third of a 10,000-line compile), so it waits until the end."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _compile(text: str, lookup: Lookup, max_bytes: int, max_steps: int,
             rest_of_line_tools: frozenset[str]) -> Plan:
    try:
        script = parse(text, max_bytes=max_bytes, max_steps=max_steps)
    except DSLSyntaxError as exc:
        if not exc.calls:
            raise
        # the lines that did parse are checked as well, so that one answer lists everything
        _, found = _check(exc.calls, lookup, rest_of_line_tools)
        raise DSLSyntaxError(exc.problems + found) from None
    plan, found = _check(script.body, lookup, rest_of_line_tools)
    if found:
        raise PlanInvalid(sorted(found, key=lambda p: p.get("line") or 0))
    return plan


def _check(body: list[Statement], lookup: Lookup, rest_of_line_tools: frozenset[str]
           ) -> tuple[Plan, list[dict[str, Any]]]:
    compiler = _Compiler(Specs(lookup), rest_of_line_tools)
    compiler.statements(body, [], ())
    plan = Plan(steps=compiler.steps, source="dsl")
    # the compiler checked each step's tool and arguments; its ids and order are sound
    found = compiler.problems + reference_problems(plan, compiler.refs)
    return plan, found


def _condition(terms: tuple[str, ...]) -> str | None:
    """The conditions of the IF branches around a step as one flat `and` chain (not nested,
    so that the depth of IFs does not add up to the depth of one condition)."""
    if len(terms) < 2:
        return terms[0] if terms else None
    return " and ".join(f"({term})" for term in terms)


class _Compiler:
    def __init__(self, specs: Specs, rest_of_line_tools: frozenset[str]) -> None:
        self.specs = specs
        self.checker = ArgumentChecker()
        self.rest_of_line_tools = rest_of_line_tools
        self.steps: list[Step] = []
        self.problems: list[dict[str, Any]] = []
        self.producers: dict[str, list[str]] = {}
        self.types: dict[int, dict[str, list[str]]] = {}
        self.params: dict[int, list[str]] = {}
        self.refs: dict[str, set[str]] = {}  # step id -> result names its arguments use

    def statements(self, body: list[Statement], deps: list[str], cond: tuple[str, ...]
                   ) -> list[str]:
        for statement in body:
            deps = self.statement(statement, deps, cond)
        return deps

    def statement(self, st: Statement, deps: list[str], cond: tuple[str, ...]) -> list[str]:
        if isinstance(st, Call):
            return [self.call(st, deps, cond)]
        if isinstance(st, Block) and st.kind == "sequence":
            return self.statements(st.body, deps, cond)
        if isinstance(st, Block):
            exits: list[str] = []
            for child in st.body:
                exits.extend(self.statement(child, deps, cond))
            return exits or deps
        assert isinstance(st, If)
        deps = self._with_producers(deps, condition_names(st.condition))
        then = self.statements(st.then, deps, (*cond, st.condition))
        orelse = self.statements(st.orelse, deps, (*cond, f"not ({st.condition})"))
        return list(dict.fromkeys(then + orelse))

    def call(self, call: Call, deps: list[str], cond: tuple[str, ...]) -> str:
        step_id = f"s{len(self.steps) + 1}"
        spec = self.specs.get(call.tool, call.provider)
        string_params: list[str] = []
        if isinstance(spec, PraxisError):
            arguments = {name: arg.value for name, arg in call.named.items()}
            by_argument = names_by_argument(arguments)
        else:
            types = self._types(spec)
            arguments = self._arguments(call, spec, types)
            by_argument = names_by_argument(arguments)
            string_params = [k for k in by_argument if "string" in types.get(k, ())]
        names = set().union(*by_argument.values())
        step = Step.trusted(  # every field built here with its type: no validation
            step_id, call.tool, call.provider, arguments,
            self._with_producers(deps, names) if names else list(deps),
            _condition(cond), call.alias, call.line, string_params)
        self.steps.append(step)
        self.refs[step_id] = names
        self.problems.extend(tool_problems(step, spec, self.checker, set(by_argument)))
        if call.alias:
            self.producers.setdefault(call.alias, []).append(step_id)
        return step_id

    def _with_producers(self, deps: list[str], names: set[str]) -> list[str]:
        extra = [p for name in sorted(names) for p in self.producers.get(name, [])]
        return list(dict.fromkeys(deps + extra)) if extra else list(deps)

    def _types(self, spec: ToolSpec) -> dict[str, list[str]]:
        key = id(spec)
        if key not in self.types:
            self.types[key] = {name: _types(spec, name) for name in spec.param_names}
        return self.types[key]

    def _arguments(self, call: Call, spec: ToolSpec, types: dict[str, list[str]]
                   ) -> dict[str, Any]:
        args = {name: _coerce(arg, types.get(name, [])) for name, arg in call.named.items()}
        params = self.params.get(id(spec))
        if params is None:
            params = self.params[id(spec)] = spec.param_names
        free = [p for p in params if p not in call.named] if call.named else params
        positional = call.positional
        if len(positional) > len(free) and free and call.tool in self.rest_of_line_tools:
            keep = len(free) - 1
            positional = [*positional[:keep], _rest(call, positional[keep:])]
        if len(positional) > len(free):
            extra = positional[len(free)]
            self.problems.append({
                "step": f"s{len(self.steps) + 1}", "line": call.line, "column": extra.column,
                "tool": call.tool, "message": f"{call.tool} takes {len(params)} "
                f"argument(s) ({', '.join(params) or 'none'}); "
                f"{extra.text!r} is one too many"})
        for name, arg in zip(free, positional, strict=False):
            args[name] = _coerce(arg, types.get(name, []))
        return args


def _rest(call: Call, args: list[Arg]) -> Arg:
    """The rest of the line from `args[0]` as one string argument."""
    if len(args) == 1:
        return args[0]
    text = call.source[args[0].column - 1:args[-1].end - 1]
    return Arg("string", text, text, args[0].column, args[-1].end)


def _types(spec: ToolSpec, name: str) -> list[str]:
    prop = spec.input_schema.get("properties", {}).get(name)
    kind = prop.get("type") if isinstance(prop, dict) else None
    return [kind] if isinstance(kind, str) else list(kind or [])


def _coerce(arg: Arg, types: list[str]) -> Any:
    """Fit what was written to the declared type: words and JSON to text, JSON text to JSON."""
    value = arg.value
    if not types:
        return value
    if isinstance(value, str):
        if "string" in types or not {"object", "array"} & set(types) or names_in(value):
            return value
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict | list) else value
    if "string" in types:
        return arg.text if arg.kind != "json" else json.dumps(value, ensure_ascii=False)
    return value
