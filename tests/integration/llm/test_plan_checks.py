"""Plans that cannot run are repaired once, then fail listing every problem; failed steps
lead to one re-plan; rate limits are retried; a silent model times out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.integration.llm.llm_helpers import KEY, llm_tool, start, tool_calls
from tests.support.agents import AgentProcess
from tests.support.llm_server import Reply, ScriptedLLM, plan
from tests.support.p2p_agents import agent_section, get, post
from tests.support.waiting import wait_until

TIMEOUT_S = 3


@dataclass
class Node:
    agent: AgentProcess
    llm: ScriptedLLM

    def execute(self, request: str, *replies: Reply | str) -> dict:
        self.llm.reset()
        self.llm.script(*replies)
        reply = post(self.agent, "/execute", {"request": request}, timeout=60)
        assert reply.status_code == 200, reply.text
        assert self.llm.pending == 0, "the agent did not ask for every scripted reply"
        return reply.json()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("llmchecks")
    with ScriptedLLM() as llm:
        agent = start(home, "planner", agent=agent_section(llm_tool("shout"), llm_tool("broken"),
                                                     llm_tool("nap")),
                      llm=llm.config(api_key=KEY, timeout=TIMEOUT_S, max_retries=2))
        try:
            yield Node(agent, llm)
        finally:
            agent.stop()


BAD_PLAN = """
CALL shuot --text hi
CALL shout --txt hi
BOGUS words here
"""


def test_invalid_plan_is_repaired_after_one_round_trip(node: Node) -> None:
    task = node.execute("shout hi", plan(BAD_PLAN), plan("CALL shout --text hi AS loud"),
                        "I shouted: HI")
    assert task["state"] == "completed", task
    result = task["result"]
    assert result["plan"] == "CALL shout --text hi AS loud"
    assert result["answer"] == "I shouted: HI"
    assert result["outputs"]["loud"]["shouted"] == "HI"
    [attempt] = result["attempts"]
    assert attempt["plan"] == BAD_PLAN.strip()

    first, repair, _ = node.llm.requests
    assert repair.messages[:-2] == first.messages
    assert repair.messages[-2] == {"role": "assistant", "content": plan(BAD_PLAN)}
    text = repair.last
    assert text.startswith("That plan cannot run. Problems:")
    assert "- line 1, column 6: unknown tool 'shuot'; did you mean shout?" in text
    assert "- line 2, column 6: shout: missing required argument 'text'" in text
    assert "- line 3, column 1: " in text
    assert "'txt'" in text  # the argument the tool does not take
    assert len(attempt["problems"]) == text.count("\n- ") == 4


def test_second_invalid_plan_fails_with_both_attempts_problems(node: Node) -> None:
    shouts = tool_calls(node.agent, "shout")
    task = node.execute("shout hi", plan("CALL shuot --text hi"), plan("CALL shout --txt hi"))
    assert task["state"] == "failed", task
    error = task["error"]
    assert error["code"] == "plan_failed"
    assert "attempt 1: line 1, column 6: unknown tool 'shuot'" in error["message"]
    assert "attempt 2: line 1, column 6: shout: missing required argument 'text'" in \
        error["message"]
    problems = error["details"]["problems"]
    assert [(p["attempt"], p["line"]) for p in problems if "shuot" in p["message"]] == [(1, 1)]
    assert any(p["attempt"] == 2 and "'text'" in p["message"] for p in problems)
    assert len(node.llm.requests) == 2
    assert tool_calls(node.agent, "shout") == shouts


def test_prose_without_a_plan_fails_clearly(node: Node) -> None:
    prose = "Happy to help! You could shout it yourself."
    task = node.execute("shout hi", prose, prose)
    assert task["state"] == "failed"
    assert task["error"]["code"] == "plan_failed"
    assert "the answer holds no plan" in task["error"]["message"]
    assert "the answer holds no plan" in node.llm.requests[1].last

    node.llm.reset()
    node.llm.script(prose, prose)
    dry = post(node.agent, "/plan", {"request": "shout hi"})
    assert dry.status_code == 422, dry.text
    assert "holds no plan" in dry.json()["error"]["message"]


def test_failed_step_leads_to_one_replan_then_stops(node: Node) -> None:
    runs = tool_calls(node.agent, "broken")
    task = node.execute("use the broken tool", plan("CALL broken --text one"),
                        plan("CALL broken --text two"), "The broken tool failed twice.")
    assert task["state"] == "failed", task
    result = task["result"]
    assert result["replans"] == 1
    assert [r["status"] for r in result["runs"]] == ["failed", "failed"]
    assert result["plan"] == "CALL broken --text two"
    assert result["answer"] == "The broken tool failed twice."
    assert tool_calls(node.agent, "broken") == runs + 2
    _, offered, final = node.llm.requests
    assert "you may instead answer with one new plan" in offered.messages[0]["content"]
    assert "broken on purpose (one)" in offered.last
    assert "new plan" not in final.messages[0]["content"]
    assert "broken on purpose (two)" in final.last


def test_rate_limit_and_server_error_are_retried(node: Node) -> None:
    task = node.execute(
        "shout hi", Reply("slow down", status=429, headers={"retry-after-ms": "50"}),
        Reply("overloaded", status=503), plan("CALL shout --text hi"), "HI")
    assert task["state"] == "completed", task
    assert task["result"]["usage"]["calls"] == 2
    assert len(node.llm.requests) == 4


def test_silent_model_times_out_with_a_clear_error(node: Node) -> None:
    started = time.monotonic()
    task = node.execute("shout hi", Reply(hang=True))
    assert time.monotonic() - started < TIMEOUT_S + 5
    assert task["state"] == "failed"
    assert task["error"]["code"] == "timeout"
    assert task["error"]["message"] == (
        f"the model 'scripted-model' at {node.llm.url} did not answer within {TIMEOUT_S}s "
        "(llm.timeout)")


def test_cancelling_the_run_cancels_the_request(node: Node) -> None:
    node.llm.reset()
    node.llm.script(plan("CALL nap --seconds 60"))
    reply = httpx.post(f"{node.agent.url}/execute", params={"wait": "false"},
                       json={"request": "take a long nap"}, timeout=30)
    assert reply.status_code == 202, reply.text
    task_id = reply.json()["id"]
    run_id = wait_until(lambda: get(node.agent, f"/tasks/{task_id}")["meta"].get("run_id"),
                        20, "the plan to start running")
    wait_until(lambda: get(node.agent, f"/workflows/{run_id}")["nodes"][0]["status"]
               == "running", 20, "the nap to start")
    cancelled = post(node.agent, f"/workflows/{run_id}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text
    task = wait_until(lambda: (t := get(node.agent, f"/tasks/{task_id}"))["state"]
                      in ("canceled", "failed", "completed") and t, 20, "the request to end")
    assert task["state"] == "canceled"
    assert task["meta"]["runs"] == [run_id]
    assert get(node.agent, f"/workflows/{run_id}")["status"] == "cancelled"
    assert len(node.llm.requests) == 1  # no answer was asked for


def test_bad_requests_are_refused_before_any_model_call(node: Node) -> None:
    node.llm.reset()
    for body in ({"request": "   "}, {"request": "hi", "conversation": "not a list"},
                 {"request": "hi", "conversation": [{"role": "user"}]}):
        reply = post(node.agent, "/execute", body)
        assert reply.status_code in (400, 422), reply.text
        assert reply.json()["error"]["message"]
    assert node.llm.requests == []
