"""Arguments against a tool's input schema: flat schemas checked without jsonschema.

Most tools take a flat object: `properties` of plain types (maybe with `enum`, or
`items` of a plain type), `required`, `additionalProperties`. `FlatShape` says whether
arguments certainly satisfy such a schema in a microsecond or two, where jsonschema takes
20 to 35 us. It never says yes to what jsonschema would refuse; whatever it cannot vouch
for goes to jsonschema (Draft 2020-12), which also words the errors.

One cache per process serves the catalog and the plan checks: `checks(schema)` finds a
long-lived schema by identity on the hot path; `validator(schema)` finds a checked
validator by the schema's JSON, so equal schemas share one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema loads at the first schema that is not flat
    from jsonschema import Draft202012Validator

Check = Callable[[Any], bool]

# Each is stricter than or equal to jsonschema's type of that name (1.0 is an "integer"
# to jsonschema, not here: such a value just goes to jsonschema).
SIMPLE_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}
ANNOTATIONS = {"description", "title", "default", "examples", "$comment", "deprecated"}
FLAT_SCHEMA_KEYS = {"type", "properties", "required", "additionalProperties", "$schema",
                    *ANNOTATIONS}
FLAT_PROPERTY_KEYS = {"type", "enum", "items", *ANNOTATIONS}
ENUM_TYPES = (str, int, float, bool, type(None))
MAX_SCHEMAS = 4096  # schemas remembered by identity, and validators by JSON; cleared when full


class FlatShape:
    """A flat object schema as plain checks: per-property checks, required names, and
    whether other names are refused. `by_type`: the answer depends only on the argument
    names and the types of their values (no `enum`, no `items`), so it may be remembered
    by those."""

    __slots__ = ("checks", "required", "closed", "by_type")

    def __init__(self, checks: dict[str, Check], required: tuple[str, ...], closed: bool,
                 by_type: bool) -> None:
        self.checks, self.required, self.closed = checks, required, closed
        self.by_type = by_type

    def ok(self, arguments: dict[str, Any], present: Collection[str] = ()) -> bool:
        """True when `arguments` certainly satisfy the schema (names in `present` count
        as given); False when jsonschema must decide."""
        for name in self.required:
            if name not in arguments and name not in present:
                return False
        checks = self.checks
        for key, value in arguments.items():
            check = checks.get(key)
            if check is None:
                if self.closed:
                    return False
            elif not check(value):
                return False
        return True


def flat_shape(schema: Any) -> FlatShape | None:
    """The `FlatShape` of `schema`, or None when it is not flat (jsonschema decides)."""
    if not isinstance(schema, dict) or not set(schema) <= FLAT_SCHEMA_KEYS \
            or schema.get("type", "object") != "object":
        return None
    closed = not schema.get("additionalProperties", True)
    required = schema.get("required", [])
    properties = schema.get("properties", {})
    if not isinstance(schema.get("additionalProperties", True), bool) \
            or not isinstance(required, list) \
            or not all(isinstance(name, str) for name in required) \
            or not isinstance(properties, dict):
        return None
    checks = {}
    for name, prop in properties.items():
        check = _property_check(prop)
        if check is None:
            return None
        checks[name] = check
    by_type = not any("enum" in prop or "items" in prop for prop in properties.values())
    return FlatShape(checks, tuple(required), closed, by_type)


def _property_check(prop: Any) -> Check | None:
    if not isinstance(prop, dict) or not set(prop) <= FLAT_PROPERTY_KEYS:
        return None
    parts = []
    if "type" in prop:
        kind = prop["type"]
        if not isinstance(kind, str) or kind not in SIMPLE_TYPES:
            return None
        parts.append(SIMPLE_TYPES[kind])
    if "enum" in prop:
        allowed = prop["enum"]
        if not isinstance(allowed, list) or not all(type(e) in ENUM_TYPES for e in allowed):
            return None
        members = frozenset((type(e), e) for e in allowed)
        parts.append(lambda v: type(v) in ENUM_TYPES and (type(v), v) in members)
    if "items" in prop:
        item = _property_check(prop["items"])
        if item is None or prop.get("type") != "array":
            return None
        parts.append(lambda v: all(item(x) for x in v))
    if not parts:
        return lambda v: True
    if len(parts) == 1:
        return parts[0]
    return lambda v: all(part(v) for part in parts)


class SchemaChecks:
    """What is known about one schema: its `FlatShape` (or None) and, at first need, its
    checked jsonschema validator."""

    __slots__ = ("schema", "shape", "_validator")

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema  # the reference keeps the schema's id valid in the cache
        self.shape = flat_shape(schema)
        self._validator: Draft202012Validator | None = None

    def is_valid(self, arguments: dict[str, Any]) -> bool:
        return (self.shape is not None and self.shape.ok(arguments)) \
            or self.validator.is_valid(arguments)

    @property
    def validator(self) -> Draft202012Validator:
        if self._validator is None:
            self._validator = validator(self.schema)
        return self._validator


_by_identity: dict[int, SchemaChecks] = {}
_validators: dict[str, Draft202012Validator] = {}


def checks(schema: dict[str, Any]) -> SchemaChecks:
    """The `SchemaChecks` of a long-lived schema (a tool spec's), found by identity."""
    found = _by_identity.get(id(schema))
    if found is not None and found.schema is schema:
        return found
    if len(_by_identity) >= MAX_SCHEMAS:
        _by_identity.clear()
    found = _by_identity[id(schema)] = SchemaChecks(schema)
    return found


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator of `schema`, checked once against the meta-schema (that
    costs milliseconds); a schema that is not valid checks only that it gets an object."""
    key = json.dumps(schema, sort_keys=True, default=str)
    found = _validators.get(key)
    if found is None:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
            found = Draft202012Validator(schema)
        except SchemaError:
            found = Draft202012Validator({"type": "object"})
        if len(_validators) >= MAX_SCHEMAS:
            _validators.clear()
        _validators[key] = found
    return found
