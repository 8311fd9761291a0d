"""Tools through a running agent: listing, invoking, events, metrics and clear errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from tests.support.agents import AgentProcess

SANDBOX = {"engines": ["sandbox"]}
FAILING = {
    "name": "always_fails", "description": "Exits 3 after complaining", "engine": "sandbox",
    "params": [],
    "engineSpec": {"command": ["sh", "-c", "echo 'disk on fire' >&2; exit 3"],
                   "timeout": 10},
}
NEEDS_DOCKER = {
    "name": "docker_only", "description": "Only Docker can run this", "engine": "docker",
    "params": [],
    "engineSpec": {"image": "python:3.11-slim", "command": ["true"]},
}


def test_lists_shipped_tools(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX)
    tools = {t["name"]: t for t in httpx.get(f"{agent.url}/tools").json()}
    assert {"calculator", "word_counter", "text_analyzer", "json_formatter", "file_merger",
            "system_info"} <= set(tools)
    calc = tools["calculator"]
    assert calc["source"] == "local" and calc["provider"] == "alpha"
    assert calc["input_schema"]["required"] == ["expression"]
    one = httpx.get(f"{agent.url}/tools/calculator").json()
    assert one["name"] == "calculator"
    card = httpx.get(f"{agent.url}/agent/card").json()
    assert "calculator" in {t["name"] for t in card["tools"]}


def test_invoke_returns_the_result_shape(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX)
    (agent.home / "shared" / "a.txt").write_text("one two three\nfour\n")
    calc = httpx.post(f"{agent.url}/tools/calculator/invoke",
                      json={"arguments": {"expression": "2 * (3 + 4) ** 2"}}, timeout=30).json()
    assert calc["ok"] is True and calc["engine"] == "sandbox" and calc["provider"] == "alpha"
    assert calc["structured"]["result"] == 98
    words = httpx.post(f"{agent.url}/tools/word_counter/invoke",
                       json={"arguments": {"file_path": "a.txt"}}, timeout=30).json()
    assert words["ok"], words
    assert words["structured"]["words"] == 4


def test_unknown_tool_is_404_with_close_matches(spawn_agent: Callable[..., AgentProcess]
                                                ) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX)
    response = httpx.post(f"{agent.url}/tools/calculater/invoke", json={"arguments": {}})
    assert response.status_code == 404
    error = response.json()["error"]
    assert "calculator" in error["message"] and error["details"]["suggestions"] == ["calculator"]


def test_invalid_arguments_list_each_problem(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX)
    response = httpx.post(f"{agent.url}/tools/json_formatter/invoke",
                          json={"arguments": {"indent": "wide", "colour": "red"}})
    assert response.status_code == 400
    problems = response.json()["error"]["details"]["problems"]
    assert any("colour" in p for p in problems), problems
    assert any(p.startswith("indent:") for p in problems), problems


def test_tool_failure_is_a_result_with_stderr(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX, agent={"tools": [FAILING]})
    body = httpx.post(f"{agent.url}/tools/always_fails/invoke", json={}, timeout=30).json()
    assert body["ok"] is False
    assert body["error"]["code"] == "tool_failed"
    assert body["error"]["details"]["exit_code"] == 3
    assert "disk on fire" in body["error"]["details"]["stderr"]
    assert str(agent.home) not in json.dumps(body)


def test_engine_unavailable_is_503_naming_engines(spawn_agent: Callable[..., AgentProcess]
                                                  ) -> None:
    agent = spawn_agent("alpha", agent={"tools": [NEEDS_DOCKER]},
                        execution={"engines": ["dagger"]})
    response = httpx.post(f"{agent.url}/tools/docker_only/invoke", json={}, timeout=30)
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert "dagger" in json.dumps(error["details"])


def test_events_and_metrics_of_a_run(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX)
    ws_url = agent.url.replace("http://", "ws://") + "/ws/events"
    frames: list[dict] = []
    with connect(ws_url, open_timeout=5) as ws:
        ws.send(json.dumps({"type": "SUBSCRIBE_EVENTS",
                            "payload": {"event_types": ["tool.started", "tool.completed"]}}))
        assert json.loads(ws.recv(timeout=5))["type"] == "subscribed"
        sse_lines: list[str] = []
        ready = threading.Event()

        def follow_sse() -> None:
            with httpx.stream("GET", f"{agent.url}/events?types=tool.completed",
                              timeout=30) as response:
                for line in response.iter_lines():
                    ready.set()
                    if line.startswith("data:") and "tool.completed" in line:
                        sse_lines.append(line)
                        return

        reader = threading.Thread(target=follow_sse)
        reader.start()
        assert ready.wait(10)
        httpx.post(f"{agent.url}/tools/calculator/invoke",
                   json={"arguments": {"expression": "1+1"}}, timeout=30)
        while len(frames) < 2:
            frames.append(json.loads(ws.recv(timeout=10)))
        reader.join(10)
    assert [f["type"] for f in frames] == ["tool.started", "tool.completed"]
    assert frames[1]["payload"]["tool"] == "calculator"
    assert json.loads(sse_lines[0][5:])["payload"]["engine"] == "sandbox"
    text = httpx.get(f"{agent.url}/metrics").text
    samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
    calls = [s for s in samples if s.name == "praxis_tool_calls_total"]
    assert any(s.labels == {"tool": "calculator", "engine": "sandbox", "outcome": "ok"}
               and s.value == 1 for s in calls), calls


def test_invoke_request_errors_name_what_is_wrong(spawn_agent: Callable[..., AgentProcess]
                                                  ) -> None:
    agent = spawn_agent("alpha", execution=SANDBOX)
    url = f"{agent.url}/tools/calculator/invoke"
    cases = [
        (b"", "application/json", "the body is empty"),
        (b'{"arguments": {"expression": "1+1"}}', "text/plain", "the body must be JSON"),
        (b"{bad", "application/json", "Invalid JSON"),
        (b"[]", "application/json", "Input should be an object"),
        (b'{"arguments": 5}', "application/json", "arguments: Input should be an object"),
        (b'{"timeout_s": -1}', "application/json", "timeout_s: Input should be greater than 0"),
    ]
    for body, kind, words in cases:
        response = httpx.post(url, content=body, headers={"content-type": kind})
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and words in error["message"], (body, error)
    plus_json = httpx.post(url, content=b'{"arguments": {"expression": "2*3"}}',
                           headers={"content-type": "application/vnd.praxis+json"}, timeout=30)
    assert plus_json.json()["structured"]["result"] == 6
    assert httpx.get(url).status_code == 405
    assert httpx.post(f"{agent.url}/tools//invoke", json={}).status_code == 404


def test_invoke_passes_auth_cors_and_metrics(spawn_agent: Callable[..., AgentProcess]) -> None:
    token, origin = "s3cret-token-for-tests", "http://console.example"
    agent = spawn_agent("alpha", execution=SANDBOX,
                        http={"auth_token": token, "cors_origins": [origin]})
    url = f"{agent.url}/tools/calculator/invoke"
    body = {"arguments": {"expression": "1+2"}}
    refused = httpx.post(url, json=body, headers={"Origin": origin})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert refused.headers["access-control-allow-origin"] == origin
    preflight = httpx.options(url, headers={"Origin": origin,
                                            "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    done = httpx.post(url, json=body, timeout=30,
                      headers={"Origin": origin, "Authorization": f"Bearer {token}"})
    assert done.status_code == 200 and done.json()["structured"]["result"] == 3
    assert done.headers["access-control-allow-origin"] == origin
    text = httpx.get(f"{agent.url}/metrics").text
    samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
    counted = {(s.labels["route"], s.labels["status"]): s.value for s in samples
               if s.name == "praxis_http_requests_total" and s.labels["method"] == "POST"}
    assert counted[("/tools/{name}/invoke", "200")] == 1
    assert counted[("/tools/{name}/invoke", "401")] == 1
