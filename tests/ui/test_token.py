"""A node with `http.auth_token` and an LLM (the scripted server): the console loads,
asks for the token, then works; plain language is planned first, then run and answered."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.agents import AgentProcess, agent_config, start_agent
from tests.support.llm_server import ScriptedLLM, plan
from tests.support.p2p_agents import ENV, agent_section
from tests.ui.conftest import DESCRIBE, START_S, shot

TOKEN = "s3cret token/+&="  # characters that must survive the WebSocket's ?token=


PLAN = "CALL describe --text hi --times 2 AS d"
ANSWER = "The text twice is hihi."


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as llm:
        yield llm


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory, llm: ScriptedLLM) -> Iterator[AgentProcess]:
    home = tmp_path_factory.mktemp("token")
    config = agent_config(home, "guarded", http={"auth_token": TOKEN},
                          agent=agent_section(DESCRIBE), llm=llm.config(api_key="sk-ui-test"))
    agent = start_agent(home, config, env=ENV, wait=START_S)
    yield agent
    agent.stop()


def test_static_files_load_without_the_token_but_the_api_needs_it(agent: AgentProcess
                                                                  ) -> None:
    assert httpx.get(f"{agent.url}/ui/", timeout=10).status_code == 200
    assert httpx.get(f"{agent.url}/ui/style.css", timeout=10).status_code == 200
    assert httpx.get(f"{agent.url}/tools", timeout=10).status_code == 401
    assert httpx.get(f"{agent.url}/tools", headers=agent.headers(), timeout=10).status_code == 200
    for path in ("/ui/../tools", "/ui/%2e%2e/tools", "/ui/..%2ftools", "/uitools"):
        status, body = raw_get(agent, path)  # sent as is: no client-side normalising
        assert status in (401, 404), (path, status, body)
        assert "describe" not in body
    with pytest.raises(InvalidStatus) as refused:  # no WebSocket behind the open prefix
        connect(agent.url.replace("http", "ws") + "/ui/js/app.js", open_timeout=10)
    assert refused.value.response.status_code == 403


def raw_get(agent: AgentProcess, path: str) -> tuple[int, str]:
    url = urlsplit(agent.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read().decode(errors="replace")
    finally:
        conn.close()


def test_the_page_asks_for_the_token_and_works_after(page: Page, agent: AgentProcess) -> None:
    page.goto(f"{agent.url}/ui/#tools")
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    shot(page, "token-prompt")

    page.fill("#token-input", "wrong")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#token-error")).to_have_text("That token was not accepted.")
    expect(dialog).to_be_visible()

    page.fill("#token-input", TOKEN)
    page.click("#token-form button[type=submit]")
    expect(dialog).to_be_hidden()
    expect(page.locator("#stream-status")).to_have_attribute("data-state", "open")
    row = page.locator("#tool-list tbody tr", has_text="describe")
    expect(row).to_contain_text("python")
    row.click()
    page.fill("#arg-text", "with a token")
    page.click("#tool-detail button[type=submit]")
    expect(page.locator("#tool-result .tool-result")).to_contain_text('"text": "with a token"')
    shot(page, "token-accepted")

    page.reload()  # the token is kept for this tab: no prompt again
    expect(page.locator("#stream-status")).to_have_attribute("data-state", "open")
    expect(dialog).to_be_hidden()
    expect(page.locator("#tool-list tbody tr", has_text="describe")).to_be_visible()


def test_plain_language_is_planned_first_then_run_and_answered(page: Page, agent: AgentProcess,
                                                               llm: ScriptedLLM) -> None:
    llm.reset()
    llm.script(plan(PLAN), plan(PLAN), ANSWER)  # /plan, then /execute's plan and answer
    open_with_token(page, agent, "workflows")
    box = page.locator("#plain-box")
    expect(box).to_be_visible()  # the node has an LLM: POST /plan accepts requests
    expect(page.locator("#plain-run")).to_be_disabled()

    page.fill("#plain-request", "say hi twice")
    page.click("#plain-plan")
    expect(page.locator("#dsl")).to_have_value(PLAN)  # the dry run's plan, to check first
    steps = page.locator("#plan-graph g.step")
    expect(steps).to_have_count(1)
    expect(steps.first).to_have_attribute("data-status", "pending")
    expect(steps.first).to_contain_text("describe")
    expect(page.locator("#plain-run")).to_be_enabled()
    assert len(llm.requests) == 1 and "say hi twice" in llm.requests[0].last
    shot(page, "plain-planned")

    page.click("#plain-run")
    expect(page.locator("#plan-graph g.step[data-status=completed]")).to_have_count(1)
    expect(page.locator("#plain-answer .answer")).to_have_text(ANSWER)
    expect(page.locator("#plain-note")).to_have_text("request completed")
    expect(page.locator("#run-status")).to_contain_text("completed")
    expect(page.locator("#dsl")).to_have_value(PLAN)
    steps.first.click()
    expect(page.locator("#step-detail")).to_contain_text('"text": "hihi"')
    shot(page, "plain-answered")
    assert len(llm.requests) == 3 and "hihi" in llm.requests[2].prompt

    again = "CALL describe --text ho --times 3 AS d"  # the model plans otherwise this time
    llm.script(plan(again), "The text three times is hohoho.")
    page.click("#plain-run")
    expect(page.locator("#dsl")).to_have_value(again)  # the editor shows what runs
    expect(page.locator("#plain-answer .answer")).to_have_text("The text three times is hohoho.")
    expect(page.locator("#plan-graph g.step[data-status=completed]")).to_have_count(1)
    steps.first.click()
    expect(page.locator("#step-detail")).to_contain_text('"text": "hohoho"')


def test_a_plan_the_model_cannot_repair_is_shown_and_nothing_runs(page: Page, agent: AgentProcess,
                                                                  llm: ScriptedLLM) -> None:
    llm.reset()
    llm.script(plan("CALL no_such_tool --x 1"), plan("CALL no_such_tool --x 2"))
    open_with_token(page, agent, "workflows")
    page.fill("#plain-request", "use a tool that is not there")
    page.click("#plain-plan")
    error = page.locator("#plain-answer .error-box")
    expect(error).to_contain_text("plan_failed")
    expect(error).to_contain_text("unknown tool 'no_such_tool'")
    expect(page.locator("#plain-note")).to_have_text("no plan: nothing has run")
    expect(page.locator("#plain-run")).to_be_disabled()
    expect(page.locator("#dsl")).not_to_have_value(re.compile("no_such_tool"))
    shot(page, "plain-plan-refused")
    assert len(llm.requests) == 2  # the plan and its one repair; no answer asked for


def open_with_token(page: Page, agent: AgentProcess, view: str) -> None:
    """Open `view` with the token already kept in the tab (as after the prompt)."""
    page.add_init_script(f"sessionStorage.setItem('praxis.token', {json.dumps(TOKEN)})")
    page.goto(f"{agent.url}/ui/#{view}")
    expect(page.locator("#stream-status")).to_have_attribute("data-state", "open")
