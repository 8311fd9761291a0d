"""The Docker Compose deployment end to end, as an operator runs it (`.ci/run`, marker
`compose`): both images built, `up -d --build --wait`, the demo workflow across both agents
and the filesystem server on the published ports, agent 2 stopped and started again, then
`down -v`. The project runs in a copy of the repository files with a unique project name,
ports and image tag; whatever happens, only what the cycle created is removed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from praxis_sdk.demo import WORKFLOW
from tests.support.compose import OVERRIDES, REPO, Stack, docker_env, new_stack, run, running
from tests.support.waiting import wait_until

pytestmark = pytest.mark.compose

AGENTS = ["praxis-agent-1", "praxis-agent-2"]


@pytest.fixture(scope="module")
def docker() -> Iterator[dict[str, str]]:
    env, started = docker_env()
    yield env
    if started:
        run(["bash", str(REPO / "scripts" / "docker-daemon.sh"), "stop"], env, REPO, 120)


@pytest.fixture(scope="module")
def stack(docker: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running(new_stack(docker, tmp_path_factory.mktemp("compose") / "praxis")) as up:
        yield up


def compose_defaults(docker: dict[str, str], **env: str) -> Stack:
    """The repository's files as they are, interpolated without this machine's settings."""
    clean = {k: v for k, v in docker.items() if not k.startswith("PRAXIS_")}
    return Stack(REPO, "praxis", {**clean, **env})


def host_ips(service: dict[str, Any]) -> set[str]:
    return {port["host_ip"] for port in service["ports"]}


def test_compose_config_base_file_and_each_override(docker: dict[str, str]) -> None:
    base = compose_defaults(docker).config()
    services = base["services"]
    assert set(services) == {"mcp-filesystem", *AGENTS}
    assert services["praxis-agent-2"]["depends_on"]["praxis-agent-1"]["condition"] == \
        "service_healthy"
    for name, service in services.items():
        check = service["healthcheck"]
        assert (check["interval"], check["timeout"], check["retries"], check["start_period"]) \
            == ("10s", "5s", 3, "30s"), name
        assert service["restart"] == "unless-stopped", name
        assert host_ips(service) == {"127.0.0.1"}, name
        assert list(service["networks"]) == ["praxis-net"], name
        assert not any("docker.sock" in v["source"] for v in service.get("volumes", [])), name
    for name in AGENTS:
        env = services[name]["environment"]
        assert json.loads(env["PRAXIS_EXECUTION__ENGINES"]) == ["local"]
        assert env["PRAXIS_EXECUTION__ALLOW_UNSANDBOXED"] == "true"
        assert env["PRAXIS_HTTP__PUBLISHED_HOST"] == "127.0.0.1"
        mounts = {v["target"]: v.get("read_only", False) for v in services[name]["volumes"]}
        assert mounts == {"/app/shared": False, "/app/configs": True, "/app/tools": True,
                          "/app/keys": False, "/app/logs": False, "/app/data": False}

    opened = compose_defaults(docker, PRAXIS_BIND="0.0.0.0").config()["services"]
    assert [host_ips(opened[name]) for name in AGENTS] == [{"0.0.0.0"}, {"0.0.0.0"}]
    assert host_ips(opened["mcp-filesystem"]) == {"127.0.0.1"}  # no auth: never on the LAN
    assert [opened[name]["environment"]["PRAXIS_HTTP__PUBLISHED_HOST"] for name in AGENTS] \
        == ["0.0.0.0", "0.0.0.0"]  # the agents then warn that their API is open

    dev = compose_defaults(docker).config("docker-compose.yml", OVERRIDES[0])["services"]
    for name in AGENTS:
        env = dev[name]["environment"]
        assert (env["PRAXIS_ENV"], env["PRAXIS_DEBUG"], env["PRAXIS_LOG_LEVEL"]) == \
            ("development", "true", "DEBUG")
        mounts = {v["target"]: (v["source"], v.get("read_only", False))
                  for v in dev[name]["volumes"]}
        assert mounts["/opt/praxis/lib/python3.11/site-packages/praxis_sdk"] == \
            (str(REPO / "src" / "praxis_sdk"), True)
        assert not mounts["/app/logs"][1] and not mounts["/app/data"][1]

    engines = compose_defaults(docker, PWD=str(REPO)).config(
        "docker-compose.yml", OVERRIDES[1])["services"]
    for name in AGENTS:
        env = engines[name]["environment"]
        assert json.loads(env["PRAXIS_EXECUTION__ENGINES"])[0] == "docker"
        assert env["PRAXIS_AGENT__SHARED_DIR"] == str(REPO / "shared")
        targets = {v["target"] for v in engines[name]["volumes"]}
        assert {"/var/run/docker.sock", str(REPO / "shared"), str(REPO / "tools")} <= targets
    assert "volumes" not in engines["mcp-filesystem"] or not any(
        "docker.sock" in v["source"] for v in engines["mcp-filesystem"]["volumes"])


def test_engines_override_runs_tools_in_containers_on_the_host_daemon(
        docker: dict[str, str], tmp_path: Path) -> None:
    stack = new_stack(docker, tmp_path / "praxis", prefix="praxis-engines")
    stack.env["DOCKER_SOCKET"] = docker["DOCKER_HOST"].removeprefix("unix://")
    with running(stack, "docker-compose.yml", OVERRIDES[1]):
        agent1 = stack.url("PRAXIS_AGENT1_PORT")
        engines = httpx.get(f"{agent1}/health", timeout=5).json()["components"]["tools"][
            "engines"]
        assert engines["docker"]["available"], engines
        reply = httpx.post(f"{agent1}/execute", timeout=180, json={"dsl": (
            'CALL write_file@mcp-filesystem --path e.txt --content "one two three"\n'
            "CALL word_counter --file_path e.txt AS counts")})
        task = reply.json()
        assert task["state"] == "completed", task
        counted = task["result"]["steps"]["s2"]["result"]
        assert (counted["engine"], counted["structured"]["words"]) == ("docker", 3)


def test_all_three_services_are_healthy(stack: Stack) -> None:
    rows = [json.loads(line) for line in stack.ok("ps", "--format", "json").splitlines()]
    assert {(row["Service"], row["Health"]) for row in rows} == {
        ("mcp-filesystem", "healthy"), ("praxis-agent-1", "healthy"),
        ("praxis-agent-2", "healthy")}
    for var in ("PRAXIS_AGENT1_PORT", "PRAXIS_AGENT2_PORT"):
        # Docker's probe wants HTTP 200; "healthy" also needs the MCP link and P2P up.
        url = f"{stack.url(var)}/health"
        wait_until(lambda url=url: httpx.get(url, timeout=5).json()["status"] == "healthy",
                   timeout=60, what=f"{url} healthy")
        # Published on 127.0.0.1 only: no warning that the API is open to anyone.
        assert httpx.get(url, timeout=5).json()["warnings"] == []


def tool_sources(url: str) -> set[tuple[str, str]]:
    return {(t["source"], t["provider"]) for t in httpx.get(f"{url}/tools", timeout=5).json()}


def test_demo_workflow_across_both_agents_and_the_filesystem_server(stack: Stack) -> None:
    agent1 = stack.url("PRAXIS_AGENT1_PORT")
    wait_until(lambda: {("peer", "praxis-agent-2"), ("mcp", "mcp-filesystem")}
               <= tool_sources(agent1), timeout=90, what="agent 1 lists agent 2 and MCP tools")
    reply = httpx.post(f"{agent1}/execute", json={"dsl": WORKFLOW}, timeout=180)
    task = reply.json()
    assert (reply.status_code, task["state"]) == (200, "completed"), task
    ran = {step["tool"]: (step["status"], (step.get("result") or {}).get("provider"),
                          (step.get("result") or {}).get("engine"))
           for step in task["result"]["steps"].values() if step["status"] != "skipped"}
    assert ran == {
        "write_file": ("completed", "mcp-filesystem", "mcp"),
        "word_counter": ("completed", "praxis-agent-1", "local"),
        "text_analyzer": ("completed", "praxis-agent-2", "local"),
        "system_info": ("completed", "praxis-agent-2", "local"),
        "calculator": ("completed", "praxis-agent-1", "local"),
    }
    assert task["result"]["outputs"]["reading_seconds"]["result"] == 9.6
    landed = stack.folder / "shared" / "notes.txt"
    assert landed.read_text().startswith("Praxis agents share tools over libp2p and MCP.")


def last_event_id(url: str) -> int:
    with httpx.stream("GET", f"{url}/events", timeout=10) as reply:
        for line in reply.iter_lines():
            if line.startswith("data:"):
                return json.loads(line[5:])["last_id"]
    raise AssertionError("no ready frame on /events")


def next_event(url: str, after: int, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first event after id `after` that `match`es (SSE replay, then live; 60 s)."""
    headers = {"Last-Event-ID": str(after)}
    with httpx.stream("GET", f"{url}/events", params={"types": "peerUpdate"}, headers=headers,
                      timeout=httpx.Timeout(10, read=60)) as reply:
        for line in reply.iter_lines():
            if line.startswith("data:"):
                frame = json.loads(line[5:])
                if frame.get("type") and match(frame):
                    return frame
    raise AssertionError("the event stream ended")


def peer_states(url: str) -> dict[str, str]:
    return {p["name"]: p["state"] for p in httpx.get(f"{url}/peers", timeout=5).json()}


def test_agent_1_marks_agent_2_gone_then_relinks(stack: Stack) -> None:
    agent1 = stack.url("PRAXIS_AGENT1_PORT")
    wait_until(lambda: peer_states(agent1).get("praxis-agent-2") == "connected", timeout=60,
               what="agent 2 connected")
    peer_id = next(p["peer_id"] for p in httpx.get(f"{agent1}/peers", timeout=5).json()
                   if p["name"] == "praxis-agent-2")
    before = last_event_id(agent1)

    stack.ok("stop", "praxis-agent-2", timeout=120)
    wait_until(lambda: peer_states(agent1).get("praxis-agent-2") == "gone", timeout=60,
               what="agent 1 marks agent 2 gone")
    gone = next_event(agent1, before, lambda f: f["payload"] == {"peerId": peer_id,
                                                                  "state": "gone"})
    assert ("peer", "praxis-agent-2") not in tool_sources(agent1)

    stack.ok("start", "praxis-agent-2", timeout=300)
    wait_until(lambda: peer_states(agent1).get("praxis-agent-2") == "connected", timeout=120,
               what="agent 1 relinked to agent 2")
    back = next_event(agent1, gone["id"], lambda f: f["payload"].get("name") ==
                      "praxis-agent-2" and f["payload"]["state"] == "connected")
    assert back["payload"]["peerId"] == peer_id  # same identity: ./keys survived the stop
    reply = httpx.post(f"{agent1}/execute", timeout=120, json={
        "dsl": 'CALL text_analyzer@praxis-agent-2 --text "back again after a restart"'})
    assert reply.json()["state"] == "completed", reply.text

