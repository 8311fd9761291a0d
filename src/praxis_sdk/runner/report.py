"""Readable text of a run's result (the task result of `WorkflowService`), for people."""

from __future__ import annotations

import json
import re
from typing import Any

DSL_START = re.compile(
    r"(call|parallel|sequence|if|else|end_parallel|end_sequence|end_if|endif|end)(?![^\s#])",
    re.IGNORECASE,
)
MAX_TEXT = 2000


def looks_like_dsl(text: str) -> bool:
    """Whether the first statement line starts with a DSL keyword."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return DSL_START.match(stripped) is not None
    return False


def _output(result: dict[str, Any]) -> str:
    structured = result.get("structured")
    if structured is not None:
        text = json.dumps(structured, ensure_ascii=False, indent=2)
    else:
        text = "\n".join(str(c.get("text", "")) for c in result.get("content") or [])
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"... ({len(text)} chars)"


def step_lines(step_id: str, step: dict[str, Any]) -> list[str]:
    """`s1 calculator: completed (12 ms, sandbox)` and the step's output, indented."""
    result = step.get("result") or {}
    facts = []
    if result.get("duration_ms") is not None and result:
        facts.append(f"{result['duration_ms']:.0f} ms")
    if result.get("engine"):
        facts.append(str(result["engine"]))
    if (step.get("attempts") or 0) > 1:
        facts.append(f"{step['attempts']} attempts")
    head = f"{step_id} {step.get('tool')}: {step.get('status')}"
    lines = [head + (f" ({', '.join(facts)})" if facts else "")]
    if step.get("status") == "completed" and result:
        lines += ["    " + line for line in _output(result).splitlines()]
    elif step.get("error"):
        lines.append(f"    error: {step['error'].get('message')}")
    return lines


def result_lines(result: dict[str, Any] | None) -> list[str]:
    """Every step of a run result, then its status (and error)."""
    if not result:
        return ["(no result)"]
    lines: list[str] = []
    for step_id, step in (result.get("steps") or {}).items():
        lines += step_lines(step_id, step)
    status = result.get("status", "unknown")
    error = result.get("error")
    tail = f"workflow {status}"
    if error:
        tail += f": {error.get('message') if isinstance(error, dict) else error}"
    return [*lines, tail]
