"""Fail-closed configuration, as an operator meets it through the real CLI and /health."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.agents import REPO, AgentProcess, agent_config

SHIPPED = sorted((REPO / "configs").glob("*.yaml")) + [
    REPO / "sample_config.yaml", REPO / "src" / "praxis_sdk" / "starter.yaml",
]


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any PRAXIS_/CONFIG_FILE setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PRAXIS_", "MCP_", "AGENT_")) and k != "CONFIG_FILE"}
    return {**env, **extra}


def cli(*args: str, cwd: Path, env: dict[str, str], timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "praxis_sdk", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def error_lines(out: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in out.stderr, out.stderr
    return [line for line in out.stderr.splitlines() if line.startswith("error:")]


def test_unset_token_variable_stops_the_start_with_one_line(tmp_path: Path) -> None:
    config = agent_config(tmp_path, "no-token", http={"auth_token": "${PRAXIS_TEST_UNSET_TOKEN}"})
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(config))
    out = cli("run", "-c", str(path), cwd=tmp_path, env=clean_env(), timeout=60)
    assert out.returncode != 0
    lines = error_lines(out)
    assert len(lines) == 1, out.stderr
    assert "auth_token is empty; unset it to run without auth" in lines[0]
    assert "http.auth_token" in lines[0]


def test_empty_token_from_the_environment_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(agent_config(tmp_path, "env-token")))
    out = cli("validate-config", "-c", str(path), cwd=tmp_path,
              env=clean_env(PRAXIS_HTTP__AUTH_TOKEN=""))
    assert out.returncode == 2
    assert "auth_token is empty" in error_lines(out)[0]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_config_passes_strict_validation_and_is_safe(path: Path) -> None:
    env = clean_env()
    if path.name == "agent_production.yaml":
        refused = cli("validate-config", "--strict", "-c", str(path), cwd=REPO, env=env)
        assert refused.returncode == 2 and "auth_token is empty" in error_lines(refused)[0]
        env["PRAXIS_AUTH_TOKEN"] = "prod-token"
    out = cli("validate-config", "--strict", "-c", str(path), cwd=REPO, env=env)
    assert out.returncode == 0, out.stderr
    assert "warning:" not in out.stderr, out.stderr
    resolved = yaml.safe_load(out.stdout)
    assert resolved["execution"]["allow_unsandboxed"] is False
    assert resolved["execution"]["default_engine"] != "local"
    for server in resolved["mcp"]["servers"]:
        assert server["expose"] is False, server
    open_api = resolved["http"]["auth_token"] is None
    loopback = resolved["http"]["host"] in ("127.0.0.1", "localhost", "::1")
    if path.name == "agent_production.yaml":
        assert not open_api and resolved["p2p"]["allowed_peers"] == []
    else:
        assert loopback or path.name in ("agent1.yaml", "agent2.yaml"), resolved["http"]
    for contract_dir in (REPO / "tools").iterdir():
        contract = contract_dir / "contract.yaml"
        if contract.is_file():
            mounts = yaml.safe_load(contract.read_text())["engineSpec"]["mounts"]
            assert mounts["./tools"].endswith(":ro"), contract


def test_open_api_on_a_public_address_warns_at_start_and_in_health(
    spawn_agent: Callable[..., AgentProcess],
) -> None:
    agent = spawn_agent("open", http={"host": "0.0.0.0"})
    url = agent.url.replace("0.0.0.0", "127.0.0.1")
    health = httpx.get(f"{url}/health", timeout=10).json()
    assert any("auth_token is not set" in w for w in health["warnings"]), health
    assert "INSECURE" in agent.log and "auth_token is not set" in agent.log


@pytest.mark.parametrize("published", ["127.0.0.1", "0.0.0.0"])
def test_container_published_on_loopback_has_no_warning_elsewhere_warns(
    spawn_agent: Callable[..., AgentProcess], published: str,
) -> None:
    # What docker-compose.yml does: listen on 0.0.0.0 in the container, publish on PRAXIS_BIND.
    agent = spawn_agent("published", http={"host": "0.0.0.0"},
                        env={"PRAXIS_HTTP__PUBLISHED_HOST": published})
    url = agent.url.replace("0.0.0.0", "127.0.0.1")
    warnings = httpx.get(f"{url}/health", timeout=10).json()["warnings"]
    if published == "127.0.0.1":
        assert warnings == [] and "auth_token is not set" not in agent.log
    else:
        assert len(warnings) == 1 and "the API is published on 0.0.0.0" in warnings[0]
        assert "auth_token is not set" in agent.log


def test_loopback_without_token_has_no_warning(spawn_agent: Callable[..., AgentProcess]) -> None:
    agent = spawn_agent("closed")
    assert httpx.get(f"{agent.url}/health", timeout=10).json()["warnings"] == []


def test_contract_with_a_reserved_parameter_stops_the_start(tmp_path: Path) -> None:
    tool = {"name": "preloader", "engine": "sandbox",
            "params": [{"name": "ld_preload", "type": "string"}],
            "engineSpec": {"command": ["sh", "-c", "true"]}}
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(agent_config(tmp_path, "reserved", agent={"tools": [tool]})))
    out = cli("run", "-c", str(path), cwd=tmp_path, env=clean_env())
    assert out.returncode != 0
    lines = error_lines(out)
    assert len(lines) == 1, out.stderr
    assert "agent.tools[0]" in lines[0]
    assert "parameter 'ld_preload' is reserved" in lines[0] and "LD_PRELOAD" in lines[0]
