"""`tools/schemas.py`: the flat-schema fast path never accepts what jsonschema refuses."""

from __future__ import annotations

import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from praxis_sdk.tools import schemas
from praxis_sdk.tools.schemas import flat_shape

VALUES: list[Any] = ["", "x", "a", 0, 1, -3, 1.0, 2.5, True, False, None, [], [1, 2], ["a"],
                    [1, "a"], {}, {"k": 1}, [[1]], [True], float("inf")]
TYPES = [*schemas.SIMPLE_TYPES, None]


def random_property(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    prop: dict[str, Any] = {}
    kind = rng.choice(TYPES)
    if kind is not None:
        prop["type"] = kind
    if rng.random() < 0.25:
        prop["enum"] = rng.sample(["a", "x", 1, 0, True, False, None, 1.0, 2.5], k=3)
    if kind == "array" and depth < 2 and rng.random() < 0.5:
        prop["items"] = random_property(rng, depth + 1)
    if rng.random() < 0.3:
        prop["description"] = "a value"
    return prop


def random_schema(rng: random.Random) -> dict[str, Any]:
    names = rng.sample(["a", "b", "c", "d"], k=rng.randint(0, 4))
    schema: dict[str, Any] = {"type": "object",
                              "properties": {n: random_property(rng) for n in names}}
    if names and rng.random() < 0.7:
        schema["required"] = rng.sample(names, k=rng.randint(1, len(names)))
    if rng.random() < 0.6:
        schema["additionalProperties"] = rng.random() < 0.3
    return schema


def random_arguments(rng: random.Random) -> dict[str, Any]:
    names = rng.sample(["a", "b", "c", "d", "e"], k=rng.randint(0, 5))
    return {n: rng.choice(VALUES) for n in names}


def test_the_fast_path_agrees_with_jsonschema_whenever_it_answers() -> None:
    rng = random.Random(12)
    answered = 0
    for _ in range(600):
        schema = random_schema(rng)
        shape = flat_shape(schema)
        assert shape is not None, schema  # every schema made here is flat
        validator = Draft202012Validator(schema)
        for _ in range(40):
            arguments = random_arguments(rng)
            if shape.ok(arguments):
                answered += 1
                assert validator.is_valid(arguments), (schema, arguments)
            assert schemas.checks(schema).is_valid(arguments) == \
                validator.is_valid(arguments), (schema, arguments)
    assert answered > 2_000  # the fast path does answer the usual cases


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "string", "minLength": 2}}},
    {"type": "object", "properties": {"a": {"type": ["string", "null"]}}},
    {"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}},
    {"type": "object", "properties": {"a": True}},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"type": "object", "required": "a"},
    {"type": "object", "properties": []},
    {"type": "array"},
    {"type": "object", "properties": {"a": {"type": "string", "items": {"type": "string"}}}},
    {"type": "object", "properties": {"a": {"enum": [{"k": 1}]}}},
    {"anyOf": [{"type": "object"}]},
])
def test_schemas_beyond_the_flat_ones_go_to_jsonschema(schema: dict[str, Any]) -> None:
    assert flat_shape(schema) is None


def test_values_jsonschema_accepts_in_its_own_way_still_pass() -> None:
    """1.0 is an integer and 1 equals 1.0 to jsonschema; the fast path leaves those to it."""
    check = schemas.checks({"type": "object", "properties": {
        "n": {"type": "integer"}, "e": {"enum": [1]}}})
    assert check.shape is not None
    assert not check.shape.ok({"n": 1.0}) and check.is_valid({"n": 1.0})
    assert not check.shape.ok({"e": 1.0}) and check.is_valid({"e": 1.0})
    assert not check.is_valid({"e": True}) and not check.is_valid({"n": True})


def test_the_contracts_own_schemas_take_the_fast_path() -> None:
    from praxis_sdk.tools.contract import ToolContract

    contract = ToolContract.model_validate({
        "name": "t", "description": "d", "engine": "python",
        "params": [{"name": "text", "type": "string", "required": "true"},
                   {"name": "mode", "type": "string", "enum": ["a", "b"]},
                   {"name": "tags", "type": "array", "items": {"type": "string"}}]})
    shape = flat_shape(contract.input_schema())
    assert shape is not None
    assert shape.ok({"text": "x", "mode": "a", "tags": ["u"]})
    assert not shape.ok({"text": "x", "other": 1})  # additionalProperties: false


def test_a_plan_check_remembers_by_type_only_what_types_decide() -> None:
    """An `enum` value that passed does not let another value of its type pass later."""
    from praxis_sdk.runner.validate import ArgumentChecker
    from praxis_sdk.tools.spec import ToolSpec

    spec = ToolSpec(name="t", description="d", source="local", provider="p", input_schema={
        "type": "object", "properties": {"mode": {"type": "string", "enum": ["a", "b"]}}})
    checker = ArgumentChecker()
    assert checker.problems(spec, {"mode": "a"}, set()) == []
    assert checker.problems(spec, {"mode": "z"}, set()) == [
        "argument 'mode': 'z' is not one of ['a', 'b']"]
