"""The workflow DSL (INTERFACES 6): syntax only. `parse` gives the tree;
`praxis_sdk.runner.compile.compile_dsl` turns a script into a checked Plan.

The parser (lark, about 1.3 MiB) loads at the first script or condition parsed, not
with the package: an idle agent has parsed none."""

from typing import Any

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.dsl.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_STEPS, MAX_NESTING

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_STEPS", "MAX_NESTING", "DSLSyntaxError", "parse"]


def __getattr__(name: str) -> Any:
    if name == "parse":
        from praxis_sdk.dsl.parser import parse

        return parse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
