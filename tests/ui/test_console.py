"""The console against two real agents over P2P: A (bootstrapped to B) is the one we open."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.integration.mcp_agents.helpers import npm_fs_entry
from tests.support.agents import AgentProcess, agent_config, start_agent
from tests.support.p2p_agents import (
    ENV,
    agent_section,
    get,
    p2p_section,
    peer_tools,
    python_tool,
)
from tests.support.waiting import wait_until
from tests.ui.conftest import DESCRIBE, START_S, shot

ACROSS = """\
CALL describe --text hi --times 2 AS d
PARALLEL
  CALL b_echo $d.text AS e
  CALL b_slow 1
END
CALL b_echo@agent-b $e.echo
"""


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AgentProcess, AgentProcess]]:
    home = tmp_path_factory.mktemp("console")
    files = home / "files"  # served to A by the reference MCP filesystem server (npm, stdio)
    files.mkdir()
    (files / "hello.txt").write_text("hello from MCP\n")
    b = start_agent(home / "b", agent_config(
        home / "b", "agent-b", p2p=p2p_section(),
        agent=agent_section(python_tool("b_echo"), python_tool("b_slow"))), env=ENV, wait=START_S)
    try:
        a = start_agent(home / "a", agent_config(
            home / "a", "agent-a", p2p=p2p_section(bootstrap_nodes=[b.url]),
            agent=agent_section(DESCRIBE), mcp={"servers": [{
                "name": "npmfs", "transport": "stdio", "command": "node",
                "args": [str(npm_fs_entry()), str(files)]}]}), env=ENV, wait=START_S)
    except BaseException:
        b.stop()
        raise
    try:
        wait_until(lambda: peer_tools(a, "agent-b") == {"b_echo", "b_slow"}, 30,
                   "B's tools in A's catalog")
        wait_until(lambda: get(a, "/health")["components"]["mcp"]["servers"].get(
            "npmfs", {}).get("state") == "connected", 30, "the MCP server connected to A")
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def a(agents: tuple[AgentProcess, AgentProcess]) -> AgentProcess:
    return agents[0]


def files_of(agent: AgentProcess) -> Path:
    return agent.home.parent / "files"


def open_view(page: Page, agent: AgentProcess, view: str) -> None:
    page.goto(f"{agent.url}/ui/#{view}")
    expect(page.locator("#stream-status")).to_have_attribute("data-state", "open")


def type_script(page: Page, text: str) -> None:
    page.locator("#dsl").fill(text)


def test_the_console_is_served_by_the_node(a: AgentProcess) -> None:
    page = httpx.get(f"{a.url}/ui/", timeout=10)
    assert page.status_code == 200 and "Praxis console" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert httpx.get(f"{a.url}/ui", timeout=10).headers["location"] == "/ui/"
    script = httpx.get(f"{a.url}/ui/js/app.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert httpx.get(f"{a.url}/ui/nothing.js", timeout=10).status_code == 404


def test_tool_form_runs_a_tool_and_shows_the_apis_error(page: Page, a: AgentProcess) -> None:
    open_view(page, a, "tools")
    rows = page.locator("#tool-list tbody tr")
    expect(rows.filter(has_text="b_echo")).to_contain_text("peer")
    expect(rows.filter(has_text="b_echo")).to_contain_text("agent-b")
    expect(rows.filter(has_text="describe")).to_contain_text("python")
    mcp_row = rows.filter(has_text="read_text_file")
    expect(mcp_row).to_contain_text("mcp")
    expect(mcp_row).to_contain_text("npmfs")

    rows.filter(has_text="describe").click()
    page.fill("#arg-text", "ab")
    page.fill("#arg-times", "3")
    page.click("#tool-detail button[type=submit]")
    result = page.locator("#tool-result .tool-result")
    expect(result).to_have_attribute("data-ok", "true")
    expect(result).to_contain_text('"text": "ababab"')
    expect(result).to_contain_text("agent-a · python")
    shot(page, "tool-form")

    page.fill("#arg-times", "1.5")  # not an integer: the API says so, the page shows it
    page.click("#tool-detail button[type=submit]")
    error = page.locator("#tool-result .error-box")
    expect(error).to_contain_text("invalid_input")
    expect(error).to_contain_text("times")

    rows.filter(has_text="b_echo").click()  # a peer's tool, run on the peer
    page.fill("#arg-text", "over p2p")
    page.click("#tool-detail button[type=submit]")
    expect(result).to_contain_text('"echo": "over p2p"')
    expect(result).to_contain_text("agent-b")

    mcp_row.click()  # an MCP server's tool
    expect(page.locator("#tool-detail h3")).to_have_text("read_text_file")
    page.fill("#arg-path", str(files_of(a) / "hello.txt"))
    page.click("#tool-detail button[type=submit]")
    expect(result).to_have_attribute("data-ok", "true")
    expect(result).to_contain_text("hello from MCP")
    shot(page, "tool-form-mcp")


def test_validate_route_lists_problems_with_line_and_column(a: AgentProcess) -> None:
    bad = httpx.post(f"{a.url}/workflows/validate",
                     json={"dsl": "CALL describe --text hi\nCALL b_echo 'open\nCALL nope\n"},
                     timeout=10).json()
    assert bad["ok"] is False
    assert {"line": 2, "column": 13, "message": "unterminated string"} in bad["problems"]
    good = httpx.post(f"{a.url}/workflows/validate", json={"dsl": ACROSS}, timeout=10).json()
    assert good["ok"] is True and [n["tool"] for n in good["nodes"]] == [
        "describe", "b_echo", "b_slow", "b_echo"]


def test_dsl_syntax_error_is_underlined_at_its_line(page: Page, a: AgentProcess) -> None:
    open_view(page, a, "workflows")
    type_script(page, "CALL describe --text hi\nPARALLEL\n  CALL b_echo 'no end\nEND\n")
    problem = page.locator("#dsl-problems li.problem").first
    expect(problem).to_have_attribute("data-line", "3")
    expect(problem).to_contain_text("line 3, column 15: unterminated string")
    mark = page.locator("#dsl-editor mark.problem")
    expect(mark).to_have_attribute("data-line", "3")
    expect(mark).to_have_text("'no")
    expect(page.locator("#run-start")).to_be_disabled()
    shot(page, "dsl-error")

    type_script(page, "CALL describe --text hi\nPARALLEL\n  CALL b_echo 'an end'\nEND\n")
    expect(page.locator("#dsl-status")).to_have_text("✓ 2 steps, ready to run")
    expect(page.locator("#dsl-editor mark.problem")).to_have_count(0)
    expect(page.locator("#run-start")).to_be_enabled()


def test_workflow_across_both_agents_shows_every_step_finish(page: Page, a: AgentProcess
                                                              ) -> None:
    open_view(page, a, "workflows")
    expect(page.locator("#plain-box")).to_be_hidden()  # no LLM on this node
    type_script(page, ACROSS)
    expect(page.locator("#run-start")).to_be_enabled()
    steps = page.locator("#plan-graph g.step")
    expect(steps).to_have_count(4)
    expect(steps.first).to_have_attribute("data-status", "pending")

    page.click("#run-start")
    slow = page.locator("#plan-graph g.step", has_text="b_slow")
    expect(slow).to_have_attribute("data-status", "running")
    shot(page, "workflow-running")
    expect(page.locator("#plan-graph g.step[data-status=completed]")).to_have_count(4)
    expect(page.locator("#run-status")).to_contain_text("completed")
    expect(steps.nth(0)).to_contain_text("agent-a · python")
    for index in (1, 2, 3):
        expect(steps.nth(index)).to_contain_text("agent-b · python")
    steps.nth(3).click()
    expect(page.locator("#step-detail")).to_contain_text('"echo": "hihi"')
    shot(page, "workflow-done")

    page.goto(f"{a.url}/ui/#tasks")
    page.select_option("#task-kind", "dsl")
    row = page.locator("#task-list tbody tr[data-task]").first
    expect(row).to_contain_text("completed")
    row.click()
    detail = page.locator("#task-detail")
    expect(detail.locator("tr[data-step]")).to_have_count(4)
    expect(detail.locator("tr[data-status=completed]")).to_have_count(4)
    expect(detail).to_contain_text("CALL b_echo@agent-b $e.echo")
    shot(page, "tasks")


def test_a_running_workflow_is_cancelled(page: Page, a: AgentProcess) -> None:
    open_view(page, a, "workflows")
    type_script(page, "CALL b_slow 30\nCALL describe --text after\n")
    expect(page.locator("#run-start")).to_be_enabled()
    page.click("#run-start")
    expect(page.locator("#plan-graph g.step").first).to_have_attribute("data-status", "running")
    page.click("#run-cancel")
    expect(page.locator("#run-status")).to_contain_text("cancelled")
    expect(page.locator("#plan-graph g.step").first).to_have_attribute("data-status",
                                                                      "cancelled")
    expect(page.locator("#plan-graph g.step").nth(1)).to_have_attribute("data-status",
                                                                       "skipped")
    expect(page.locator("#run-cancel")).to_be_disabled()


def test_health_shows_components_engines_and_live_figures(page: Page, a: AgentProcess
                                                          ) -> None:
    invoked = httpx.post(f"{a.url}/tools/describe/invoke", json={"arguments": {"text": "x"}},
                         timeout=30)  # a tool run to measure, whichever tests ran before
    assert invoked.status_code == 200, invoked.text
    open_view(page, a, "health")
    expect(page.locator("#health-status")).to_have_text("healthy")
    for name in ("p2p", "tools", "workflows", "store"):
        expect(page.locator(f"#components [data-component={name}]")).to_contain_text("healthy")
    tools = page.locator("#components [data-component=tools]")
    expect(tools).to_contain_text("python")
    expect(tools.locator(".badge.available").first).to_be_visible()
    expect(page.locator("#components [data-component=mcp]")).to_contain_text("npmfs")
    expect(page.locator("#components [data-component=mcp]")).to_contain_text("connected")
    expect(page.locator("[data-figure=requests] strong")).to_have_text(re.compile(r"^\d+\.\d\d$"))
    expect(page.locator("[data-figure=p50-tool] strong")).to_contain_text("ms")
    expect(page.locator("[data-figure=tool-errors] strong")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("[data-figure=requests] .spark")).to_be_visible()
    shot(page, "health")


def test_an_a2a_task_shows_in_tasks_with_its_artifacts(page: Page, a: AgentProcess) -> None:
    message = {"role": "user", "kind": "message", "messageId": uuid.uuid4().hex,
               "parts": [{"kind": "text", "text": "CALL describe --text a2a --times 2"}]}
    reply = httpx.post(f"{a.url}/a2a/v1", json={"jsonrpc": "2.0", "id": 1,
                                                 "method": "message/send",
                                                 "params": {"message": message}}, timeout=60)
    assert reply.status_code == 200 and "error" not in reply.json(), reply.text
    task_id = reply.json()["result"]["id"]

    open_view(page, a, "tasks")
    page.select_option("#task-kind", "a2a")
    row = page.locator(f"#task-list tbody tr[data-task='{task_id}']")
    expect(row).to_contain_text("a2a")
    expect(row).to_contain_text("completed")
    row.click()
    detail = page.locator("#task-detail")
    expect(detail.locator("h3")).to_contain_text("a2a task")
    expect(detail).to_contain_text("CALL describe --text a2a --times 2")
    artifact = detail.locator(".artifact")
    expect(artifact).to_have_count(1)
    expect(artifact).to_contain_text("a2aa2a")
    shot(page, "tasks-a2a")


def test_network_shows_the_peer_then_shows_it_gone(page: Page,
                                                   agents: tuple[AgentProcess, AgentProcess]
                                                   ) -> None:
    a, b = agents
    open_view(page, b, "network")  # B did not look for A: A dialled in
    expect(page.locator("#network-graph g.peer[data-name=agent-a]")).to_contain_text(
        "found by inbound")
    open_view(page, a, "network")
    peer = page.locator("#network-graph g.peer[data-name=agent-b]")
    expect(peer).to_have_attribute("data-state", "connected")
    expect(page.locator("#network-graph .latency")).to_contain_text("ms")
    expect(peer).to_contain_text("found by bootstrap")  # A dialled B from its config
    peer.click()
    card = page.locator("#peer-card")
    expect(card).to_contain_text("agent-b")
    expect(card).to_contain_text("Found by")
    expect(card).to_contain_text("bootstrap")
    expect(card.locator(".peer-tools")).to_contain_text("b_echo")
    expect(card.locator(".peer-tools")).to_contain_text("b_slow")
    shot(page, "network-connected")
    card.get_by_role("link", name="b_slow").click()  # the peer's tool, ready to run
    expect(page.locator("#tool-detail h3")).to_have_text("b_slow")
    expect(page.locator("#tool-detail")).to_contain_text("agent-b")
    page.go_back()

    b.proc.kill()
    b.proc.wait(10)
    expect(peer).to_have_attribute("data-state", "gone", timeout=30_000)
    expect(page.locator("#network-note")).to_have_text("0 connected, 1 gone")
    expect(card.locator(".badge")).to_have_text("gone")
    shot(page, "network-gone")
