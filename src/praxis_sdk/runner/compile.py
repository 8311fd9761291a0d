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
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from typing import Any

from praxis_sdk.dsl.ast import Arg, Block, Call, If, Statement
from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.dsl.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_STEPS
from praxis_sdk.errors import PraxisError
from praxis_sdk.runner.conditions import condition_names, names_by_argument, names_in
from praxis_sdk.runner.plan import Lookup, Plan, PlanInvalid, Step
from praxis_sdk.runner.validate import (
    ArgumentChecker,
    Specs,
    tool_problems,
    unmet_references,
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
        from praxis_sdk.dsl.parser import parse  # lark loads at the first compile

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
    # the compiler checked each step's tool and arguments, and the names its arguments
    # use that an earlier step defines; its ids and order are sound
    found = compiler.problems + unmet_references(compiler.pending, compiler.producers,
                                                 compiler.steps)
    return plan, found


def _condition(terms: tuple[str, ...]) -> str | None:
    """The conditions of the IF branches around a step as one flat `and` chain (not nested,
    so that the depth of IFs does not add up to the depth of one condition)."""
    if len(terms) < 2:
        return terms[0] if terms else None
    return " and ".join(f"({term})" for term in terms)


Tool = tuple[ToolSpec | PraxisError, dict[str, list[str]] | None, list[str], frozenset[str]]
NO_NAMES: frozenset[str] = frozenset()


class _Compiler:
    def __init__(self, specs: Specs, rest_of_line_tools: frozenset[str]) -> None:
        self.specs = specs
        self.checker = ArgumentChecker()
        self.rest_of_line_tools = rest_of_line_tools
        self.steps: list[Step] = []
        self.problems: list[dict[str, Any]] = []
        self.producers: dict[str, list[str]] = {}
        # (tool, provider) -> (spec or its error, parameter types, parameters in order,
        # string parameters): looked up once per compile, not once per step
        self.tools: dict[tuple[str, str | None], Tool] = {}
        # the steps whose references the pass after planning checks, each with the
        # result names its arguments use that no earlier step defines (the others are
        # met: the step waits for their producers directly), and every step with a condition
        self.pending: list[tuple[Step, AbstractSet[str]]] = []

    def statements(self, body: list[Statement], deps: list[str], cond: tuple[str, ...]
                   ) -> list[str]:
        condition = _condition(cond)
        call = self.call
        for statement in body:
            deps = ([call(statement, deps, condition)] if type(statement) is Call
                    else self.statement(statement, deps, cond))
        return deps

    def statement(self, st: Statement, deps: list[str], cond: tuple[str, ...]) -> list[str]:
        if isinstance(st, Call):
            return [self.call(st, deps, _condition(cond))]
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

    def call(self, call: Call, deps: list[str], condition: str | None) -> str:
        steps = self.steps
        step_id = f"s{len(steps) + 1}"
        key = (call.tool, call.provider)
        tool = self.tools.get(key)
        if tool is None:
            tool = self.tools[key] = self._tool(call.tool, call.provider)
        spec, types, params, strings = tool
        if types is None:  # an unknown tool: its arguments as written, for the references
            arguments = {name: arg.value for name, arg in call.named.items()}
        else:
            arguments = self._arguments(call, params, types, strings)
        by_argument = names_by_argument(arguments)
        if by_argument:
            names: set[str] = (next(iter(by_argument.values())) if len(by_argument) == 1
                               else set().union(*by_argument.values()))
            step = Step.trusted(  # every field built here with its type: no validation
                step_id, call.tool, call.provider, arguments,
                self._with_producers(deps, names), condition, call.alias, call.line,
                [k for k in by_argument if k in strings])
            producers = self.producers
            unmet = {name for name in names if name not in producers}
            if unmet or condition is not None:
                self.pending.append((step, unmet))
        else:
            step = Step.trusted(step_id, call.tool, call.provider, arguments, list(deps),
                                condition, call.alias, call.line, [])
            if condition is not None:
                self.pending.append((step, NO_NAMES))
        steps.append(step)
        # arguments holding references (the keys of by_argument) are checked at run time
        if types is None or self.checker.problems(spec, arguments, by_argument):
            self.problems.extend(tool_problems(step, spec, self.checker, by_argument))
        if call.alias:
            self.producers.setdefault(call.alias, []).append(step_id)
        return step_id

    def _tool(self, name: str, provider: str | None) -> Tool:
        spec = self.specs.get(name, provider)
        if isinstance(spec, PraxisError):
            return spec, None, [], frozenset()
        types = {param: _types(spec, param) for param in spec.param_names}
        strings = frozenset(param for param, kinds in types.items() if "string" in kinds)
        return spec, types, list(types), strings

    def _with_producers(self, deps: list[str], names: set[str]) -> list[str]:
        producers = self.producers
        if len(names) == 1:  # the common case
            extra = producers.get(next(iter(names)), [])
        else:
            extra = [p for name in sorted(names) for p in producers.get(name, [])]
        return list(dict.fromkeys(deps + extra)) if extra else list(deps)

    def _arguments(self, call: Call, params: list[str], types: dict[str, list[str]],
                   strings: frozenset[str]) -> dict[str, Any]:
        # text into a string parameter stays as it is: the common case, without _coerce
        named = call.named
        positional = call.positional
        args: dict[str, Any] = {}
        if named:
            for name, arg in named.items():
                value = arg.value
                args[name] = (value if name in strings and type(value) is str
                              else _coerce(arg, types.get(name, [])))
            if not positional:
                return args
            free = [p for p in params if p not in named]
        elif len(positional) == 1 and params:  # one argument
            name = params[0]
            arg = positional[0]
            value = arg.value
            args[name] = (value if name in strings and type(value) is str
                          else _coerce(arg, types[name]))
            return args
        else:
            free = params
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
            value = arg.value
            args[name] = (value if name in strings and type(value) is str
                          else _coerce(arg, types[name]))
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
