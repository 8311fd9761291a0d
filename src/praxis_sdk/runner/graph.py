"""`plan_from_graph`: a drawn workflow `{nodes, edges}` (WebSocket EXECUTE_WORKFLOW) to a Plan.

Accepted node shapes (fields may sit at the top of the node or in its `data`; `data` wins):

- tool: `tool`, `toolName`, `tool_name` (`name@agent` pins the provider)
- provider: `provider`, `agent`, `peer`
- arguments: `arguments`, `args`, `params`, `parameters`, `inputs`, `input` (an object)
- condition: `condition`, `if` (DSL condition text); depends: `depends_on`, `dependsOn`
- retry: `retry` (attempts as a number, or `{attempts, backoff_s, factor, max_backoff_s}`)
  or `retries` (extra attempts); timeout: `timeout`, `timeout_s`, `timeoutSeconds`
- output name: `output`, `as`, `outputName`, `output_name`; by default the node id
  (when it is a name), so `$<node id>.field` refers to a node's result
- a node of type start/end/input/output/trigger/begin/finish without a tool is a marker

Edges: `{source, target}` or `{from, to}`. References to other nodes' results add the
matching dependencies, so edges for them are optional.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.runner.conditions import condition_names, names_in
from praxis_sdk.runner.plan import IDENTIFIER, Lookup, Plan, PlanInvalid, Retry, Step, split_tool

TOOL_KEYS = ("tool", "toolName", "tool_name")
PROVIDER_KEYS = ("provider", "agent", "peer")
ARGUMENT_KEYS = ("arguments", "args", "params", "parameters", "inputs", "input")
CONDITION_KEYS = ("condition", "if")
DEPENDS_KEYS = ("depends_on", "dependsOn")
TIMEOUT_KEYS = ("timeout", "timeout_s", "timeoutSeconds")
OUTPUT_KEYS = ("output", "as", "outputName", "output_name")
MARKER_TYPES = {"start", "end", "input", "output", "trigger", "begin", "finish"}


def plan_from_graph(graph: Any, lookup: Lookup | None = None) -> Plan:
    """Build (and, given `lookup`, check) the plan of a graph; `PlanInvalid` lists problems."""
    if isinstance(graph, dict) and isinstance(graph.get("workflow"), dict):
        graph = graph["workflow"]
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        raise PlanInvalid([{"message": "a workflow needs a list of nodes (and edges)"}])
    problems: list[dict[str, Any]] = []
    steps = [s for i, n in enumerate(graph["nodes"]) if (s := _step(n, i, problems))]
    _edges(graph.get("edges") or [], steps, problems)
    _reference_edges(steps)
    plan = Plan(steps=steps, source="graph")
    if lookup is not None:  # what the good nodes get wrong too, so that all is listed at once
        from praxis_sdk.runner.validate import problems as plan_problems

        problems += plan_problems(plan, lookup)
    if problems:
        raise PlanInvalid(problems)
    return plan


def _field(node: dict[str, Any], keys: tuple[str, ...]) -> Any:
    data = node.get("data") if isinstance(node.get("data"), dict) else {}
    for source in (data, node):
        for key in keys:
            if source.get(key) is not None:
                return source[key]
    return None


def _step(node: Any, index: int, problems: list[dict[str, Any]]) -> Step | None:
    if not isinstance(node, dict) or node.get("id") in (None, ""):
        problems.append({"node": index, "message": f"node {index} needs an id"})
        return None
    node_id = str(node["id"])
    tool = _field(node, TOOL_KEYS)
    kind = str(node.get("type") or "").lower()
    if tool is None and kind not in MARKER_TYPES:
        problems.append({"step": node_id, "message": f"node {node_id!r} names no tool"})
        return None
    arguments = _field(node, ARGUMENT_KEYS) or {}
    if not isinstance(arguments, dict):
        problems.append({"step": node_id, "message": f"node {node_id!r}: arguments must be "
                         "an object"})
        return None
    name, provider = split_tool(str(tool), _field(node, PROVIDER_KEYS)) if tool else (None, None)
    output = _field(node, OUTPUT_KEYS) or (node_id if IDENTIFIER.match(node_id) else None)
    depends = _field(node, DEPENDS_KEYS) or []
    try:
        return Step(
            id=node_id, tool=name, provider=provider, arguments=arguments,
            depends_on=[str(d) for d in depends] if isinstance(depends, list) else [],
            condition=_field(node, CONDITION_KEYS), retry=_retry(node),
            timeout=_field(node, TIMEOUT_KEYS), output=output,
        )
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append({"step": node_id, "message": f"node {node_id!r}: {where}: "
                             f"{err['msg']}"})
        return None


def _retry(node: dict[str, Any]) -> Retry | dict[str, Any] | None:
    retry = _field(node, ("retry",))
    if isinstance(retry, bool):
        return Retry(attempts=3) if retry else None
    if isinstance(retry, int):
        return Retry(attempts=retry)
    if retry is None and isinstance(_field(node, ("retries",)), int):
        return Retry(attempts=_field(node, ("retries",)) + 1)
    return retry


def _edges(edges: Any, steps: list[Step], problems: list[dict[str, Any]]) -> None:
    by_id = {s.id: s for s in steps}
    if not isinstance(edges, list):
        problems.append({"message": "edges must be a list"})
        return
    for i, edge in enumerate(edges):
        source = edge.get("source", edge.get("from")) if isinstance(edge, dict) else None
        target = edge.get("target", edge.get("to")) if isinstance(edge, dict) else None
        if source is None or target is None:
            problems.append({"edge": i, "message": f"edge {i} needs a source and a target"})
            continue
        missing = [str(e) for e in (source, target) if str(e) not in by_id]
        if missing:
            problems.append({"edge": i, "message": f"edge {i} ({source} -> {target}) names "
                             f"no such node: {', '.join(missing)}"})
            continue
        deps = by_id[str(target)].depends_on
        if str(source) not in deps:
            deps.append(str(source))


def _reference_edges(steps: list[Step]) -> None:
    producers: dict[str, list[str]] = {}
    for step in steps:
        if step.output:
            producers.setdefault(step.output, []).append(step.id)
    for step in steps:
        names = names_in(step.arguments)
        if step.condition:
            with contextlib.suppress(DSLSyntaxError):  # reported by validation
                names |= condition_names(step.condition)
        for name in sorted(names):
            for producer in producers.get(name, []):
                if producer != step.id and producer not in step.depends_on:
                    step.depends_on.append(producer)
