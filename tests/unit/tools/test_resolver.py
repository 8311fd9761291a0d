"""Engine resolution order, refusals that name what was tried, and the concurrency limit."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from praxis_sdk.config import ExecutionConfig
from praxis_sdk.errors import Busy, NotAllowed, Unavailable
from praxis_sdk.tools.contract import parse_contract
from praxis_sdk.tools.engines import EngineResolver, default_engines
from praxis_sdk.tools.engines.dagger import dagger_status
from praxis_sdk.tools.pyfunc import python_tool

CONTAINER = {"name": "c", "engine": "docker",
             "engineSpec": {"image": "python:3.11-slim", "command": ["true"]}}


def resolver_for(tmp_path: Path, **execution) -> EngineResolver:
    config = ExecutionConfig(docker_host="unix:///nonexistent/docker.sock", **execution)
    return EngineResolver(config, tmp_path)


async def test_container_contract_falls_through_to_sandbox(tmp_path: Path) -> None:
    resolver = resolver_for(tmp_path)
    engine = await resolver.resolve(parse_contract(CONTAINER, "inline"))
    assert engine.name == "sandbox"


async def test_unavailable_lists_every_engine_tried(tmp_path: Path) -> None:
    resolver = resolver_for(tmp_path, engines=["dagger", "docker", "local"])
    with pytest.raises(Unavailable) as caught:
        await resolver.resolve(parse_contract(CONTAINER, "inline"))
    tried = caught.value.details["tried"]
    assert list(tried) == ["dagger", "docker", "local"]
    assert tried["dagger"] == "Dagger cannot cut a container's network (the contract asks for none)"
    assert "no Docker daemon answers" in tried["docker"]
    assert tried["local"] == "execution.allow_unsandboxed is false"
    assert "tried dagger:" in caught.value.message


async def test_dagger_reports_why_quickly(tmp_path: Path) -> None:
    engines = default_engines(ExecutionConfig(), tmp_path)
    with anyio.fail_after(1):
        assert await engines["dagger"].available() is False
    assert engines["dagger"].reason.startswith(("dagger-io is not installed", "no Dagger"))


async def test_local_contract_needs_allow_unsandboxed(tmp_path: Path) -> None:
    contract = parse_contract({"name": "l", "engine": "local",
                               "engineSpec": {"command": ["echo", "hi"]}}, "inline")
    with pytest.raises(NotAllowed, match="allow_unsandboxed"):
        await resolver_for(tmp_path).run(contract, {})
    result = await resolver_for(tmp_path, allow_unsandboxed=True).run(contract, {})
    assert (result.ok, result.engine, result.text) == (True, "local", "hi\n")


async def test_default_engine_applies_when_contract_names_none(tmp_path: Path) -> None:
    contract = parse_contract({"name": "d", "engineSpec": {"command": ["true"]}}, "inline")
    resolver = resolver_for(tmp_path, default_engine="sandbox")
    assert (await resolver.resolve(contract)).name == "sandbox"


async def test_remote_mcp_is_not_run_here(tmp_path: Path) -> None:
    contract = parse_contract({"name": "r", "engine": "remote-mcp",
                               "engineSpec": {"address": "http://127.0.0.1:1/mcp"}}, "inline")
    with pytest.raises(Unavailable, match="MCP provider"):
        await resolver_for(tmp_path).resolve(contract)


async def test_concurrency_is_limited_and_busy_after_the_deadline(tmp_path: Path) -> None:
    resolver = resolver_for(tmp_path, max_concurrent=2)
    running = peak = 0
    release = anyio.Event()

    async def hold() -> str:
        """Holds a slot until released."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        return "done"

    contract = python_tool(hold)
    results = []

    async def one() -> None:
        results.append(await resolver.run(contract, {}, timeout=10))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(one)
            while running < 2:
                await anyio.sleep(0.01)
            with pytest.raises(Busy, match="slots stayed busy"):
                await resolver.run(contract, {}, timeout=0.2)
            release.set()
    assert peak == 2
    assert [r.ok for r in results] == [True] * 4


async def test_dagger_is_asked_only_for_networked_contracts(tmp_path: Path) -> None:
    resolver = resolver_for(tmp_path, engines=["dagger"])
    networked = {**CONTAINER, "engineSpec": {**CONTAINER["engineSpec"], "network": "bridge"}}
    with pytest.raises(Unavailable) as caught:
        await resolver.resolve(parse_contract(networked, "inline"))
    assert caught.value.details["tried"] == {"dagger": dagger_status()[1]}
