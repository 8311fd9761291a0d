"""Fixtures for engine tests: a workspace with the shipped tools and a real Docker daemon."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import docker
from praxis_sdk.config import ExecutionConfig
from praxis_sdk.tools.engines import DockerEngine, Engine, SandboxEngine

REPO = Path(__file__).parents[3]
SCRIPT = REPO / "scripts" / "docker-daemon.sh"


def _answers(host: str | None) -> bool:
    if not host:
        return False
    try:
        client = docker.DockerClient(base_url=host, timeout=5)
        client.ping()
        client.close()
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False
    return True


@pytest.fixture(scope="session")
def docker_host() -> Iterator[str]:
    """DOCKER_HOST of a daemon with the python:3.11-slim image; started here when needed."""
    host = os.environ.get("DOCKER_HOST")
    if _answers(host):
        assert host is not None
        yield host
        return
    done = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=1200, check=False
    )
    assert done.returncode == 0, f"docker-daemon.sh failed:\n{done.stderr[-3000:]}"
    host = done.stdout.strip().splitlines()[-1].removeprefix("DOCKER_HOST=")
    started_here = "starting dockerd" in done.stderr
    yield host
    if started_here:
        subprocess.run(["bash", str(SCRIPT), "stop"], capture_output=True, timeout=120,
                       check=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """`<tmp>/work` with `tools/` (the shipped tools) and a `shared/` any uid may write."""
    root = tmp_path / "work"
    shutil.copytree(REPO / "tools", root / "tools")
    (root / "shared").mkdir(parents=True)
    (root / "shared").chmod(0o777)
    return root


def execution(docker_host: str | None = None, **overrides) -> ExecutionConfig:
    return ExecutionConfig(docker_host=docker_host, **overrides)


@pytest.fixture(params=["sandbox", "docker"])
def engine(request: pytest.FixtureRequest, workspace: Path) -> Iterator[Engine]:
    """Each container-capable engine in turn, rooted at the workspace."""
    if request.param == "sandbox":
        yield SandboxEngine(execution(max_output_bytes=100_000), workspace)
        return
    host = request.getfixturevalue("docker_host")
    engine = DockerEngine(execution(host, max_output_bytes=100_000), workspace)
    yield engine
    client = docker.DockerClient(base_url=host, timeout=10)
    left = client.containers.list(all=True, filters={"label": "praxis.tool"})
    client.close()
    assert left == [], "a container was left behind"
