"""The `local` engine: a plain subprocess on the host, with no isolation at all.

Only used when `execution.allow_unsandboxed` is true (the resolver enforces that).
Container paths of the contract's mounts in the command and working dir are mapped
to their host sources, so the same contract runs here unchanged.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from praxis_sdk.errors import InvalidInput
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import (
    HELPER_ENV,
    Engine,
    ExecutionSettings,
    Limits,
    Mount,
    resolve_mounts,
    tool_environment,
    working_dir,
)
from praxis_sdk.tools.engines.process import run_limited
from praxis_sdk.tools.engines.sandbox import PYTHON_NAMES
from praxis_sdk.tools.result import ToolResult


def to_host_path(text: str, mounts: list[Mount]) -> str:
    """`/tools/x/main.py` -> `<base>/tools/x/main.py` when `/tools` is a mount target."""
    for mount in sorted(mounts, key=lambda m: len(m.target), reverse=True):
        if text == mount.target or text.startswith(mount.target.rstrip("/") + "/"):
            return str(mount.source) + text[len(mount.target):]
    return text


def with_env(env: Mapping[str, str]) -> list[str]:
    """`env -i -- NAME=VALUE ...`: the tool's environment, set only for the tool itself
    (prlimit before it runs with the helpers' fixed environment)."""
    program = shutil.which("env", path=HELPER_ENV["PATH"]) or "/usr/bin/env"
    return [program, "-i", "--", *(f"{name}={value}" for name, value in env.items())]


class LocalEngine(Engine):
    """Unsandboxed subprocess; limits are the same rlimits as the sandbox."""

    name = "local"
    probe_ttl = math.inf

    def __init__(self, execution: ExecutionSettings, base_dir: str | Path = ".") -> None:
        super().__init__()
        self.execution = execution
        self.base_dir = Path(base_dir).resolve()

    async def _probe(self) -> tuple[bool, str]:
        if not self.execution.allow_unsandboxed:
            return False, "execution.allow_unsandboxed is false"
        return True, "plain subprocesses allowed"

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        spec = contract.engine_spec
        if not spec.command:
            raise InvalidInput(f"tool {contract.name!r}: engineSpec.command is empty")
        limits = Limits.of(contract, self.execution)
        mounts = resolve_mounts(contract, self.base_dir)
        argv = [to_host_path(part, mounts) for part in spec.command]
        if argv[0] in PYTHON_NAMES:
            argv[0] = sys.executable
        else:
            argv[0] = shutil.which(argv[0]) or argv[0]
        if "=" in argv[0]:
            raise InvalidInput(f"tool {contract.name!r}: program {argv[0]!r} contains '='")
        env = {"PATH": os.environ.get("PATH", HELPER_ENV["PATH"]), "LANG": "C.UTF-8"}
        env.update(tool_environment(contract, arguments))
        cwd = to_host_path(working_dir(contract, mounts), mounts)
        return await run_limited([*with_env(env), *argv], tool=contract.name, engine=self.name,
                                 cwd=cwd if os.path.isdir(cwd) else str(self.base_dir),
                                 limits=limits, timeout=timeout)
