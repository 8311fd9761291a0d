"""Checks a plan before anything runs and lists every problem.

Unknown tools (with close matches), arguments that break the tool's input schema
(values holding references are checked at run time instead), duplicate ids, dependencies
on missing steps, cycles, bad conditions, and `$names` no earlier step defines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from typing import Any

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.errors import NotFound, PraxisError
from praxis_sdk.runner.conditions import condition_names, names_in
from praxis_sdk.runner.plan import Lookup, Plan, PlanInvalid, Step
from praxis_sdk.tools import schemas
from praxis_sdk.tools.spec import ToolSpec


class Specs:
    """Caches `lookup` answers (and not-found errors) for one validation."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._seen: dict[tuple[str, str | None], ToolSpec | PraxisError] = {}

    def get(self, tool: str, provider: str | None) -> ToolSpec | PraxisError:
        key = (tool, provider)
        if key not in self._seen:
            try:
                self._seen[key] = self._lookup(tool, provider)
            except PraxisError as exc:
                self._seen[key] = exc
        return self._seen[key]


class ArgumentChecker:
    """Schema checks of plan arguments (`tools/schemas.py`), remembering what passed."""

    def __init__(self) -> None:
        self._passed: set[tuple[Any, ...]] = set()

    def problems(self, spec: ToolSpec, arguments: dict[str, Any],
                 deferred: Collection[str] | None = None) -> list[str]:
        """One readable line per problem; reference-valued arguments (`deferred`, found
        here unless given) count as present."""
        if deferred is None:
            deferred = {k for k, v in arguments.items() if names_in(v)}
        shape = schemas.checks(spec.input_schema).shape
        signature = None
        if shape is not None and shape.by_type:
            # the answer depends only on names and value types: remember what passed (the
            # names are strings and the types are not, so the flat tuple reads one way
            # only; the shape in it keeps its identity from being reused)
            signature = (shape, *arguments, *map(type, arguments.values()), *deferred)
            if signature in self._passed:
                return []
        concrete = {k: v for k, v in arguments.items() if k not in deferred}
        if shape is not None and shape.ok(concrete, deferred):
            if signature is not None:
                self._passed.add(signature)
            return []
        schema = spec.input_schema
        out = [f"missing required argument {name!r}" for name in schema.get("required", [])
               if isinstance(name, str) and name not in arguments]
        relaxed = {k: v for k, v in schema.items() if k != "required"}
        for err in sorted(schemas.validator(relaxed).iter_errors(concrete),
                          key=lambda e: [str(p) for p in e.path]):
            where = ".".join(str(p) for p in err.absolute_path)
            out.append(f"argument {where!r}: {err.message}" if where else err.message)
        return out


def problems(plan: Plan, lookup: Lookup, checker: ArgumentChecker | None = None
             ) -> list[dict[str, Any]]:
    """Every problem of `plan`, in step order; empty when it may run."""
    specs, checker = Specs(lookup), checker or ArgumentChecker()
    found: list[dict[str, Any]] = []
    ids = {s.id for s in plan.steps}
    refs = {s.id: names_in(s.arguments) for s in plan.steps}
    seen: set[str] = set()
    for step in plan.steps:
        if step.id in seen:
            found.append(_problem(step, f"step id {step.id!r} is used twice"))
        seen.add(step.id)
        found.extend(_problem(step, f"step {step.id!r} depends on unknown step {dep!r}")
                     for dep in step.depends_on if dep not in ids)
        if step.tool is not None:
            found.extend(tool_problems(step, specs.get(step.tool, step.provider), checker,
                                       None if refs[step.id] else set()))
    cycle = find_cycle(plan)
    if cycle:
        found.append({"step": cycle[0], "steps": cycle,
                      "message": "the steps form a cycle: " + " -> ".join(cycle + cycle[:1])})
    else:
        found.extend(reference_problems(plan, refs))
    return found


def check(plan: Plan, lookup: Lookup) -> Plan:
    """`plan` if it may run; else `PlanInvalid` with every problem."""
    found = problems(plan, lookup)
    if found:
        raise PlanInvalid(found)
    return plan


def _problem(step: Step, message: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"step": step.id}
    if step.line is not None:
        out["line"] = step.line
    if step.tool:
        out["tool"] = step.tool
    return out | extra | {"message": message}


def tool_problems(step: Step, spec: ToolSpec | PraxisError, checker: ArgumentChecker,
                  deferred: Collection[str] | None = None) -> list[dict[str, Any]]:
    """An unknown tool, or arguments that break its schema (`deferred`: those holding
    references, checked at run time; found here unless given)."""
    if isinstance(spec, NotFound):
        return [_problem(step, spec.message,
                         suggestions=list(spec.details.get("suggestions") or []))]
    if isinstance(spec, PraxisError):
        return [_problem(step, spec.message)]
    return [_problem(step, f"{step.tool}: {text}")
            for text in checker.problems(spec, step.arguments, deferred=deferred)]


def find_cycle(plan: Plan) -> list[str]:
    """The ids of one cycle (in order), or [] when the steps form a DAG."""
    ids = {s.id for s in plan.steps}
    deps = {s.id: [d for d in s.depends_on if d in ids] for s in plan.steps}
    indegree = {i: len(d) for i, d in deps.items()}
    users: dict[str, list[str]] = {i: [] for i in deps}
    for step_id, ds in deps.items():
        for dep in ds:
            users[dep].append(step_id)
    ready = deque(i for i, n in indegree.items() if n == 0)
    while ready:
        for user in users[ready.popleft()]:
            indegree[user] -= 1
            if indegree[user] == 0:
                ready.append(user)
    left = {i for i, n in indegree.items() if n > 0}
    if not left:
        return []
    node, path = next(iter(sorted(left))), []
    while node not in path:  # every node left has a dependency left: walk back until repeat
        path.append(node)
        node = next(d for d in deps[node] if d in left)
    cycle = list(reversed(path[path.index(node):]))  # in run order: each waits for the last
    first = cycle.index(min(cycle))
    return cycle[first:] + cycle[:first]


def reference_problems(plan: Plan, refs: dict[str, set[str]]) -> list[dict[str, Any]]:
    """`$names` (in arguments, `refs`, and conditions) that no earlier step defines."""
    producers: dict[str, list[str]] = {}
    for step in plan.steps:
        if step.output:
            producers.setdefault(step.output, []).append(step.id)
    pending = [(step, refs[step.id]) for step in plan.steps
               if refs[step.id] or step.condition is not None]
    return unmet_references(pending, producers, plan.steps)


def unmet_references(pending: list[tuple[Step, AbstractSet[str]]], producers: dict[str, list[str]],
                     steps: list[Step]) -> list[dict[str, Any]]:
    """The problems of `pending`, the steps whose argument names (given with each) or
    condition may use a `$name` that `producers` (name -> step ids, of all `steps`) does
    not define before them."""
    by_id: dict[str, Step] = {}  # built when a step does not wait for a producer directly
    found = []
    for step, refs in pending:
        names, bad = _names(step, refs)
        if bad is not None:
            found.append(bad)
        for name in sorted(names):
            targets = producers.get(name)
            if targets is None:
                found.append(_problem(step, f"${name} is not defined (no step has AS {name})"))
                continue
            if any(target in step.depends_on for target in targets):
                continue
            by_id = by_id or {s.id: s for s in steps}
            if not _waits_for(step, set(targets), by_id):
                found.append(_problem(step, f"${name} is used before the step that defines it"))
    return found


def _names(step: Step, names: AbstractSet[str]
           ) -> tuple[AbstractSet[str], dict[str, Any] | None]:
    if step.condition is None:
        return names, None
    try:
        return names | condition_names(step.condition), None
    except DSLSyntaxError as exc:
        return names, _problem(step, f"bad condition {step.condition!r}: {exc.message}")


def _waits_for(step: Step, targets: set[str], by_id: dict[str, Step]) -> bool:
    """Whether `step` runs after one of `targets` (directly, or through other steps)."""
    if targets & set(step.depends_on):
        return True
    seen, queue = set(step.depends_on), deque(step.depends_on)
    while queue:
        node = by_id.get(queue.popleft())
        for dep in node.depends_on if node else ():
            if dep in targets:
                return True
            if dep not in seen:
                seen.add(dep)
                queue.append(dep)
    return False
