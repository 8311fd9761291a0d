"""A real `praxis-agent run` process: health, metrics, auth, events, clean stop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from tests.support.agents import AgentProcess

TOKEN = "s3cret-token"


def test_health_lists_components(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha")
    body = httpx.get(f"{agent.url}/health").json()
    assert body["status"] == "healthy"
    assert body["agent"] == "alpha"
    assert {"store", "http"} <= set(body["components"])
    assert body["uptime_s"] >= 0


def test_metrics_is_prometheus_text_with_route_templates(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    agent = spawn_agent("alpha")
    httpx.get(f"{agent.url}/tools/nope")
    httpx.get(f"{agent.url}/health")
    text = httpx.get(f"{agent.url}/metrics").text
    samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
    routes = {s.labels.get("route") for s in samples if s.name == "praxis_http_requests_total"}
    assert "/tools/{name}" in routes and "/health" in routes
    assert "/tools/nope" not in routes


def test_auth_token(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", http={"auth_token": TOKEN})
    assert httpx.get(f"{agent.url}/tools").status_code == 401
    wrong = httpx.get(f"{agent.url}/tools", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{agent.url}/tools", headers=agent.headers()).status_code == 200
    for open_path in ("/health", "/metrics", "/agent/card"):
        assert httpx.get(f"{agent.url}{open_path}").status_code == 200


def test_sse_replays_from_last_event_id(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha")
    with httpx.stream("GET", f"{agent.url}/events", headers={"Last-Event-ID": "0"},
                      timeout=10) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data:") and "agentStarted" in line:
                frame = json.loads(line[5:])
                assert frame["payload"]["agent"] == "alpha"
                break


def test_websocket_ping_and_subscriptions(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha")
    ws_url = agent.url.replace("http://", "ws://") + "/ws/events"
    with connect(ws_url, open_timeout=5) as ws:
        ws.send(json.dumps({"type": "PING"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "PONG"
        ws.send(json.dumps({"type": "SUBSCRIBE_EVENTS",
                            "payload": {"event_types": ["tool.started"]}}))
        assert json.loads(ws.recv(timeout=5)) == {
            "type": "subscribed", "payload": {"event_types": ["tool.started"]}}
        ws.send(json.dumps({"type": "NOPE"}))
        error = json.loads(ws.recv(timeout=5))
        assert error["type"] == "error" and "unknown message type 'NOPE'" in \
            error["payload"]["message"]


def test_sigterm_stops_within_3s_and_keeps_database(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    agent = spawn_agent("alpha")
    started = time.monotonic()
    assert agent.stop(timeout=3) == 0
    assert time.monotonic() - started < 3
    assert (agent.home / "data" / "praxis.db").is_file()


def test_errors_have_one_shape(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha", http={"max_body_bytes": 1000})
    missing = httpx.get(f"{agent.url}/no/such/route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    big = httpx.post(f"{agent.url}/tools/x/invoke", content=b"{" + b" " * 5000 + b"}",
                     headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    bad = httpx.post(f"{agent.url}/tools/x/invoke", content=b"not json",
                     headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"


def test_openapi_docs_served(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("alpha")
    spec = httpx.get(f"{agent.url}/openapi.json").json()
    assert "/health" in spec["paths"] and "/tools/{name}/invoke" in spec["paths"]
    assert httpx.get(f"{agent.url}/docs").status_code == 200


def test_unwritable_paths_fail_clearly(tmp_path: Path) -> None:
    from tests.support.agents import agent_config, start_agent

    blocker = tmp_path / "file"
    blocker.write_text("")
    config = agent_config(tmp_path / "a", "a", storage={"data_dir": str(blocker / "data")})
    with pytest.raises(RuntimeError) as info:
        start_agent(tmp_path / "a", config)
    assert "is not writable" in str(info.value) or "Not a directory" in str(info.value)
    assert "Traceback" not in str(info.value)


def test_json_logs_to_file_include_library_logs(
    spawn_agent: Callable[..., AgentProcess], tmp_path: Path,
) -> None:
    log_file = tmp_path / "logs" / "agent.log"
    agent = spawn_agent("beta", logging={"file": str(log_file), "format": "json"})
    agent.stop()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    events = {(line.get("logger"), line["event"]) for line in lines}
    assert ("praxis_sdk.agent", "agent started") in events
    assert any(logger and logger.startswith("uvicorn") for logger, _ in events)
    assert all(line["agent"] == "beta" for line in lines if line["event"] == "agent started")
