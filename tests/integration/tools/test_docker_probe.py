"""The Docker engine's availability probe: `/_ping` on the daemon's socket, no SDK loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio

from praxis_sdk.config import ExecutionConfig
from praxis_sdk.tools.engines import DockerEngine
from praxis_sdk.tools.engines.docker import DEFAULT_SOCKET, docker_address

PROBE = """
import asyncio, sys
from praxis_sdk.config import ExecutionConfig
from praxis_sdk.config import ExecutionConfig
from praxis_sdk.tools.engines import DockerEngine
engine = DockerEngine(ExecutionConfig(docker_host=sys.argv[1]))
print(asyncio.run(engine.available()), engine.reason, "docker" in sys.modules,
      "httpx" in sys.modules)
"""


def test_probe_sees_the_daemon_without_loading_the_docker_sdk_or_httpx(docker_host: str
                                                                     ) -> None:
    assert docker_host.startswith("unix://")
    done = subprocess.run([sys.executable, "-c", PROBE, docker_host], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.split() == ["True", "Docker", "daemon", "answers", "False", "False"]


def test_probe_of_a_socket_that_is_not_a_daemon(tmp_path: Path) -> None:
    engine = DockerEngine(ExecutionConfig(docker_host=f"unix://{tmp_path / 'docker.sock'}"),
                          tmp_path)
    assert anyio.run(engine.available) is False
    assert engine.reason == "no Docker daemon answers: ConnectError"


def test_address_follows_config_then_environment_then_cli_context(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    code = ("import sys; from praxis_sdk.tools.engines.docker import docker_address; "
            "print(docker_address(sys.argv[1] or None))")

    def address(configured: str = "", **extra: str) -> str:
        return subprocess.run([sys.executable, "-c", code, configured], text=True,
                              capture_output=True, check=True, timeout=30,
                              env={**env, "DOCKER_CONFIG": str(tmp_path), **extra}
                              ).stdout.strip()

    assert address("unix:///a.sock", DOCKER_HOST="tcp://h:2375") == "unix:///a.sock"
    assert address(DOCKER_HOST="tcp://h:2375") == "tcp://h:2375"
    assert address() == DEFAULT_SOCKET
    assert address(DOCKER_CONTEXT="remote") == "None"  # the SDK reads the context
    (tmp_path / "config.json").write_text('{"currentContext": "desktop-linux"}')
    assert address() == "None"
    assert docker_address("ssh://me@host") == "ssh://me@host"
