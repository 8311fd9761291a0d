"""Runs and their tasks survive an agent restart; a run cut off by a crash is failed."""

from __future__ import annotations

import signal
from typing import Any

from tests.integration.workflows.wf_helpers import get, post, sections
from tests.support.waiting import wait_until


def test_results_visible_after_restart(spawn_agent: Any) -> None:
    agent = spawn_agent("keep", **sections())
    task = post(agent, "/execute", {"dsl": 'CALL calculator "3*3" AS nine'}).json()
    assert task["state"] == "completed"
    run_id = task["result"]["run_id"]
    before = get(agent, f"/workflows/{run_id}").json()
    assert agent.stop() == 0

    again = spawn_agent("keep", **sections())  # same folder and database, new ports
    assert get(again, f"/tasks/{task['id']}").json() == task
    after = get(again, f"/workflows/{run_id}").json()
    assert after == before
    assert after["nodes"][0]["result"]["structured"] == {"expression": "3*3", "result": 9}
    listed = get(again, "/workflows").json()["items"]
    assert [(r["id"], r["task_id"], r["status"]) for r in listed] == [
        (run_id, task["id"], "completed")]


def test_run_cut_off_by_a_crash_is_failed(spawn_agent: Any) -> None:
    agent = spawn_agent("crash", **sections())
    task = post(agent, "/execute", {"dsl": "CALL sleeper 30"}, wait="false").json()
    run_id = task["meta"]["run_id"]
    wait_until(lambda: get(agent, f"/workflows/{run_id}").json()["nodes"][0]["status"]
             == "running", what="the step running")
    agent.proc.send_signal(signal.SIGKILL)
    agent.proc.wait(10)

    again = spawn_agent("crash", **sections())
    run = get(again, f"/workflows/{run_id}").json()
    assert run["status"] == "failed"
    assert run["error"]["message"] == "agent restarted"
    stored = get(again, f"/tasks/{task['id']}").json()
    assert stored["state"] == "failed" and stored["error"]["code"] == "interrupted"
