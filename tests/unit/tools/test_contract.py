"""Contract loading (config list, folder, seed style) and the arguments' JSON Schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from praxis_sdk.errors import ConfigError
from praxis_sdk.tools.contract import (
    load_contract_file,
    load_contracts,
    load_contracts_dir,
    parse_contract,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "contracts"
REPO_TOOLS = Path(__file__).parents[3] / "tools"
SHIPPED = {"calculator", "word_counter", "text_analyzer", "json_formatter", "file_merger",
           "system_info"}


def test_seed_style_contract_loads_unchanged() -> None:
    contract = load_contract_file(FIXTURES / "greeter_with_passthrough.yaml")
    assert contract.engine == "dagger"
    assert [p.required for p in contract.params] == [True, False, False]
    assert contract.expose is False
    spec = contract.engine_spec
    assert spec.command == ["python", "/tools/greeter/main.py"]
    assert spec.mounts == {"./shared": "/shared", "./tools": "/tools"}
    assert spec.env == {"GREETING": "hello", "RETRIES": "3"}
    assert spec.env_passthrough == ["GREETER_TOKEN"]
    assert (spec.timeout, spec.memory, spec.cpus, spec.network) == (30, "128m", 0.5, "none")
    assert spec.model_extra == {"labels": {"team": "tools"}}


def test_shipped_tools_load_from_folder() -> None:
    contracts = load_contracts_dir(REPO_TOOLS)
    assert {c.name for c in contracts} == SHIPPED
    for contract in contracts:
        assert contract.origin == f"tools/{contract.name}/contract.yaml"
        assert contract.engine_spec.image == "python:3.11-slim"
        assert contract.engine_spec.command == ["python", f"/tools/{contract.name}/main.py"]


def test_config_list_loads_and_folder_missing_is_empty(tmp_path: Path) -> None:
    items = [
        {"name": "a", "engine": "sandbox", "engineSpec": {"command": ["true"]}},
        {"name": "b", "params": [{"name": "x", "type": "integer", "required": "yes"}]},
    ]
    contracts = load_contracts(items)
    assert [c.origin for c in contracts] == ["agent.tools[0]", "agent.tools[1]"]
    assert contracts[1].engine is None
    assert load_contracts_dir(tmp_path / "absent") == []


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"description": "no name"}, "agent.tools[0]: name: Field required"),
        ({"name": "bad name!"}, "agent.tools[0]: name: String should match"),
        ({"name": "t", "engine": "podman"}, "agent.tools[0]: engine: Input should be"),
        ({"name": "t", "params": [{"name": "x", "type": "text"}]},
         "agent.tools[0]: params.0.type: Input should be"),
        ({"name": "t", "params": [{"name": "x", "required": "maybe"}]},
         "agent.tools[0]: params.0.required"),
        ({"name": "t", "params": [{"name": "x"}, {"name": "x"}]}, "declared twice"),
        ({"name": "t", "engineSpec": {"mounts": {"./s": "shared"}}},
         "engineSpec.mounts: mount target for './s' must be an absolute path"),
        ({"name": "t", "engineSpec": {"timeout": -1}}, "engineSpec.timeout"),
        ("just a string", "agent.tools[0]: a tool contract must be a mapping"),
    ],
)
def test_bad_contracts_name_the_field(data: object, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_contracts([data])
    assert fragment in caught.value.message


def test_folder_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "tools" / "broken").mkdir(parents=True)
    (tmp_path / "tools" / "broken" / "contract.yaml").write_text("name: x\nparams: [\n")
    (tmp_path / "tools" / "typo").mkdir()
    (tmp_path / "tools" / "typo" / "contract.yaml").write_text("name: t\nexpose: perhaps\n")
    with pytest.raises(ConfigError) as caught:
        load_contracts_dir(tmp_path / "tools")
    problems = caught.value.details["errors"]
    assert problems[0].startswith("tools/broken/contract.yaml: line ")
    assert problems[1].startswith("tools/typo/contract.yaml: expose:")
    assert str(tmp_path) not in caught.value.message


def test_input_schema_keeps_order_and_forbids_extras() -> None:
    contract = load_contract_file(FIXTURES / "greeter_with_passthrough.yaml")
    spec = contract.to_spec("agent-1")
    assert (spec.provider, spec.source, spec.engine, spec.expose) == (
        "agent-1", "local", "dagger", False)
    assert spec.param_names == ["name", "times", "loud"]
    assert spec.input_schema == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Who to greet"},
            "times": {"type": "integer", "description": "How many times"},
            "loud": {"type": "boolean"},
        },
        "additionalProperties": False,
        "required": ["name"],
    }


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"name": "ann"}, None),
        ({"name": "ann", "times": 2, "loud": True}, None),
        ({}, "'name' is a required property"),
        ({"name": 5}, "5 is not of type 'string'"),
        ({"name": "ann", "times": "two"}, "'two' is not of type 'integer'"),
        ({"name": "ann", "loud": "yes"}, "'yes' is not of type 'boolean'"),
        ({"name": "ann", "colour": "red"}, "Additional properties are not allowed"),
    ],
)
def test_arguments_are_checked_against_the_schema(arguments: dict, problem: str | None) -> None:
    schema = load_contract_file(FIXTURES / "greeter_with_passthrough.yaml").input_schema()
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(arguments)]
    if problem is None:
        assert errors == []
    else:
        assert any(problem in e for e in errors), errors


def test_array_param_items_and_defaults() -> None:
    contract = parse_contract(
        {"name": "m", "params": [
            {"name": "files", "type": "array", "items": {"type": "string"}, "required": True},
            {"name": "sep", "default": "\n"},
        ]},
        "inline",
    )
    schema = contract.input_schema()
    assert schema["properties"]["files"]["items"] == {"type": "string"}
    assert contract.with_defaults({"files": ["a"]}) == {"sep": "\n", "files": ["a"]}
