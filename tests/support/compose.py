"""A Docker Compose project of this repository in a folder of its own, for the e2e tests.

The Compose files, Dockerfiles and what the images are built from are copied to the
folder, so the bind mounts (`./shared`, `./data`, ...) land there and not in the checkout.
The project name and the image tag are unique per cycle; `down` removes exactly the
project's containers, network, volumes and images.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.agents import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
# What `docker compose` needs from the repository: the files and what the images copy.
PROJECT_FILES = ["docker-compose.yml", "docker-compose.dev.yml", "docker-compose.engines.yml",
                 "Dockerfile", ".dockerignore", "docker-entrypoint.sh", "pyproject.toml",
                 "constraints.txt", "README.md", "src", "configs", "tools", "docker"]
OVERRIDES = ["docker-compose.dev.yml", "docker-compose.engines.yml"]
PORTS = ["PRAXIS_AGENT1_PORT", "PRAXIS_AGENT2_PORT", "PRAXIS_MCP_PORT",
         "PRAXIS_AGENT1_P2P_PORT", "PRAXIS_AGENT2_P2P_PORT"]


def run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 600,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def last_line_value(done: subprocess.CompletedProcess[str], name: str) -> str:
    """`VALUE` from the `NAME=VALUE` last line of a setup script's output."""
    assert done.returncode == 0, f"{done.args} failed:\n{done.stderr[-3000:]}"
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith(f"{name}="), line
    return line.removeprefix(f"{name}=")


def docker_env() -> tuple[dict[str, str], bool]:
    """Environment with a Docker daemon that answers and the Compose v2 plugin; and whether
    the daemon was started here (scripts/docker-daemon.sh, scripts/compose-plugin.sh)."""
    env = {**os.environ, "COMPOSE_BAKE": "false"}
    started = False
    if not env.get("DOCKER_HOST") or run(["docker", "info"], env, REPO, 30).returncode:
        done = run(["bash", str(SCRIPTS / "docker-daemon.sh")], env, REPO, 1200)
        env["DOCKER_HOST"] = last_line_value(done, "DOCKER_HOST")
        started = "starting dockerd" in done.stderr
    done = run(["bash", str(SCRIPTS / "compose-plugin.sh")], env, REPO, 600)
    env["DOCKER_CONFIG"] = last_line_value(done, "DOCKER_CONFIG")
    return env, started


def copy_project(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


@dataclass
class Stack:
    """One Compose project: its folder, name and environment (ports, image tag)."""

    folder: Path
    name: str
    env: dict[str, str]

    def compose(self, *args: str, files: tuple[str, ...] = (), timeout: float = 600,
                ) -> subprocess.CompletedProcess[str]:
        flags = [arg for name in files for arg in ("-f", name)]
        return run(["docker", "compose", "-p", self.name, *flags, *args], self.env,
                   self.folder, timeout)

    def ok(self, *args: str, files: tuple[str, ...] = (), timeout: float = 600) -> str:
        """stdout of a compose command that must succeed."""
        done = self.compose(*args, files=files, timeout=timeout)
        assert done.returncode == 0, f"compose {' '.join(args)}:\n{done.stderr[-4000:]}"
        return done.stdout

    def config(self, *files: str) -> dict[str, Any]:
        return json.loads(self.ok("config", "--format", "json", files=files))

    def url(self, port_var: str) -> str:
        return f"http://127.0.0.1:{self.env[port_var]}"

    def diagnostics(self) -> str:
        """`compose ps` and the tail of the logs, for a failure message."""
        return self.compose("ps", "-a").stdout + self.compose("logs", "--tail", "60").stdout

    def leftovers(self) -> list[str]:
        """Containers, networks, volumes and images of this project that still exist."""
        label = f"label=com.docker.compose.project={self.name}"
        found = []
        for kind in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
            done = run(["docker", *kind, "-q", "--filter", label], self.env, self.folder, 60)
            found += done.stdout.split()
        tag = self.env["PRAXIS_IMAGE_TAG"]
        done = run(["docker", "images", "-q", "--filter", f"reference=*:{tag}"], self.env,
                   self.folder, 60)
        return found + done.stdout.split()


def new_stack(docker: dict[str, str], folder: Path, prefix: str = "praxis-e2e") -> Stack:
    """A project in a copy of the repository at `folder`: unique name, image tag and ports,
    published on 127.0.0.1, probed every 2 s (so that `--wait` returns soon after start)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    copy_project(folder)
    env = {**docker, "PRAXIS_IMAGE_TAG": name, "PRAXIS_BIND": "127.0.0.1",
           "PRAXIS_HEALTH_INTERVAL": "2s", "PWD": str(folder)}
    env.update({var: str(free_port()) for var in PORTS})
    return Stack(folder, name, env)


@contextmanager
def running(stack: Stack, *files: str) -> Iterator[Stack]:
    """`up -d --build --wait`, then whatever happens `down -v --rmi all`; afterwards nothing
    of the project may be left."""
    try:
        done = stack.compose("up", "-d", "--build", "--wait", "--wait-timeout", "600",
                             files=files, timeout=1800)
        assert done.returncode == 0, f"compose up:\n{done.stderr[-4000:]}\n{stack.diagnostics()}"
        yield stack
    finally:
        stack.compose("down", "-v", "--rmi", "all", "--remove-orphans", files=files,
                      timeout=300)
    assert stack.leftovers() == [], "the cycle left containers, networks, volumes or images"
