"""A2A tasks survive `kill -9`: every accepted task is found afterwards, in a final state."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
from a2a.types.a2a_pb2 import GetTaskRequest, TaskState

from tests.integration.a2a_agents.a2a_helpers import sdk_client, send, text_message, tools_section
from tests.support.agents import AgentProcess, agent_config, start_agent
from tests.support.p2p_agents import ENV
from tests.support.waiting import wait_until

Spawn = Callable[..., AgentProcess]
RUNNING = 50


async def test_fifty_running_tasks_after_kill_9_end_failed_with_a_reason(
        tmp_path: Path) -> None:
    config = agent_config(tmp_path / "p", "persist-a", agent=tools_section(),
                          execution={"max_active_runs": RUNNING + 5})
    agent = start_agent(tmp_path / "p", config, env=ENV)
    try:
        async with sdk_client(agent, streaming=False) as client:
            [done] = await send(client, text_message("CALL describe abc 2"))
            assert done.task.status.state == TaskState.TASK_STATE_COMPLETED
            started = [(await send(client, text_message("CALL b_slow 120"),
                                   immediately=True))[0].task.id for _ in range(RUNNING)]

        def working() -> bool:
            page = httpx.get(f"{agent.url}/tasks", params={"state": "working", "limit": 100})
            return page.json()["total"] == RUNNING

        wait_until(working, 60, f"{RUNNING} tasks working")
        agent.proc.send_signal(signal.SIGKILL)
        agent.proc.wait(10)
    finally:
        agent.stop()

    again = start_agent(tmp_path / "p", config, env=ENV)
    try:
        async with sdk_client(again, streaming=False) as client:
            for task_id in started:
                task = await client.get_task(GetTaskRequest(id=task_id))
                assert task.status.state == TaskState.TASK_STATE_FAILED, task_id
                assert "agent restarted" in task.status.message.parts[0].text
                row = httpx.get(f"{again.url}/tasks/{task_id}").json()
                assert row["state"] == "failed"
                assert row["error"]["message"] == "agent restarted"
            kept = await client.get_task(GetTaskRequest(id=done.task.id))
        assert kept.status.state == TaskState.TASK_STATE_COMPLETED
        assert list(kept.artifacts) == list(done.task.artifacts)
        assert kept.artifacts[0].parts[1].data.struct_value["structured"]["text"] == "abcabc"
        with httpx.stream("GET", f"{again.url}/events", headers={"Last-Event-ID": "0"},
                          params={"types": "tasksRecovered"}, timeout=10) as events:
            for line in events.iter_lines():
                if line.startswith("data:"):
                    frame = json.loads(line[5:])
                    if frame.get("type") == "tasksRecovered":
                        break
        assert frame["payload"]["count"] == RUNNING
        assert frame["payload"]["reason"] == "agent restarted"
    finally:
        again.stop()
