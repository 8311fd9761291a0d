"""Runs on a real agent with the shipped tools in the sandbox: order, overlap, conditions,
variables, retries, timeouts, cancellation and the bound on active runs."""

from __future__ import annotations

from typing import Any

from tests.integration.workflows.wf_helpers import WS, get, node_events, post, sections
from tests.integration.workflows.wf_helpers import ws_connect as connect
from tests.support.waiting import wait_until


def first(events: list[tuple[str, str]], item: tuple[str, str]) -> int:
    return events.index(item)


async def test_parallel_steps_overlap_and_dependencies_hold(spawn_agent: Any) -> None:
    agent = spawn_agent("par", **sections())
    script = "\n".join([
        'CALL calculator "6*7" AS a',
        "PARALLEL",
        "  CALL sleeper 0.4 AS p1",
        "  CALL sleeper 0.4 AS p2",
        "END",
        'CALL calculator "$a.result + 1" AS b',
    ])
    async with connect(agent) as conn:
        ws = WS(conn)
        await ws.send("DSL_COMMAND", {"command": script})
        result = await ws.until(lambda f: f["type"] == "dslResult")
    stages = [f["payload"]["stage"] for f in ws.frames if f["type"] == "dslProgress"]
    assert stages == ["parse", "validate", "run"]
    run_id = next(f["payload"]["workflowId"] for f in ws.frames
                  if f["type"] == "dslProgress" and f["payload"]["stage"] == "run")
    frames = ws.of(run_id)
    assert frames[0]["type"] == "workflowStart"
    assert [n["id"] for n in frames[0]["payload"]["nodes"]] == ["s1", "s2", "s3", "s4"]
    assert frames[-1]["type"] == "workflowComplete"
    events = node_events(frames)
    # both parallel steps were running before either of them completed
    assert max(first(events, ("s2", "running")), first(events, ("s3", "running"))) < min(
        first(events, ("s2", "completed")), first(events, ("s3", "completed")))
    # dependencies: the parallel block after s1, s4 after both parallel steps
    assert first(events, ("s1", "completed")) < first(events, ("s2", "running"))
    assert max(first(events, ("s2", "completed")), first(events, ("s3", "completed"))) < first(
        events, ("s4", "running"))
    payload = result["payload"]
    assert payload["success"] is True and payload["command"] == script
    assert payload["result"]["outputs"]["b"] == {"expression": "42 + 1", "result": 43}
    assert payload["result"]["steps"]["s2"]["result"]["engine"] == "sandbox"
    assert ws.frames.index(result) > ws.frames.index(frames[-1])  # dslResult comes last


def test_conditions_both_ways_and_variables(spawn_agent: Any) -> None:
    agent = spawn_agent("cond", **sections())
    script = "\n".join([
        'CALL calculator "{expr}" AS v',
        "IF $v.result > 5 and not $v.result == 100",
        '  CALL word_counter --text "big $v.result here" AS big',
        "ELSE",
        '  CALL word_counter --text "small" AS small',
        "END",
    ])
    for expr, ran, skipped, words in (("2*3", "s2", "s3", 3), ("1+1", "s3", "s2", 1)):
        task = post(agent, "/execute", {"dsl": script.format(expr=expr)}).json()
        assert task["kind"] == "dsl" and task["state"] == "completed", task
        steps = task["result"]["steps"]
        assert steps[ran]["status"] == "completed" and steps[skipped]["status"] == "skipped"
        assert steps[ran]["result"]["structured"]["words"] == words
    assert steps["s3"]["result"]["structured"]["characters"] == len("small")


def test_retries_and_timeouts(spawn_agent: Any) -> None:
    agent = spawn_agent("retry", **sections())
    graph = {
        "nodes": [
            {"id": "flaky", "tool": "flaky", "arguments": {"key": "k", "failures": "2"},
             "retry": {"attempts": 3, "backoff_s": 0.05}},
            {"id": "once", "tool": "flaky", "arguments": {"key": "j", "failures": "1"}},
            {"id": "slow", "tool": "sleeper", "arguments": {"seconds": "10"}, "timeout": 0.5},
            {"id": "after", "tool": "calculator", "arguments": {"expression": "1"}},
        ],
        "edges": [{"source": "slow", "target": "after"}, {"source": "once", "target": "after"}],
    }
    response = post(agent, "/workflows", graph, wait="true")
    assert response.status_code == 202, response.text
    run = response.json()
    nodes = {n["id"]: n for n in run["nodes"]}
    assert nodes["flaky"]["status"] == "completed" and nodes["flaky"]["attempts"] == 3
    assert "ok after 3" in nodes["flaky"]["result"]["content"][0]["text"]
    assert nodes["once"]["status"] == "failed" and nodes["once"]["attempts"] == 1
    assert nodes["slow"]["status"] == "failed"
    assert nodes["slow"]["error"]["code"] == "timeout"
    assert nodes["after"]["status"] == "skipped"
    assert run["status"] == "failed"
    task = get(agent, f"/tasks/{run['task_id']}").json()
    assert task["kind"] == "workflow" and task["state"] == "failed"
    assert task["result"]["steps"]["flaky"]["attempts"] == 3


def test_cancel_mid_run(spawn_agent: Any) -> None:
    agent = spawn_agent("cancel", **sections())
    graph = {"id": "long-one", "nodes": [
        {"id": "nap", "tool": "sleeper", "arguments": {"seconds": "30"}},
        {"id": "next", "tool": "calculator", "arguments": {"expression": "1"}}],
        "edges": [{"source": "nap", "target": "next"}]}
    started = post(agent, "/workflows", graph)
    assert started.status_code == 202, started.text
    assert started.json()["id"] == "long-one"
    wait_until(lambda: get(agent, "/workflows/long-one").json()["nodes"][0]["status"]
             == "running", what="the slow step running")
    again = post(agent, "/workflows", graph)
    assert again.status_code == 409  # same id while it runs
    cancelled = post(agent, "/workflows/long-one/cancel", {})
    assert cancelled.status_code == 200, cancelled.text
    run = cancelled.json()
    assert run["status"] == "cancelled"
    assert [n["status"] for n in run["nodes"]] == ["cancelled", "skipped"]
    task = get(agent, f"/tasks/{run['task_id']}").json()
    assert task["state"] == "canceled"
    assert post(agent, "/workflows/long-one/cancel", {}).status_code == 409
    assert post(agent, "/workflows/nope/cancel", {}).status_code == 404


def test_too_many_active_runs_is_busy(spawn_agent: Any) -> None:
    agent = spawn_agent("busy", **sections(execution={"max_concurrent": 1}))
    limit = get(agent, "/health").json()["components"]["workflows"]["max_active_runs"]
    started = [post(agent, "/execute", {"dsl": "CALL sleeper 30"}, wait="false")
               for _ in range(limit)]
    assert all(r.status_code == 202 for r in started), [r.text for r in started]
    busy = post(agent, "/execute", {"dsl": "CALL sleeper 30"}, wait="false")
    assert busy.status_code == 429 and busy.json()["error"]["code"] == "busy"
    for response in started:
        run_id = response.json()["meta"]["run_id"]
        assert post(agent, f"/workflows/{run_id}/cancel", {}).status_code == 200
