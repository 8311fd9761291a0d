"""Real P2P nodes, each in its own process (node_helper.py), driven over their HTTP API."""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

# libp2p as a node loads it (slim.py), before any test module here imports libp2p itself
import praxis_sdk.p2p  # noqa: F401
from tests.support.waiting import wait_until

HERE = Path(__file__).parent
SRC = HERE.parents[2] / "src"
START_TIMEOUT = 30.0


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


class Node:
    """One node_helper process: its peer id, addresses and HTTP control API."""

    def __init__(self, name: str, keystore: Path, **p2p: Any) -> None:
        self.name = name
        options = {"name": name, "a2a": p2p.pop("a2a", False), "p2p": {
            "host": "127.0.0.1", "port": 0, "keystore_path": str(keystore),
            "enable_mdns": False, "ping_interval": 1.0, "ping_misses": 3,
            "connection_timeout": 5.0, "request_timeout": 10.0, **p2p}}
        self.log_path = keystore.parent / f"{name}.{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:  # a file: a full pipe would stall the node
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "node_helper.py"), json.dumps(options)],
                stdout=subprocess.PIPE, stderr=log, env=child_env(),
            )
        ready = read_line(self.proc, START_TIMEOUT, self.log_path)
        self.http: str = ready["http"]
        self.peer_id: str = ready["peer_id"]
        self.addresses: list[str] = ready["addresses"]
        self.client = httpx.Client(base_url=self.http, timeout=30.0)

    @property
    def multiaddr(self) -> str:
        return self.addresses[0]

    def log(self) -> str:
        """Everything the node logged so far."""
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> Any:
        return self.client.get(path).json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body).json()

    def connect(self, target: str) -> str:
        reply = self.post("/p2p/connect", {"target": target})
        assert "peer_id" in reply, reply
        return str(reply["peer_id"])

    def call(self, peer: str, tool: str, timeout: float | None = None, **arguments: Any) -> Any:
        return self.post("/p2p/tool", {"peer_id": peer, "tool_name": tool,
                                       "arguments": arguments, "timeout": timeout})

    def peer_state(self, peer_id: str) -> str | None:
        return next((p["state"] for p in self.get("/peers") if p["peer_id"] == peer_id), None)

    def metric(self, name: str, **labels: str) -> float:
        for family in text_string_to_metric_families(self.client.get("/metrics").text):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    return float(sample.value)
        return 0.0

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)


class BadPeer:
    """bad_peer.py (a misbehaving libp2p peer) in its own process, driven over stdin/stdout."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "bad_peer.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=child_env())
        ready = read_line(self.proc, START_TIMEOUT)
        self.peer_id: str = ready["peer_id"]
        self.multiaddr: str = ready["addresses"][0]

    def command(self, **options: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(options).encode() + b"\n")
        self.proc.stdin.flush()
        return read_line(self.proc, 20)

    def dies(self, **options: Any) -> None:
        """Send a command after which the peer exits mid-message."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(options).encode() + b"\n")
        self.proc.stdin.flush()
        assert self.proc.wait(timeout=20) == 17

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.proc.kill()
        self.proc.wait(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def read_line(proc: subprocess.Popen[bytes], timeout: float,
              log_path: Path | None = None) -> dict[str, Any]:
    """The helper's ready line, or a failure showing its stderr (or its log file)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else b""
    if not line:
        proc.kill()
        _, err = proc.communicate(timeout=5)
        err = log_path.read_bytes() if log_path is not None else err or b""
        raise AssertionError(f"node did not start within {timeout}s: {err.decode()[-3000:]}")
    return json.loads(line)



def run_raw_client(options: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    """Run raw_client.py (a bare libp2p peer) once and return its JSON answer."""
    if "payload" in options:
        options["payload_b64"] = base64.b64encode(options.pop("payload")).decode()
    done = subprocess.run(
        [sys.executable, str(HERE / "raw_client.py"), json.dumps(options)],
        capture_output=True, env=child_env(), timeout=timeout,
    )
    assert done.stdout, done.stderr.decode()[-3000:]
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """Factory of nodes sharing one keystore folder; all stopped at the end."""
    started: list[Node] = []

    def start(name: str, **p2p: Any) -> Node:
        node = Node(name, tmp_path / "keys", **p2p)
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """`wait_for(check, timeout, what)`: poll until truthy or fail naming `what`."""
    return wait_until


@pytest.fixture
def raw_client() -> Callable[..., dict[str, Any]]:
    """`raw_client(options)`: one bare libp2p peer process (see raw_client.py)."""
    return run_raw_client


@pytest.fixture
def helper_script() -> dict[str, Any]:
    """What a test needs to start node_helper.py itself (e.g. inside a namespace)."""
    return {"path": str(HERE / "node_helper.py"), "env": child_env(), "read_ready": read_line}
