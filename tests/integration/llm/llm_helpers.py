"""Agents with an LLM for the planner tests: configs, tools, metrics."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.agents import AgentProcess, agent_config, start_agent
from tests.support.p2p_agents import ENV

# A key unique to this test run, so finding it anywhere is never a coincidence.
KEY = f"sk-praxis-test-{uuid.uuid4().hex}"


def llm_tool(name: str) -> dict[str, Any]:
    """An `agent.tools` entry running `tests.support.llm_tools:<name>` in the agent."""
    return {"name": name, "engine": "python",
            "engineSpec": {"entrypoint": f"tests.support.llm_tools:{name}"}}


def start(home: Path, name: str, **sections: dict[str, Any]) -> AgentProcess:
    """An agent process that can import the test tools."""
    return start_agent(home / name, agent_config(home / name, name, **sections), env=ENV,
                       wait=60)


def tool_calls(agent: AgentProcess, tool: str) -> float:
    """How often `tool` ran on `agent` (its `praxis_tool_calls_total`, all outcomes)."""
    text = httpx.get(f"{agent.url}/metrics", headers=agent.headers(), timeout=10).text
    pattern = re.compile(r'^praxis_tool_calls_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
    return sum(float(value) for labels, value in pattern.findall(text)
               if f'tool="{tool}"' in labels)


def task_total(agent: AgentProcess) -> int:
    reply = httpx.get(f"{agent.url}/tasks", headers=agent.headers(), timeout=10)
    return int(reply.json()["total"])
