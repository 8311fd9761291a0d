"""The `docker` engine: the contract's image and command in a locked-down container.

Bind mounts make the files a tool writes persist in `shared/`. The container has no
network unless the contract asks, a read-only root with a tmpfs /tmp, no capabilities,
no-new-privileges, a non-root user, and memory, CPU and PID limits. On timeout it is
killed; in every case it is removed. Docker SDK calls are blocking, so they run in
worker threads.

The availability probe (shown by `/health`) asks the daemon's `/_ping` with the standard
library's `http.client` when the daemon is at a unix socket, so neither the Docker SDK
(about 6 MiB) nor httpx (about 2.4 MiB) loads for it: the SDK loads at the first run.
Other addresses (tcp, ssh, a Docker CLI context) go through the SDK.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from praxis_sdk.errors import InvalidInput, Unavailable
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import (
    Engine,
    ExecutionSettings,
    Limits,
    Mount,
    resolve_mounts,
    tool_environment,
    working_dir,
)
from praxis_sdk.tools.engines.process import collected_result
from praxis_sdk.tools.result import ToolResult

NOBODY = "65534:65534"
LABEL = "praxis.tool"
STDERR_TAIL_LINES = 60
DEFAULT_SOCKET = "unix:///var/run/docker.sock"
PROBE_TIMEOUT_S = 3.0


def docker_address(configured: str | None) -> str | None:
    """Where the daemon is: `execution.docker_host`, else DOCKER_HOST, else the default
    socket when no Docker CLI context is chosen; None when only the SDK can tell."""
    host = configured or os.environ.get("DOCKER_HOST")
    if host:
        return host
    if os.environ.get("DOCKER_CONTEXT"):
        return None
    cli_config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    with contextlib.suppress(OSError):
        if "currentContext" in cli_config.read_text(encoding="utf-8"):
            return None
    return DEFAULT_SOCKET


class _UnixConnection(http.client.HTTPConnection):
    """An HTTP connection to a unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def _ping(path: str) -> tuple[bool, str]:
    """GET /_ping; a failure is named as httpx names it (the probe used httpx before)."""
    connection = _UnixConnection(path, PROBE_TIMEOUT_S)
    stage = "Connect"
    try:
        connection.connect()
        stage = "Write"
        connection.request("GET", "/_ping")
        stage = "Read"
        reply = connection.getresponse()
        reply.read()
    except TimeoutError:
        return False, f"no Docker daemon answers: {stage}Timeout"
    except http.client.HTTPException:  # a bad answer, or none before the socket closed
        return False, "no Docker daemon answers: RemoteProtocolError"
    except OSError:
        return False, f"no Docker daemon answers: {stage}Error"
    finally:
        connection.close()
    if reply.status != 200:
        return False, f"no Docker daemon answers: /_ping returned {reply.status}"
    return True, "Docker daemon answers"


async def ping_socket(path: str) -> tuple[bool, str]:
    """GET /_ping on the daemon's unix socket (in a worker thread)."""
    return await anyio.to_thread.run_sync(_ping, path, abandon_on_cancel=True)


def run_user(mounts: list[Mount], workdir: str) -> str:
    """The owner of the working-dir mount when it is not root, else nobody (65534)."""
    chosen = next((m for m in mounts if m.target == workdir), None)
    chosen = chosen or next((m for m in mounts if not m.read_only), None)
    if chosen is not None:
        stat = chosen.source.stat()
        if stat.st_uid != 0:
            return f"{stat.st_uid}:{stat.st_gid}"
    return NOBODY


class DockerEngine(Engine):
    """Runs contracts on the Docker daemon at `execution.docker_host` (else DOCKER_HOST)."""

    name = "docker"
    probe_ttl = 15.0

    def __init__(
        self,
        execution: ExecutionSettings,
        base_dir: str | Path = ".",
        *,
        user: str | None = None,
        pids_limit: int = 256,
        tmp_size: str = "64m",
    ) -> None:
        super().__init__()
        self.execution = execution
        self.base_dir = Path(base_dir).resolve()
        self.user = user
        self.pids_limit = pids_limit
        self.tmp_size = tmp_size
        self._client: Any = None

    def _connect(self) -> Any:
        if self._client is None:
            self._client = self._new_client(timeout=30)
        return self._client

    def _new_client(self, timeout: int) -> Any:
        """A Docker SDK client for `execution.docker_host`, else DOCKER_HOST, else the
        environment's defaults (contexts included)."""
        import docker

        host = self.execution.docker_host or os.environ.get("DOCKER_HOST")
        if host:
            return docker.DockerClient(base_url=host, timeout=timeout)
        return docker.from_env(timeout=timeout)

    async def _probe(self) -> tuple[bool, str]:
        address = docker_address(self.execution.docker_host)
        if address and address.startswith("unix://"):
            return await ping_socket(address.removeprefix("unix://"))
        return await self._probe_sdk()

    async def _probe_sdk(self) -> tuple[bool, str]:
        def ping() -> tuple[bool, str]:
            try:
                client = self._new_client(timeout=3)
                client.ping()
                client.close()
            except Exception as exc:  # noqa: BLE001 - any failure means "not answering"
                return False, f"no Docker daemon answers: {type(exc).__name__}"
            return True, "Docker daemon answers"

        with anyio.move_on_after(5):
            return await anyio.to_thread.run_sync(ping, abandon_on_cancel=True)
        return False, "no Docker daemon answers within 5s"

    def container_options(
        self, contract: ToolContract, arguments: Mapping[str, Any], limits: Limits
    ) -> dict[str, Any]:
        """Keyword arguments of `containers.create` for one run."""
        from docker.types import Mount as DockerMount

        spec = contract.engine_spec
        if not spec.image:
            raise InvalidInput(f"tool {contract.name!r}: engineSpec.image is required for docker")
        mounts = resolve_mounts(contract, self.base_dir)
        workdir = working_dir(contract, mounts)
        return {
            "image": spec.image,
            "command": list(spec.command) or None,
            "environment": tool_environment(contract, arguments),
            "working_dir": workdir,
            "mounts": [
                DockerMount(m.target, str(m.source), type="bind", read_only=m.read_only)
                for m in mounts
            ],
            "network_mode": "bridge" if limits.networked else "none",
            "read_only": True,
            "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={self.tmp_size}"},
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "user": self.user or run_user(mounts, workdir),
            "mem_limit": limits.memory_bytes,
            "memswap_limit": limits.memory_bytes,
            "nano_cpus": int(limits.cpus * 1e9),
            "pids_limit": self.pids_limit,
            "labels": {LABEL: contract.name},
            "stdin_open": False,
            "detach": True,
        }

    def _create(self, options: dict[str, Any]) -> Any:
        import docker.errors

        client = self._connect()
        try:
            return client.containers.create(**options)
        except docker.errors.ImageNotFound:
            raise Unavailable(
                f"docker image {options['image']!r} is not present on the daemon",
                details={"engine": self.name, "image": options["image"]},
            ) from None
        except docker.errors.APIError as exc:
            self.forget_probe()
            raise Unavailable(f"docker could not create the container: {exc.explanation}") from None

    @staticmethod
    def _collect(container: Any, limit: int) -> tuple[bytes, bool, int | None]:
        """Start, stream stdout up to `limit`, then wait: (stdout, truncated, exit code)."""
        container.start()
        buf = bytearray()
        truncated = False
        for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=False):
            room = limit - len(buf)
            if len(chunk) > room:
                buf.extend(chunk[:room])
                truncated = True
                container.kill()
                break
            buf.extend(chunk)
        status = container.wait(timeout=30)
        return bytes(buf), truncated, status.get("StatusCode")

    @staticmethod
    def _stderr(container: Any) -> bytes:
        with contextlib.suppress(Exception):
            return container.logs(stdout=False, stderr=True, tail=STDERR_TAIL_LINES)
        return b""

    @staticmethod
    def _dispose(container: Any) -> None:
        with contextlib.suppress(Exception):
            container.remove(force=True)

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        limits = Limits.of(contract, self.execution)
        options = self.container_options(contract, arguments, limits)
        started = time.perf_counter()
        container = await anyio.to_thread.run_sync(self._create, options)
        stdout, truncated, exit_code, timed_out = b"", False, None, False
        try:
            with anyio.move_on_after(timeout) as scope:
                stdout, truncated, exit_code = await anyio.to_thread.run_sync(
                    self._collect, container, limits.max_output_bytes, abandon_on_cancel=True
                )
            timed_out = scope.cancelled_caught
            if timed_out:
                await anyio.to_thread.run_sync(self._kill, container)
            stderr = await anyio.to_thread.run_sync(self._stderr, container)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._dispose, container)
        return collected_result(
            tool=contract.name, engine=self.name, limits=limits, timeout=timeout,
            started=started, exit_code=exit_code, stdout=stdout, stderr=stderr,
            timed_out=timed_out, truncated=truncated,
        )

    @staticmethod
    def _kill(container: Any) -> None:
        with contextlib.suppress(Exception):
            container.kill()
