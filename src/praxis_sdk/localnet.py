"""The local three-service network of `praxis-agent up` and `praxis-agent demo`.

The Compose topology on one machine, as processes: the MCP filesystem server and two
agents started from the shipped `configs/agent1.yaml` and `configs/agent2.yaml`, with
loopback ports from one base (HTTP base and base+1, MCP base-8000+3002, libp2p
base-8000+4001 and +4002; a base whose ports land on the default layout's is refused) and
one folder per service under the network's home. Agent 2
joins agent 1 by HTTP bootstrap; agent 1 has the filesystem server as its MCP server.
Tools run in the bubblewrap sandbox. Configs and tools ship inside the package, so a
pip-installed user needs no repository files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from praxis_sdk.errors import PraxisError

Emit = Callable[[str], None]
SHIPPED = resources.files("praxis_sdk") / "shipped"


class NetworkError(PraxisError):
    """A service of the local network did not start or stopped."""

    code = "LOCALNET_FAILED"


@dataclass(frozen=True)
class Ports:
    http1: int
    http2: int
    mcp: int
    p2p1: int
    p2p2: int

    @classmethod
    def from_base(cls, base: int) -> Ports:
        """The Compose ports moved together: 8000 gives 8000, 8001, 3002, 4001, 4002."""
        shift = base - DEFAULT_BASE
        return cls(base, base + 1, 3002 + shift, 4001 + shift, 4002 + shift)


DEFAULT_BASE = 8000
ROLES = {"http1": "agent 1's HTTP", "http2": "agent 2's HTTP", "mcp": "the MCP server's",
         "p2p1": "agent 1's libp2p", "p2p2": "agent 2's libp2p"}


def port_base_problem(base: int) -> str | None:
    """Why `--port-base base` cannot be used, or None. Every port must be in 1024-65535, and
    a base other than 8000 must not put a port on one of the default layout's: a network
    on the defaults (or Compose) may be holding it."""
    defaults = {port: role for role, port in vars(Ports.from_base(DEFAULT_BASE)).items()}
    for role, port in vars(Ports.from_base(base)).items():
        if not 1024 <= port <= 65535:
            return f"--port-base {base} puts {ROLES[role]} port on {port}, outside 1024-65535"
        if base != DEFAULT_BASE and port in defaults:
            return (f"--port-base {base} puts {ROLES[role]} port on {port}, which is "
                    f"{ROLES[defaults[port]]} port with the default --port-base "
                    f"{DEFAULT_BASE}; choose another base, e.g. {good_base(base)}")
    return None


def good_base(near: int) -> int:
    """The next multiple of 100 after `near` that `port_base_problem` accepts."""
    start = near // 100 * 100 + 100
    return next(b for b in range(start, 60000, 100) if port_base_problem(b) is None)


@dataclass
class Service:
    """One process of the network: how to start it and where it answers."""

    name: str
    argv: list[str]
    env: dict[str, str]
    home: Path
    url: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.home / "output.log"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            # A session of its own: Ctrl-C reaches only `up`, which stops services in order.
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.home, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10) -> None:
        if self.proc is not None:
            terminate(self.proc, timeout)


def terminate(proc: subprocess.Popen[bytes], timeout: float = 10) -> int:
    """SIGTERM a process, wait `timeout` seconds, then SIGKILL; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


@contextmanager
def shipped_dirs() -> Iterator[tuple[Path, Path]]:
    """`(configs, tools)` folders shipped in the package, as real paths."""
    with ExitStack() as stack:
        configs = stack.enter_context(resources.as_file(SHIPPED / "configs"))
        tools = stack.enter_context(resources.as_file(SHIPPED / "tools"))
        yield Path(configs), Path(tools)


def agent_env(home: Path, name: str, http: int, p2p: int, tools: Path,
              extra: dict[str, str]) -> dict[str, str]:
    """The shipped config's settings that differ on one machine (INTERFACES section 2)."""
    folder = home / name
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PRAXIS_HTTP__HOST": "127.0.0.1",
        "PRAXIS_HTTP__PORT": str(http),
        "PRAXIS_P2P__HOST": "127.0.0.1",
        "PRAXIS_P2P__PORT": str(p2p),
        "PRAXIS_P2P__ENABLE_MDNS": "false",
        "PRAXIS_P2P__KEYSTORE_PATH": str(home / "keys"),
        "PRAXIS_AGENT__URL": f"http://127.0.0.1:{http}",
        "PRAXIS_AGENT__SHARED_DIR": str(home / "shared"),
        "PRAXIS_AGENT__TOOLS_DIR": str(tools),
        "PRAXIS_STORAGE__DATA_DIR": str(folder / "data"),
        "PRAXIS_EXECUTION__ENGINES": '["sandbox"]',
        "PRAXIS_EXECUTION__ALLOW_UNSANDBOXED": "false",
        "PRAXIS_LOGGING__FILE": str(folder / "agent.log"),
        "PRAXIS_LOGGING__FORMAT": "json",
        **extra,
    }


def plan(home: Path, ports: Ports, configs: Path, tools: Path) -> list[Service]:
    """The three services, in start order."""
    python = sys.executable
    url1 = f"http://127.0.0.1:{ports.http1}"
    mcp = json.dumps([{"name": "mcp-filesystem", "transport": "streamable-http",
                       "url": f"http://127.0.0.1:{ports.mcp}/mcp"}])
    agents = (
        ("praxis-agent-1", "agent1.yaml", ports.http1, ports.p2p1,
         {"PRAXIS_MCP__SERVERS": mcp, "PRAXIS_P2P__BOOTSTRAP_NODES": "[]"}),
        ("praxis-agent-2", "agent2.yaml", ports.http2, ports.p2p2,
         {"PRAXIS_MCP__SERVERS": "[]", "PRAXIS_P2P__BOOTSTRAP_NODES": json.dumps([url1])}),
    )
    services = [Service(
        "mcp-filesystem",
        [python, "-m", "praxis_sdk.mcp.filesystem", "--root", str(home / "shared"),
         "--host", "127.0.0.1", "--port", str(ports.mcp)],
        {**os.environ, "PYTHONUNBUFFERED": "1"}, home / "mcp-filesystem",
        f"http://127.0.0.1:{ports.mcp}",
    )]
    for name, config, http, p2p, extra in agents:
        services.append(Service(
            name, [python, "-m", "praxis_sdk", "run", "-c", str(configs / config)],
            agent_env(home, name, http, p2p, tools, extra), home / name,
            f"http://127.0.0.1:{http}",
        ))
    return services


def health(client: httpx.Client, url: str) -> str:
    """`healthy`, `starting` (answers, a component still starting) or `down`.

    One client for all polls: `httpx.get` builds a new client (and TLS context) per call,
    about 40 ms of CPU each, taken from the services starting on the same cores."""
    try:
        reply = client.get(f"{url}/health")
    except httpx.HTTPError:
        return "down"
    if reply.status_code != 200:
        return "starting"
    try:
        components = reply.json().get("components") or {}
    except ValueError:
        return "healthy"  # the MCP server answers plain text
    starting = any(part.get("status") == "starting" for part in components.values())
    return "starting" if starting else "healthy"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class LocalNet:
    """Start, watch and stop the three services; use as a context manager."""

    def __init__(self, home: Path, ports: Ports, emit: Emit = print) -> None:
        self.home = home.resolve()
        self.ports = ports
        self.emit = emit
        self.services: list[Service] = []
        self._dirs = ExitStack()
        self._old_term: Any = signal.SIG_DFL

    def __enter__(self) -> LocalNet:
        # SIGTERM unwinds like Ctrl-C, so the services (in sessions of their own) stop too.
        self._old_term = signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            signal.signal(signal.SIGTERM, self._old_term)

    def start(self, timeout: float = 60) -> float:
        """Start every service at once and wait until all are healthy; the seconds taken."""
        if shutil.which("bwrap") is None:
            raise NetworkError("bubblewrap is missing (the agents run tools in its sandbox): "
                               "install it, e.g. apt-get install bubblewrap")
        configs, tools = self._dirs.enter_context(shipped_dirs())
        (self.home / "shared").mkdir(parents=True, exist_ok=True)
        self.services = plan(self.home, self.ports, configs, tools)
        started = time.monotonic()
        for service in self.services:
            self.emit(f"starting {service.name:<15} {service.url}")
            service.start()
        self._wait_healthy(started, timeout)
        return time.monotonic() - started

    def _wait_healthy(self, started: float, timeout: float) -> None:
        with httpx.Client(timeout=1) as client:
            self._poll_healthy(client, started, timeout)

    def _poll_healthy(self, client: httpx.Client, started: float, timeout: float) -> None:
        waiting = list(self.services)
        while waiting:
            for service in list(waiting):
                if health(client, service.url) == "healthy":
                    waiting.remove(service)
                    self.emit(f"healthy  {service.name:<15} after "
                              f"{time.monotonic() - started:.2f}s")
            if waiting and time.monotonic() - started > timeout:
                names = ", ".join(s.name for s in waiting)
                raise NetworkError(f"not healthy after {timeout:g}s: {names}; logs under "
                                   f"{self.home}")
            if waiting:
                self.pause(0.05)

    def pause(self, seconds: float) -> None:
        """Between polls: wait up to `seconds`, failing at once if a service has exited."""
        for service in self.services:
            code = service.exited()
            if code is not None:
                raise NetworkError(f"{service.name} stopped (exit code {code}); the end of "
                                   f"{service.log}:\n{service.log_tail()}")
        first = self.services[0].proc
        if first is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                first.wait(seconds)

    def watch(self) -> None:
        """Block until Ctrl-C / SIGTERM (returns) or a service exits (raises)."""
        signals = {signal.SIGINT, signal.SIGTERM, signal.SIGCHLD}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        try:
            while True:
                self.pause(0)
                info = signal.sigwaitinfo(signals)
                if info.si_signo in (signal.SIGINT, signal.SIGTERM):
                    return
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def stop(self) -> None:
        """Stop the agents, then the MCP server (the reverse of the start order)."""
        running = [s for s in self.services if s.exited() is None]
        for service in reversed(running):
            service.stop()
        if running:
            self.emit(f"stopped; logs are under {self.home}")
        self._dirs.close()
