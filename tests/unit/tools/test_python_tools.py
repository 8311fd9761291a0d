"""Python functions as tools: schema from hints and docstring; the python engine runs them."""

from __future__ import annotations

import threading

import anyio
import pytest

from praxis_sdk.config import ExecutionConfig
from praxis_sdk.errors import ConfigError
from praxis_sdk.tools.contract import parse_contract
from praxis_sdk.tools.engines import EngineResolver
from praxis_sdk.tools.engines.python import PythonEngine
from praxis_sdk.tools.local import LocalToolProvider
from praxis_sdk.tools.pyfunc import parse_docstring, python_tool

from . import sample_functions as fns

ENTRY = f"{fns.__name__}"


def test_schema_from_hints_and_google_docstring() -> None:
    spec = python_tool(fns.add).to_spec("me")
    assert spec.description == "Adds two numbers."
    assert spec.engine == "python"
    assert spec.input_schema == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "The first number."},
            "b": {"type": "integer", "description": "The second number, two by default.",
                  "default": 2},
        },
        "additionalProperties": False,
        "required": ["a"],
    }


def test_schema_for_containers_literals_and_optionals() -> None:
    schema = python_tool(fns.describe, name="desc", expose=False).input_schema()
    props = schema["properties"]
    assert props["items"] == {"type": "array", "description": "The items.",
                              "items": {"type": "string"}}
    assert props["mode"] == {"type": "string", "description": "How much to say.",
                             "default": "short", "enum": ["short", "long"]}
    assert props["scale"] == {"type": "number"}
    assert props["options"] == {"type": "object"}
    assert props["flag"] == {"type": "boolean", "default": False}
    assert schema["required"] == ["items"]


def test_docstring_sections_are_not_the_summary() -> None:
    summary, params = parse_docstring(fns.describe.__doc__)
    assert summary == "Describes items."
    assert params == {"items": "The items.", "mode": "How much to say."}


async def test_sync_and_async_functions_run_with_the_same_result_shape() -> None:
    engine = PythonEngine()
    result = await engine.run(python_tool(fns.add), {"a": 40}, timeout=5)
    assert (result.ok, result.engine, result.text, result.structured) == (
        True, "python", "42", None)
    result = await engine.run(python_tool(fns.describe), {"items": ["x", "y"]}, timeout=5)
    assert result.structured == {"count": 2, "mode": "short"}


async def test_blocking_function_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def where() -> str:
        """Reports its thread."""
        seen.append(threading.get_ident())
        return "ok"

    result = await PythonEngine().run(python_tool(where), {}, timeout=5)
    assert result.ok and seen and seen[0] != loop_thread


@pytest.mark.parametrize("func", [fns.blocking_sleep, fns.async_sleep])
async def test_timeout_returns_at_the_deadline(func) -> None:
    with anyio.fail_after(3):
        result = await PythonEngine().run(python_tool(func), {"seconds": 30}, timeout=0.3)
    assert not result.ok
    assert result.error.code == "timeout"
    assert result.duration_ms < 2000


async def test_exception_becomes_a_failed_result() -> None:
    result = await PythonEngine().run(python_tool(fns.broken), {"reason": "no disk"}, timeout=5)
    assert not result.ok
    assert result.error.code == "tool_failed"
    assert "RuntimeError: no disk" in result.error.message


async def test_entrypoint_contract_and_provider() -> None:
    resolver = EngineResolver(ExecutionConfig(), ".")
    contract = parse_contract(
        {"name": "adder", "engine": "python", "engineSpec": {"entrypoint": f"{ENTRY}:add"}},
        "agent.tools[0]",
    )
    provider = LocalToolProvider("agent-1", resolver, [contract])
    provider.add_python_tool(fns.describe, name="describe_items", description="Describes.")
    specs = {spec.name: spec for spec in provider.tools()}
    assert specs["adder"].description == "Adds two numbers."
    assert specs["adder"].param_names == ["a", "b"]
    assert specs["describe_items"].description == "Describes."
    result = await provider.call(specs["adder"], {"a": 1}, None)
    assert (result.ok, result.text, result.provider, result.engine, result.tool) == (
        True, "3", "agent-1", "python", "adder")


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("no_colon", "must look like package.module:function"),
        ("not_a_module_xyz:f", "cannot import 'not_a_module_xyz'"),
        (f"{ENTRY}:missing", "has no 'missing'"),
    ],
)
def test_bad_entrypoints_fail_at_registration(entrypoint: str, message: str) -> None:
    resolver = EngineResolver(ExecutionConfig(), ".")
    contract = parse_contract(
        {"name": "t", "engine": "python", "engineSpec": {"entrypoint": entrypoint}}, "inline"
    )
    with pytest.raises(ConfigError) as caught:
        LocalToolProvider("agent-1", resolver, [contract])
    assert message in caught.value.message


def test_name_clash_is_reported() -> None:
    resolver = EngineResolver(ExecutionConfig(), ".")
    provider = LocalToolProvider("agent-1", resolver)
    provider.add_python_tool(fns.add)
    with pytest.raises(ConfigError, match="clashes"):
        provider.add_python_tool(fns.describe, name="add")
