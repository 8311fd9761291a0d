"""The executor with a small in-test provider of real async tools."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from praxis_sdk.errors import NotFound
from praxis_sdk.runner import Executor, Plan, Retry, RunState, compile_dsl, plan_from_graph
from praxis_sdk.runner.executor import skip_reason

from .tools import Provider


class Recorder:
    """Collects published events and saved snapshots (as the store would serialise them)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.saved: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        self.events.append((kind, payload))
        self.changed.set()

    async def save(self, state: RunState) -> None:
        self.saved.append(json.loads(state.model_dump_json()))

    def node_events(self, status: str | None = None) -> list[tuple[str, str]]:
        return [(p["nodeId"], p["status"]) for k, p in self.events
                if k == "nodeStatusUpdate" and (status is None or p["status"] == status)]

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def executor(provider: Provider, recorder: Recorder) -> Executor:
    return Executor(provider.invoke, publish=recorder.publish, save=recorder.save,
                    max_parallel=4, timeout_grace=0.0)


async def test_parallel_steps_overlap(provider, recorder, executor) -> None:
    plan = compile_dsl("PARALLEL\n CALL gate a\n CALL gate b\nEND\nCALL echo done", provider.lookup)
    state = await executor.run(plan)
    assert state.status == "completed"
    # Each gate only returns once both have started: completing proves they overlapped.
    starts = [i for i, e in enumerate(provider.log) if e[:2] == ("start", "gate")]
    ends = [i for i, e in enumerate(provider.log) if e[:2] == ("end", "gate")]
    assert max(starts) < min(ends)
    assert provider.log[-2][:2] == ("start", "echo")


async def test_dependencies_run_in_order_and_bounded(provider) -> None:
    provider.gates = 1
    executor = Executor(provider.invoke, max_parallel=1)
    plan = compile_dsl("PARALLEL\n CALL echo a\n CALL echo b\n CALL echo c\nEND\nCALL echo d",
                       provider.lookup)
    state = await executor.run(plan)
    assert state.status == "completed"
    order = [(e[0], e[2]["text"]) for e in provider.log]
    assert order == [("start", "a"), ("end", "a"), ("start", "b"), ("end", "b"),
                     ("start", "c"), ("end", "c"), ("start", "d"), ("end", "d")]


async def test_variables_flow_between_steps(provider, executor) -> None:
    plan = compile_dsl("CALL count --text 'one two three' AS c\n"
                       "CALL write_file out.txt words=$c.counts.words AS w\n"
                       "CALL echo $c.counts AS e", provider.lookup)
    state = await executor.run(plan)
    assert state.status == "completed"
    assert state.results["w"].structured == {"path": "out.txt", "written": "words=3"}
    assert json.loads(state.results["e"].text) == {"words": 3, "chars": 13}  # JSON as text
    assert state.summary()["outputs"]["c"] == {"counts": {"words": 3, "chars": 13}}


@pytest.mark.parametrize(("text", "ran", "skipped", "why"), [
    ("a b c", "big", "small", "step s3 skipped: ($c.counts.words > 2) is true (ELSE branch)"),
    ("a", "small", "big", "step s2 skipped: ($c.counts.words > 2) is false"),
])
async def test_conditions_pick_a_branch(provider, recorder, executor, text, ran, skipped, why):
    plan = compile_dsl(f"CALL count --text '{text}' AS c\nIF $c.counts.words > 2\n"
                       " CALL echo big AS out\nELSE\n CALL echo small AS out\nEND\n"
                       "CALL echo $out", provider.lookup)
    state = await executor.run(plan)
    assert state.status == "completed"
    by_text = {s.arguments.get("text"): s.id for s in plan.steps}
    assert state.nodes[by_text[ran]].status == "completed"
    assert state.nodes[by_text[skipped]].status == "skipped"
    assert state.nodes["s4"].result.text == ran
    assert any(k == "workflowLog" and p["message"] == why for k, p in recorder.events)


async def test_retries_with_backoff(provider, recorder, executor) -> None:
    plan = plan_from_graph({"nodes": [
        {"id": "f", "tool": "flaky", "args": {"key": "k", "failures": 2},
         "retry": {"attempts": 3, "backoff_s": 0.01}}]}, provider.lookup)
    state = await executor.run(plan)
    assert state.status == "completed"
    assert state.nodes["f"].attempts == 3
    assert state.nodes["f"].result.text == "ok after 3"
    logs = [p["message"] for k, p in recorder.events if k == "workflowLog"]
    assert len([m for m in logs if "retrying" in m]) == 2


async def test_retries_give_up_and_fail_the_run(provider, recorder, executor) -> None:
    plan = plan_from_graph({"nodes": [
        {"id": "f", "tool": "flaky", "args": {"key": "k", "failures": 5},
         "retry": {"attempts": 2, "backoff_s": 0}},
        {"id": "after", "tool": "echo", "args": {"text": "x"}}],
        "edges": [{"source": "f", "target": "after"}]}, provider.lookup)
    state = await executor.run(plan)
    assert state.status == "failed"
    assert (state.nodes["f"].status, state.nodes["after"].status) == ("failed", "skipped")
    assert state.error["details"]["step"] == "f"
    assert recorder.events[-1][0] == "workflowError"


async def test_timeout_fails_the_step(provider, executor) -> None:
    plan = plan_from_graph({"nodes": [{"id": "h", "tool": "hang", "timeout": 0.05}]},
                           provider.lookup)
    state = await executor.run(plan)
    assert state.status == "failed"
    assert state.nodes["h"].error["code"] == "timeout"


async def test_cancel_mid_run(provider, recorder, executor) -> None:
    plan = compile_dsl("CALL echo first\nPARALLEL\n CALL hang a\n CALL hang b\nEND\n"
                       "CALL echo never", provider.lookup)
    state = await executor.start(plan)
    await recorder.wait_for(lambda: len(recorder.node_events("running")) == 3)
    final = await executor.cancel(state.id)
    assert final.status == "cancelled"
    assert {k: n.status for k, n in final.nodes.items()} == {
        "s1": "completed", "s2": "cancelled", "s3": "cancelled", "s4": "skipped"}
    assert ("start", "echo", {"text": "never"}) not in provider.log
    assert recorder.events[-1] == ("workflowError", {"workflowId": state.id,
                                                     "error": final.error})
    assert recorder.saved[-1]["status"] == "cancelled"


async def test_events_and_saved_states(provider, recorder, executor) -> None:
    plan = compile_dsl("CALL echo a AS a\nCALL echo b", provider.lookup)
    state = await executor.run(plan)
    kinds = [k for k, _ in recorder.events]
    assert kinds[0] == "workflowStart" and kinds[-1] == "workflowComplete"
    start = recorder.events[0][1]
    assert start["workflowId"] == state.id
    assert [n["id"] for n in start["nodes"]] == ["s1", "s2"]
    assert start["edges"] == [{"source": "s1", "target": "s2"}]
    assert recorder.node_events() == [("s1", "running"), ("s1", "completed"),
                                      ("s2", "running"), ("s2", "completed")]
    assert recorder.events[-1][1]["result"]["outputs"] == {"a": "a"}
    saved = [s["status"] for s in recorder.saved]
    assert saved[0] == "running" and saved[-1] == "completed" and len(saved) >= 6
    restored = RunState.model_validate(recorder.saved[-1])
    assert restored.nodes["s2"].result.text == "b"
    assert restored.nodes["s1"].started_at <= restored.nodes["s1"].finished_at


async def test_runtime_reference_errors_fail_clearly(provider, executor) -> None:
    plan = compile_dsl("CALL echo x AS a\nCALL echo $a.missing", provider.lookup)
    state = await executor.run(plan)
    assert state.status == "failed"
    assert "no field 'missing'" in state.nodes["s2"].error["message"]


async def test_routing_errors_and_crashing_tools_become_failures(provider) -> None:
    async def invoke(tool, arguments, prov, timeout):
        if tool == "echo":
            raise NotFound("peer went away")
        raise RuntimeError("boom")

    for tool, code in (("echo", "not_found"), ("fail", "internal")):
        state = await Executor(invoke).run(Plan.model_validate(
            {"steps": [{"id": "x", "tool": tool, "arguments": {},
                        "retry": Retry(attempts=3, backoff_s=0).model_dump()}]}))
        assert (state.status, state.nodes["x"].error["code"]) == ("failed", code)
        if code == "not_found":
            assert state.nodes["x"].attempts == 1  # not retried


async def test_unknown_runs_and_marker_nodes(provider, executor) -> None:
    with pytest.raises(NotFound):
        await executor.cancel("nope")
    plan = plan_from_graph({"nodes": [{"id": "start", "type": "start"},
                                      {"id": "e", "tool": "echo", "args": {"text": "x"}}],
                            "edges": [{"source": "start", "target": "e"}]}, provider.lookup)
    state = await executor.run(plan, run_id="fixed-id")
    assert state.id == "fixed-id" and state.status == "completed"
    assert executor.get("fixed-id") is state
    assert state.nodes["start"].status == "completed"


@pytest.mark.parametrize(("condition", "why"), [
    ("$n > 10", "($n > 10) is false"),
    ("not ($n > 10)", "($n > 10) is true (ELSE branch)"),
    ('($n > 1) and (not ($s == ")"))', '($n > 1) and (not ($s == ")")) does not hold'),
])
def test_skip_reason_is_plain(condition: str, why: str) -> None:
    assert skip_reason(condition) == why
