"""The engine interface and what every engine derives from a contract the same way.

An engine runs one contract with already-validated arguments and returns a `ToolResult`
naming itself. `available()` is cheap: the probe runs at most once per `probe_ttl`.
"""

from __future__ import annotations

import json
import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio

from praxis_sdk.errors import InvalidInput
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.envnames import reserved_env_name
from praxis_sdk.tools.result import ToolResult

MAX_ARGS_BYTES = 96 * 1024  # under the kernel's 128 KiB per variable (MAX_ARG_STRLEN)
HELPER_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "LANG": "C.UTF-8"}  # all that host-side helpers (prlimit, bwrap, env) get
MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class ExecutionSettings(Protocol):
    """The `execution` config section as engines read it (`praxis_sdk.config.ExecutionConfig`)."""

    default_engine: str
    engines: list[str]
    allow_unsandboxed: bool
    max_concurrent: int
    default_timeout: float
    memory: str
    cpus: float
    network: str
    max_output_bytes: int
    docker_host: str | None


class Engine(ABC):
    """One way of running tools. Subclasses set `name` and implement `_probe` and `run`."""

    name: str = ""
    probe_ttl: float = 30.0

    def __init__(self) -> None:
        self.reason = "not probed yet"
        self._available: bool | None = None
        self._probed_at = 0.0
        self._probe_lock = anyio.Lock()

    async def available(self) -> bool:
        """Whether this engine can run tools now; `reason` says why not."""
        if self._available is not None and time.monotonic() - self._probed_at < self.probe_ttl:
            return self._available
        async with self._probe_lock:
            if self._available is None or time.monotonic() - self._probed_at >= self.probe_ttl:
                ok, reason = await self._probe()
                self._available, self.reason = ok, reason
                self._probed_at = time.monotonic()
        return bool(self._available)

    def forget_probe(self) -> None:
        """Probe again on the next `available()` (after a failure that hints it went away)."""
        self._available = None

    def refuses(self, contract: ToolContract, execution: ExecutionSettings) -> str | None:
        """Why this engine cannot keep `contract`'s promises (then resolution moves on)."""
        return None

    @abstractmethod
    async def _probe(self) -> tuple[bool, str]:
        """`(available, reason)`; must return within a few seconds."""

    @abstractmethod
    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        """Run the tool once; a tool that fails is a result with `ok=False`."""


@dataclass(frozen=True)
class Limits:
    """The limits one run gets: the contract's own, else the `execution` defaults."""

    memory_bytes: int
    cpus: float
    network: str
    max_output_bytes: int

    @classmethod
    def of(cls, contract: ToolContract, execution: ExecutionSettings) -> Limits:
        spec = contract.engine_spec
        return cls(
            memory_bytes=parse_memory(spec.memory or execution.memory),
            cpus=spec.cpus or execution.cpus,
            network=(spec.network or execution.network or "none").lower(),
            max_output_bytes=execution.max_output_bytes,
        )

    @property
    def networked(self) -> bool:
        return self.network not in ("none", "", "false", "off")


def parse_memory(text: str | int) -> int:
    """`512m`, `1g`, `256MiB`, `1048576` -> bytes."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgtb]?)(?:i?b)?\s*", text.lower())
    if not match:
        raise InvalidInput(f"memory limit {text!r} is not a size like 512m or 1g")
    return int(float(match.group(1)) * MEMORY_UNITS[match.group(2)])


def arg_text(value: Any) -> str:
    """An argument as an environment variable value: strings as-is, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def tool_environment(
    contract: ToolContract, arguments: Mapping[str, Any], host_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The whole environment a tool sees: its args (name and NAME, plus PRAXIS_ARGS), the
    contract's `env`, and the host variables it names in `env_passthrough`; nothing else.

    An argument whose variable is reserved (`envnames`) or would replace one the contract
    sets is refused; so are arguments over `MAX_ARGS_BYTES` (the kernel limits each
    variable, and the tool gets them twice over).
    """
    host_env = os.environ if host_env is None else host_env
    env: dict[str, str] = {}
    for name in contract.engine_spec.env_passthrough:
        if name in host_env:
            env[name] = host_env[name]
    env.update(contract.engine_spec.env)
    packed = json.dumps(dict(arguments))
    if len(packed.encode()) > MAX_ARGS_BYTES:
        raise InvalidInput(
            f"arguments of tool {contract.name!r} are {len(packed.encode())} bytes as JSON, "
            f"over the limit of {MAX_ARGS_BYTES} bytes; pass large data as a file in shared/",
            details={"tool": contract.name, "limit": MAX_ARGS_BYTES},
        )
    own = set(env)
    for name, value in arguments.items():
        text = arg_text(value)
        if "\x00" in text:
            raise InvalidInput(f"tool {contract.name!r}: argument {name!r} contains a NUL byte",
                               details={"tool": contract.name, "argument": name})
        for var in dict.fromkeys((name.upper(), name)):
            if reserved_env_name(var) or var in own:
                raise InvalidInput(
                    f"tool {contract.name!r}: argument {name!r} would set {var}, which is "
                    "reserved or set by the contract itself",
                    details={"tool": contract.name, "argument": name},
                )
            env[var] = text
    env["PRAXIS_ARGS"] = packed
    return env


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool
    label: str


def resolve_mounts(contract: ToolContract, base_dir: Path) -> list[Mount]:
    """The contract's mounts with sources made absolute against `base_dir`.

    A target may end in `:ro`. A missing source is an error naming the contract's
    spelling of it (not the host path).
    """
    mounts = []
    for source, target in contract.engine_spec.mounts.items():
        path, _, mode = target.partition(":")
        host = Path(source).expanduser()
        host = host if host.is_absolute() else base_dir / host
        if not host.exists():
            raise InvalidInput(
                f"tool {contract.name!r}: mount source {source!r} does not exist",
                details={"mount": source},
            )
        mounts.append(Mount(host.resolve(), path.rstrip("/") or "/", mode == "ro", source))
    return mounts


def working_dir(contract: ToolContract, mounts: list[Mount]) -> str:
    """The working directory inside the sandbox/container: the contract's, else `/`."""
    return contract.engine_spec.working_dir or (mounts[0].target if mounts else "/")
