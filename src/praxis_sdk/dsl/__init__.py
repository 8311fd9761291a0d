"""The workflow DSL (INTERFACES 6): syntax only. `parse` gives the tree;
`praxis_sdk.runner.compile.compile_dsl` turns a script into a checked Plan."""

from praxis_sdk.dsl.errors import DSLSyntaxError
from praxis_sdk.dsl.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_STEPS, MAX_NESTING
from praxis_sdk.dsl.parser import parse

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_STEPS", "MAX_NESTING", "DSLSyntaxError", "parse"]
