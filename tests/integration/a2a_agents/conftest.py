"""`spawn_agent` with a start-up allowance for libp2p on a busy machine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess, agent_config, start_agent

START_WAIT_S = 60


@pytest.fixture
def spawn_agent(tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    started: list[AgentProcess] = []

    def spawn(name: str = "agent-a", *, env: dict[str, str] | None = None,
              **sections: dict[str, Any]) -> AgentProcess:
        agent = start_agent(tmp_path / name, agent_config(tmp_path / name, name, **sections),
                            env=env, wait=START_WAIT_S)
        started.append(agent)
        return agent

    yield spawn
    for agent in started:
        agent.stop()
