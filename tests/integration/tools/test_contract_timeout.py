"""A contract's own `timeout` is the limit its tool runs under, CPU time included."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.support.agents import AgentProcess

SLEEPER = {"name": "sleeper", "engine": "sandbox", "params": [],
           "engineSpec": {"command": ["sh", "-c", "sleep 30"], "timeout": 2}}
CPU_LIMIT = {"name": "cpu_limit", "engine": "sandbox", "params": [],
             "engineSpec": {"command": ["sh", "-c", "ulimit -t"], "timeout": 5}}


def invoke(agent: AgentProcess, tool: str, **body: object) -> tuple[dict, float]:
    started = time.monotonic()
    reply = httpx.post(f"{agent.url}/tools/{tool}/invoke", json={"arguments": {}, **body},
                       timeout=90)
    assert reply.status_code == 200, reply.text
    return reply.json(), time.monotonic() - started


def test_contract_timeout_kills_at_its_own_value(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    agent = spawn_agent("timeouts", agent={"tools": [SLEEPER, CPU_LIMIT]},
                        execution={"default_timeout": 60})
    result, elapsed = invoke(agent, "sleeper")
    assert not result["ok"] and result["error"]["code"] == "timeout", result
    assert "timed out after 2s" in result["error"]["message"]
    assert 1.9 < elapsed < 8, elapsed

    # A caller asking for longer does not lift the tool's own limit; shorter wins.
    result, elapsed = invoke(agent, "sleeper", timeout_s=40)
    assert "timed out after 2s" in result["error"]["message"] and elapsed < 8
    result, elapsed = invoke(agent, "sleeper", timeout_s=1)
    assert "timed out after 1s" in result["error"]["message"] and elapsed < 6

    # The CPU-seconds rlimit is derived from the contract's 5 s (x 1 cpu, + 1), not 60 s.
    result, _ = invoke(agent, "cpu_limit")
    assert result["ok"], result
    assert result["content"][0]["text"].strip() == "6"
