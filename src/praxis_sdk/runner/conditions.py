"""References to earlier results and the safe evaluation of conditions (no eval).

In plan arguments, a string that is exactly `$name`, `$name.path.0` or `${name.path}` is
replaced by that value (keeping its type); inside a longer string each reference is
replaced by its text; `$$` is a literal dollar. `$name` is the result's structured
content when it has some, else its text; a path walks the structured content (keys,
list indexes) and may also name a field of the result itself (`ok`, `text`, `error`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any

from praxis_sdk.errors import InvalidInput
from praxis_sdk.tools.result import ToolResult

if TYPE_CHECKING:
    from praxis_sdk.dsl.expr import Expr

REF = re.compile(r"\$\$|\$\{([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)\}|\$([A-Za-z_][\w\-]*(?:\.\w+)*)")
# REF with only the result's name in a group (the part before the first dot), for
# `findall`: the names an argument uses without a match object per reference
REF_NAMES = re.compile(
    r"\$\$|\$\{([A-Za-z_][\w\-]*)(?:\.[\w\-]+)*\}|\$([A-Za-z_][\w\-]*)(?:\.\w+)*")
RESULT_FIELDS = ("ok", "text", "error", "tool", "provider", "engine", "duration_ms", "structured")

Results = Mapping[str, ToolResult]


def split_ref(ref: str) -> tuple[str, list[str]]:
    name, *path = ref.split(".")
    return name, path


def whole_ref(value: str) -> str | None:
    """`name.path` when `value` is exactly one reference, else None."""
    if not value.startswith("$"):
        return None
    match = REF.fullmatch(value)
    return (match.group(1) or match.group(2)) if match else None


def names_in(value: Any) -> set[str]:
    """The result names an argument value (string, list, object) refers to."""
    if isinstance(value, str) and "$" not in value:
        return set()
    found: set[str] = set()
    if isinstance(value, dict):  # the common case: flat arguments of plain strings
        for item in value.values():
            if not isinstance(item, str) or "$" in item:
                _collect(item, found)
    else:
        _collect(value, found)
    return found


def names_by_argument(arguments: dict[str, Any]) -> dict[str, set[str]]:
    """For each argument that refers to results, the result names it uses."""
    out: dict[str, set[str]] = {}
    for key, value in arguments.items():
        if isinstance(value, str):
            if "$" not in value:
                continue
            found = _text_names(value)
        elif isinstance(value, dict | list):
            found = set()
            _collect(value, found)
        else:
            continue
        if found:
            out[key] = found
    return out


def _text_names(text: str) -> set[str]:
    # each match fills one group (none for `$$`): the non-empty strings are the names
    return set(filter(None, chain.from_iterable(REF_NAMES.findall(text))))


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if "$" in value:
            found |= _text_names(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def has_refs(value: Any) -> bool:
    return bool(names_in(value))


def resolve(value: Any, results: Results) -> Any:
    """`value` with every reference replaced; `InvalidInput` names a missing one."""
    if isinstance(value, str):
        if "$" not in value:
            return value
        ref = whole_ref(value)
        if ref is not None:
            return lookup(ref, results)
        return REF.sub(lambda m: _text(m, results), value)
    if isinstance(value, dict):
        return {key: resolve(item, results) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, results) for item in value]
    return value


def _text(match: re.Match[str], results: Results) -> str:
    ref = match.group(1) or match.group(2)
    return "$" if ref is None else as_text(lookup(ref, results))


def as_text(value: Any) -> str:
    """How a value reads inside a string: text as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def lookup(ref: str, results: Results) -> Any:
    name, path = split_ref(ref)
    if name not in results:
        raise InvalidInput(f"${name} has no result (its step did not run)",
                           details={"reference": ref})
    result = results[name]
    if not path:
        return result.structured if result.structured is not None else result.text
    value: Any = result.structured
    first = path[0]
    if not _has(value, first) and first in RESULT_FIELDS:
        value = result.model_dump(mode="json") | {"text": result.text}
    for i, key in enumerate(path):
        if not _has(value, key):
            where = ".".join([name, *path[:i]])
            raise InvalidInput(f"${ref}: the result of ${where} has no field {key!r}",
                               details={"reference": ref})
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def _has(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value
    if isinstance(value, list) and key.lstrip("-").isdigit():
        return -len(value) <= int(key) < len(value)
    return False


# ---------------------------------------------------------------- conditions


@lru_cache(maxsize=1024)
def condition_tree(text: str) -> Expr:
    from praxis_sdk.dsl.expr import parse_condition  # lark loads at the first condition

    return parse_condition(text)


def condition_names(text: str) -> set[str]:
    """Result names a condition refers to (raises `DSLSyntaxError` if it does not parse)."""
    found: set[str] = set()
    _tree_names(condition_tree(text), found)
    return found


def _tree_names(node: Expr, found: set[str]) -> None:
    if node[0] == "value":
        _collect(node[1], found)
    else:
        for child in node[1:]:
            if isinstance(child, tuple):
                _tree_names(child, found)


def evaluate(text: str, results: Results) -> bool:
    """Whether the condition holds; `InvalidInput` for a missing reference or a bad compare,
    `DSLSyntaxError` (line:column in `text`) for a condition that does not parse or nests
    too deep, so the recursion below stays within MAX_NESTING levels."""
    return bool(_eval(condition_tree(text), results))


def _eval(node: Expr, results: Results) -> Any:
    kind = node[0]
    if kind == "value":
        return resolve(node[1], results)
    if kind == "not":
        return not _eval(node[1], results)
    if kind == "and":
        return all(_eval(child, results) for child in node[1:])
    if kind == "or":
        return any(_eval(child, results) for child in node[1:])
    return compare(node[1], _eval(node[2], results), _eval(node[3], results))


def compare(op: str, left: Any, right: Any) -> bool:
    left, right = _numbers(left, right)
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if not (_is_number(left) and _is_number(right)) and not (
        isinstance(left, str) and isinstance(right, str)
    ):
        raise InvalidInput(f"cannot compare {_kind(left)} {op} {_kind(right)}",
                           details={"left": as_text(left), "right": as_text(right)})
    ops = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}
    return ops[op]


def _numbers(left: Any, right: Any) -> tuple[Any, Any]:
    """A numeric string next to a number compares as a number (`"120" > 100`)."""
    if _is_number(left) and isinstance(right, str):
        return left, _to_number(right)
    if _is_number(right) and isinstance(left, str):
        return _to_number(left), right
    return left, right


def _to_number(text: str) -> Any:
    try:
        return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", str: "text", dict: "object", list: "array"}.get(
        type(value), "number")
