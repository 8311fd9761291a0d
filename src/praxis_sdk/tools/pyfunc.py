"""Python functions as tools: a contract built from type hints and a Google-style docstring.

    def word_count(text: str, unique: bool = False) -> dict:
        '''Counts the words of a text.

        Args:
            text: The text to count.
            unique: Count each distinct word once.
        '''

`python_tool(word_count)` gives a contract with engine `python`, parameters `text`
(string, required) and `unique` (boolean, default false), and the function attached.
"""

from __future__ import annotations

import collections.abc
import enum
import importlib
import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import Any

from praxis_sdk.errors import ConfigError
from praxis_sdk.tools.contract import EngineSpec, ToolContract, ToolParam

SIMPLE_TYPES: dict[Any, str] = {
    str: "string", int: "integer", float: "number", bool: "boolean",
    dict: "object", list: "array", tuple: "array", set: "array", frozenset: "array",
    collections.abc.Mapping: "object", collections.abc.MutableMapping: "object",
    collections.abc.Sequence: "array", collections.abc.MutableSequence: "array",
    collections.abc.Iterable: "array", collections.abc.Set: "array",
}
SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Returns|Yields|Raises|Examples?|Notes?):\s*$")
ARG_LINE = re.compile(r"^(\s*)\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    """`X | None` -> (X, True)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) < len(typing.get_args(hint)) and len(args) == 1:
            return args[0], True
    return hint, False


def hint_schema(hint: Any) -> dict[str, Any]:
    """JSON Schema bits (`type`, `enum`, `items`) for a type hint; unknown hints allow strings."""
    hint, _ = _strip_optional(hint)
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is typing.Literal:
        values = list(typing.get_args(hint))
        kinds = {hint_schema(type(v))["type"] for v in values}
        return {"type": kinds.pop() if len(kinds) == 1 else "string", "enum": values}
    if inspect.isclass(hint) and issubclass(hint, enum.Enum):
        return {"type": "string", "enum": [m.value for m in hint]}
    origin = typing.get_origin(hint) or hint
    kind = SIMPLE_TYPES.get(origin, "string")
    schema: dict[str, Any] = {"type": kind}
    args = typing.get_args(hint)
    if kind == "array" and args and args[-1] is not Ellipsis:
        schema["items"] = hint_schema(args[0])
    return schema


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(summary, {param: description}) from a Google-style docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    section, current, indent = None, None, None
    for line in lines:
        heading = SECTION.match(line)
        if heading:
            section, current, indent = heading.group(1), None, None
            continue
        if section is None:
            if not line.strip() and summary:
                section = "body"
            elif line.strip():
                summary.append(line.strip())
            continue
        if section not in ("Args", "Arguments", "Parameters"):
            continue
        match = ARG_LINE.match(line)
        if match and (indent is None or len(match.group(1)) <= indent):
            indent, current = len(match.group(1)), match.group(2)
            params[current] = match.group(3).strip()
        elif current and line.strip():
            params[current] = f"{params[current]} {line.strip()}".strip()
    return " ".join(summary), params


def function_params(func: Callable[..., Any]) -> list[ToolParam]:
    """The function's parameters as contract parameters, in signature order."""
    signature = inspect.signature(func)
    hints = typing.get_type_hints(func, include_extras=True)
    _, docs = parse_docstring(func.__doc__)
    params = []
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema = hint_schema(hints.get(name, str))
        has_default = param.default is not inspect.Parameter.empty
        params.append(
            ToolParam(
                name=name,
                type=schema["type"],
                description=docs.get(name, ""),
                required=not has_default,
                default=param.default if has_default else None,
                enum=schema.get("enum"),
                items=schema.get("items"),
            )
        )
    return params


def python_tool(
    func: Callable[..., Any],
    name: str | None = None,
    description: str | None = None,
    expose: bool = True,
) -> ToolContract:
    """A contract (engine `python`) for `func`, with the function attached to run it."""
    summary, _ = parse_docstring(func.__doc__)
    entrypoint = f"{func.__module__}:{func.__qualname__}"
    contract = ToolContract(
        name=name or func.__name__,
        description=description if description is not None else summary,
        engine="python",
        params=function_params(func),
        engine_spec=EngineSpec(entrypoint=entrypoint),
        expose=expose,
    )
    contract._function = func
    contract._origin = entrypoint
    return contract


def load_entrypoint(spec: str) -> Callable[..., Any]:
    """`package.module:function` (or `module:Class.method`) -> the callable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"entrypoint {spec!r} must look like package.module:function")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"entrypoint {spec!r}: cannot import {module_name!r}: {exc}") from None
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ConfigError(f"entrypoint {spec!r}: {module_name!r} has no {attr!r}")
    if not callable(target):
        raise ConfigError(f"entrypoint {spec!r} is not callable")
    return target


def bind_function(contract: ToolContract) -> ToolContract:
    """Attach the entrypoint's function to a `python` contract loaded from YAML/config.

    When the contract declares no params, they come from the function's type hints.
    """
    if contract.function is not None:
        return contract
    if not contract.engine_spec.entrypoint:
        raise ConfigError(
            f"{contract.origin or contract.name}: engineSpec.entrypoint is required "
            "for engine python"
        )
    func = load_entrypoint(contract.engine_spec.entrypoint)
    if not contract.params:
        contract.params = function_params(func)
    if not contract.description:
        contract.description = parse_docstring(func.__doc__)[0]
    contract._function = func
    return contract
