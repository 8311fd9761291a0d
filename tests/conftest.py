"""Shared fixtures: real agent processes in temporary folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess, agent_config, start_agent
from tests.support.llm_server import ScriptedLLM


@pytest.fixture
def spawn_agent(tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    """`spawn_agent("a", http={...})` starts an agent process; all are stopped afterwards."""
    started: list[AgentProcess] = []

    def spawn(name: str = "agent-a", *, env: dict[str, str] | None = None,
              **sections: dict[str, Any]) -> AgentProcess:
        agent = start_agent(tmp_path / name, agent_config(tmp_path / name, name, **sections),
                            env=env)
        started.append(agent)
        return agent

    yield spawn
    for agent in started:
        agent.stop()


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    """A scripted OpenAI-compatible server for one test; `llm=scripted_llm.config()` in
    `spawn_agent` points an agent at it (see tests/support/llm_server.py)."""
    with ScriptedLLM() as llm:
        yield llm
