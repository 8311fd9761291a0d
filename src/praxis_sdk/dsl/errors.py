"""The DSL's syntax error: every problem of a script, each with its line and column."""

from __future__ import annotations

from typing import Any

from praxis_sdk.errors import InvalidInput


def problem(line: int, column: int, text: str, expected: list[str], message: str) -> dict[str, Any]:
    """One problem as the API lists it: `{line, column, text, expected, message}`."""
    return {"line": line, "column": column, "text": text, "expected": expected,
            "message": message}


class DSLSyntaxError(InvalidInput):
    """A script that does not parse; `problems` (also `details["problems"]`) lists them all."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        problems = sorted(problems, key=lambda p: (p.get("line") or 0, p.get("column") or 0))
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"line {first.get('line', 1)}, column {first.get('column', 1)}: "
            f"{first['message']}{more}",
            details={"problems": problems},
        )
        self.problems = problems
        self.calls: list[Any] = []  # the CALL lines that did parse, to check them too
