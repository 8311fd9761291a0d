"""Schemathesis against /openapi.json of a real agent process: no input gets a 500.

Every operation is fuzzed with valid (positive) and invalid (negative) input, bounded to
fit CI: `EXAMPLES` cases per operation and mode, and `BUDGET_S` for the whole run.
`/p2p/connect` and `/p2p/tool` dial peers: a 502/503/504 there is about the network,
not the input, so on those two only a 500 fails. This node has no LLM, and a
plain-language `/execute` or `/plan` says so with 503 `unavailable` (INTERFACES 3); that
answer is counted apart. The figures are printed at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.agents import AgentProcess, agent_config, start_agent

EXAMPLES = 30
BUDGET_S = 80.0
NETWORK_ROUTES = {"/p2p/connect", "/p2p/tool"}
NETWORK_CODES = {502, 503, 504}
NO_LLM = "plain-language requests need an LLM"
LLM_ROUTES = {"/execute", "/plan"}
STREAMING = "/events"  # an SSE stream never ends: its status alone says nothing


def fuzz_operation(operation, mode: GenerationMode, agent: AgentProcess,  # noqa: ANN001
                   figures: Counter[str], problems: list[str], deadline: float) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        if time.monotonic() > deadline:
            return
        response = case.call(base_url=agent.url, timeout=30)
        figures["requests"] += 1
        status = response.status_code
        if status < 500:
            return
        figures["5xx"] += 1
        if case.path in NETWORK_ROUTES and status in NETWORK_CODES:
            figures["network_5xx"] += 1
            return
        if case.path in LLM_ROUTES and status == 503 and NO_LLM in response.text:
            figures["no_llm_503"] += 1
            return
        problems.append(f"{case.method} {case.formatted_path} {mode.value} -> {status}: "
                        f"{response.text[:300]}")

    try:
        check()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
        figures["no_negative"] += 1


def test_no_input_gets_a_server_error(tmp_path: Path) -> None:
    home = tmp_path / "fuzzed"
    config = agent_config(home, "fuzzed", execution={"engines": ["sandbox"]},
                          p2p={"enabled": True, "connection_timeout": 2.0,
                               "request_timeout": 3.0})
    agent = start_agent(home, config, wait=60)
    figures: Counter[str] = Counter()
    problems: list[str] = []
    deadline = time.monotonic() + BUDGET_S
    try:
        schema = schemathesis.openapi.from_url(f"{agent.url}/openapi.json", timeout=10)
        operations = [r.ok() for r in schema.exclude(path=STREAMING).get_all_operations()]
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz_operation(operation, mode, agent, figures, problems, deadline)
        health = agent.proc.poll()
    finally:
        agent.stop()
    print(f"\nschemathesis: {len(operations)} operations, {figures['requests']} requests, "
          f"{figures['5xx']} 5xx ({figures['network_5xx']} network 5xx on /p2p dial routes, "
          f"{figures['no_llm_503']} no-LLM 503 on /execute and /plan), {len(problems)} failures")
    assert health is None, "the agent died under fuzzing"
    assert figures["requests"] >= len(operations)
    assert problems == [], "\n".join(problems[:20])
