"""Full agent processes inside network namespaces (see netns.py), driven over HTTP.

The test process is outside the namespaces, so every HTTP request runs as a small
Python client inside the agent's namespace (`ip netns exec`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.netns import Lan
from tests.support.agents import agent_config

HTTP_PORT = 8000
P2P_PORT = 4001
CLIENT = """
import json, sys, httpx
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    reply = httpx.request(method, url, json=json.loads(body) if body else None, timeout=20)
    print(json.dumps({"status": reply.status_code, "body": reply.json()}))
except Exception as exc:
    print(json.dumps({"status": 0, "body": repr(exc)}))
"""


@dataclass
class LanAgent:
    """An agent process in a namespace, at `http://<address>:8000`."""

    name: str
    lan: Lan
    namespace: str
    address: str
    home: Path
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{self.address}:{HTTP_PORT}"

    @property
    def log(self) -> str:
        return (self.home / "agent.log").read_text(errors="replace")

    def request(self, method: str, path: str, body: dict[str, Any] | None = None
                ) -> tuple[int, Any]:
        argv = [sys.executable, "-c", CLIENT, method, self.url + path,
                json.dumps(body) if body is not None else ""]
        done = subprocess.run(self.lan.exec_argv(self.namespace, argv), capture_output=True,
                              timeout=40)
        reply = json.loads(done.stdout or b'{"status": 0, "body": "no output"}')
        return int(reply["status"]), reply["body"]

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, f"GET {path} on {self.name}: {status} {body}\n{self.log[-3000:]}"
        return body

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_lan_agent(lan: Lan, namespace: str, home: Path, name: str,
                    env: dict[str, str], **sections: dict[str, Any]) -> LanAgent:
    """Start `praxis_sdk run` in `namespace`, listening on all its addresses."""
    home.mkdir(parents=True, exist_ok=True)
    config = agent_config(home, name, **sections)
    config["http"].update({"host": "0.0.0.0", "port": HTTP_PORT})
    config["p2p"].update({"host": "0.0.0.0", "port": P2P_PORT})
    path = home / "agent.yaml"
    path.write_text(yaml.safe_dump(config))
    log = (home / "agent.log").open("wb")
    proc = subprocess.Popen(
        lan.exec_argv(namespace, [sys.executable, "-m", "praxis_sdk", "run", "-c", str(path)]),
        cwd=home, stdout=log, stderr=subprocess.STDOUT, env=env)
    return LanAgent(name, lan, namespace, lan.nodes[namespace], home, proc)


def wait_healthy(agent: LanAgent, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if agent.proc.poll() is not None:
            raise AssertionError(f"{agent.name} exited {agent.proc.returncode}:\n{agent.log}")
        status, body = agent.request("GET", "/health")
        parts = body.get("components", {}).values() if isinstance(body, dict) else []
        if status == 200 and all(part.get("status") != "starting" for part in parts):
            return
        time.sleep(0.1)
    raise AssertionError(f"{agent.name} not healthy after {timeout}s:\n{agent.log[-3000:]}")
