"""Which engine runs a contract, and the one entry point that runs it within the limits.

`dagger` and `docker` contracts try `execution.engines` in order and take the first
engine that is available; `sandbox`, `local` and `python` contracts get exactly that
engine (`local` only with `execution.allow_unsandboxed`). At most
`execution.max_concurrent` tools run at once; a caller waits for a slot within its
own timeout and gets `Busy` when none frees up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from praxis_sdk.errors import Busy, NotAllowed, Unavailable
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import Engine, ExecutionSettings
from praxis_sdk.tools.engines.dagger import DaggerEngine
from praxis_sdk.tools.engines.docker import DockerEngine
from praxis_sdk.tools.engines.local import LocalEngine
from praxis_sdk.tools.engines.python import PythonEngine
from praxis_sdk.tools.engines.sandbox import SandboxEngine
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import effective_timeout

CONTAINER_KINDS = ("dagger", "docker")


def default_engines(execution: ExecutionSettings, base_dir: str | Path) -> dict[str, Engine]:
    """One of each engine, relative mounts anchored at `base_dir`."""
    engines: list[Engine] = [
        DaggerEngine(execution, base_dir),
        DockerEngine(execution, base_dir),
        SandboxEngine(execution, base_dir),
        LocalEngine(execution, base_dir),
        PythonEngine(),
    ]
    return {engine.name: engine for engine in engines}


class EngineResolver:
    """Chooses and runs engines for contracts (see the module docstring)."""

    def __init__(
        self,
        execution: ExecutionSettings,
        base_dir: str | Path = ".",
        engines: Mapping[str, Engine] | None = None,
    ) -> None:
        self.execution = execution
        self.engines = dict(engines) if engines is not None else default_engines(
            execution, base_dir
        )
        # asyncio's own semaphore: AnyIO's limiter looks up the current task several
        # times on every call (each lookup a `getpid` system call on Python 3.11)
        self.slots = asyncio.Semaphore(execution.max_concurrent)

    def kind(self, contract: ToolContract) -> str:
        """The engine the contract asks for (`execution.default_engine` when it names none)."""
        return contract.engine or self.execution.default_engine

    def candidates(self, contract: ToolContract) -> list[str]:
        """Engine names to try for `contract`, in order."""
        kind = self.kind(contract)
        if kind in CONTAINER_KINDS:
            return list(self.execution.engines)
        if kind == "remote-mcp" and kind not in self.engines:
            raise Unavailable(
                f"tool {contract.name!r} is a remote-mcp contract; the MCP provider serves it"
            )
        return [kind]

    async def resolve(self, contract: ToolContract) -> Engine:
        """The first available candidate; `Unavailable` lists each engine tried and why."""
        tried: dict[str, str] = {}
        for name in self.candidates(contract):
            if name == "local" and not self.execution.allow_unsandboxed:
                if self.kind(contract) == "local":
                    raise NotAllowed(
                        f"tool {contract.name!r} needs unsandboxed execution, "
                        "which execution.allow_unsandboxed forbids"
                    )
                tried[name] = "execution.allow_unsandboxed is false"
                continue
            engine = self.engines.get(name)
            if engine is None:
                tried[name] = "unknown engine"
                continue
            refused = engine.refuses(contract, self.execution)
            if refused:
                tried[name] = refused
            elif await engine.available():
                return engine
            else:
                tried[name] = engine.reason
        listed = "; ".join(f"{name}: {why}" for name, why in tried.items())
        raise Unavailable(
            f"no engine can run tool {contract.name!r} (tried {listed})",
            details={"tool": contract.name, "tried": tried},
        )

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], timeout: float | None = None
    ) -> ToolResult:
        """Run `contract` on its engine within a concurrency slot and a deadline."""
        timeout = effective_timeout(timeout, contract.engine_spec.timeout,
                                    self.execution.default_timeout)
        started = time.perf_counter()
        engine = await self.resolve(contract)
        if not await self._acquire(timeout):
            raise Busy(
                f"all {self.execution.max_concurrent} tool slots stayed busy for {timeout:g}s",
                details={"max_concurrent": self.execution.max_concurrent},
            )
        try:
            remaining = max(0.001, timeout - (time.perf_counter() - started))
            return await engine.run(contract, contract.with_defaults(arguments), timeout=remaining)
        finally:
            self.slots.release()

    async def _acquire(self, timeout: float) -> bool:
        """Take a slot: at once when one is free (no timer), else wait up to `timeout`."""
        if not self.slots.locked():
            return await self.slots.acquire()  # returns without waiting
        try:
            async with asyncio.timeout(timeout):
                return await self.slots.acquire()
        except TimeoutError:
            return False

    async def health(self) -> dict[str, dict[str, Any]]:
        """`{engine: {available, reason}}` for `/health`."""
        report = {}
        for name, engine in self.engines.items():
            ok = await engine.available()
            report[name] = {"available": ok, "reason": engine.reason}
        return report
