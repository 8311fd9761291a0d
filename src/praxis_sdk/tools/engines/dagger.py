"""The `dagger` engine: the contract's image and command as a Dagger pipeline.

Used only when a Dagger engine answers: the `dagger-io` package must be importable and
either a Dagger session is already open (`DAGGER_SESSION_PORT`, as inside `dagger run`)
or the `dagger` CLI is on PATH to start one. The SDK would otherwise download an
engine at first use, which a node must not do behind the operator's back, so without
either the engine reports itself unavailable at once and resolution moves on.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio

from praxis_sdk.errors import InvalidInput
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import (
    Engine,
    ExecutionSettings,
    Limits,
    resolve_mounts,
    tool_environment,
    working_dir,
)
from praxis_sdk.tools.engines.process import collected_result
from praxis_sdk.tools.result import ToolResult


def dagger_status() -> tuple[bool, str]:
    """Whether a Dagger engine can answer, without starting or downloading anything."""
    if importlib.util.find_spec("dagger") is None:
        return False, "dagger-io is not installed"
    if os.environ.get("DAGGER_SESSION_PORT") and os.environ.get("DAGGER_SESSION_TOKEN"):
        return True, "inside a Dagger session"
    if shutil.which("dagger"):
        return True, "dagger CLI on PATH"
    return False, "no Dagger engine: no dagger CLI on PATH and no DAGGER_SESSION_PORT"


class DaggerEngine(Engine):
    """Runs contracts through the Dagger SDK; mounts are synced back after the run."""

    name = "dagger"
    probe_ttl = 60.0

    def __init__(self, execution: ExecutionSettings, base_dir: str | Path = ".") -> None:
        super().__init__()
        self.execution = execution
        self.base_dir = Path(base_dir).resolve()

    async def _probe(self) -> tuple[bool, str]:
        return dagger_status()

    def refuses(self, contract: ToolContract, execution: ExecutionSettings) -> str | None:
        if not Limits.of(contract, execution).networked:
            return "Dagger cannot cut a container's network (the contract asks for none)"
        return None

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        import dagger

        spec = contract.engine_spec
        if not spec.image or not spec.command:
            raise InvalidInput(f"tool {contract.name!r}: dagger needs engineSpec.image and command")
        limits = Limits.of(contract, self.execution)
        mounts = resolve_mounts(contract, self.base_dir)
        started = time.perf_counter()
        stdout, stderr, exit_code, timed_out = "", "", None, False
        with anyio.move_on_after(timeout) as scope:
            async with dagger.Connection(dagger.Config(execute_timeout=timeout)) as client:
                ctr = client.container().from_(spec.image)
                for mount in mounts:
                    ctr = ctr.with_mounted_directory(
                        mount.target, client.host().directory(str(mount.source))
                    )
                for key, value in tool_environment(contract, arguments).items():
                    ctr = ctr.with_env_variable(key, value)
                ctr = ctr.with_workdir(working_dir(contract, mounts)).with_exec(
                    list(spec.command), expect=dagger.ReturnType.ANY
                )
                stdout, stderr = await ctr.stdout(), await ctr.stderr()
                exit_code = await ctr.exit_code()
                for mount in mounts:
                    if not mount.read_only:
                        await ctr.directory(mount.target).export(str(mount.source))
        timed_out = scope.cancelled_caught
        data = stdout.encode()
        return collected_result(
            tool=contract.name, engine=self.name, limits=limits, timeout=timeout,
            started=started, exit_code=exit_code, stdout=data[: limits.max_output_bytes],
            stderr=stderr.encode(), timed_out=timed_out,
            truncated=len(data) > limits.max_output_bytes,
        )
