"""The `sandbox` engine: bubblewrap runs the contract's command on the host.

Exactly the contract's mounts are bound at their container paths, so
`python /tools/x/main.py` runs unchanged on the host's Python. The system directories
are read-only, /tmp is private, every namespace is unshared (the network too unless
the contract asks for it), and the process dies with the agent. Limits are rlimits set by
`prlimit` before exec (address space, CPU seconds, process count, no core files): no
cgroups.
RLIMIT_NPROC counts per real user and the kernel does not apply it to root, so the
process-count limit only holds when the agent runs as a non-root user; the PID
namespace still guarantees that every process of the tool dies with it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

from praxis_sdk.errors import InvalidInput
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.base import (
    HELPER_ENV,
    Engine,
    ExecutionSettings,
    Limits,
    resolve_mounts,
    tool_environment,
    working_dir,
)
from praxis_sdk.tools.engines.process import run_limited
from praxis_sdk.tools.result import ToolResult

SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
ETC_FILES = (
    "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
    "/etc/localtime", "/etc/ssl", "/etc/ca-certificates", "/etc/mime.types",
)
NET_ETC_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf")
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
PYTHON_NAMES = ("python", "python3")


def system_python() -> tuple[str, list[str]]:
    """A Python interpreter visible inside the sandbox, and any extra dir to bind for it.

    The system's `python3` under /usr is preferred; otherwise the agent's own base
    interpreter, whose prefix is then bound read-only at the same path.
    """
    found = shutil.which("python3", path=SANDBOX_PATH)
    if found and Path(found).resolve().is_relative_to("/usr"):
        return found, []
    import sys

    prefix = Path(sys.base_prefix).resolve()
    return str(prefix / "bin" / "python3"), [str(prefix)]


@contextmanager
def env_args_fd(env: Mapping[str, str]) -> Iterator[int]:
    """An in-memory file of NUL-separated `--setenv NAME VALUE` options for `bwrap --args`."""
    fd = os.memfd_create("praxis-tool-env", os.MFD_CLOEXEC)
    try:
        data = b"".join(
            b"--setenv\0" + name.encode() + b"\0" + value.encode() + b"\0"
            for name, value in env.items()
        )
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        yield fd
    finally:
        os.close(fd)


class SandboxEngine(Engine):
    """Bubblewrap sandbox; `base_dir` anchors relative mount sources (`./shared`)."""

    name = "sandbox"
    probe_ttl = 3600.0

    def __init__(
        self,
        execution: ExecutionSettings,
        base_dir: str | Path = ".",
        *,
        bwrap: str = "bwrap",
        pids_limit: int = 256,
    ) -> None:
        super().__init__()
        self.execution = execution
        self.base_dir = Path(base_dir).resolve()
        self.bwrap = shutil.which(bwrap, path=HELPER_ENV["PATH"]) or bwrap
        self.pids_limit = pids_limit
        self._python: tuple[str, list[str]] | None = None

    async def _probe(self) -> tuple[bool, str]:
        if not shutil.which(self.bwrap):
            return False, "bubblewrap (bwrap) is not installed"
        if not shutil.which("prlimit"):
            return False, "prlimit (util-linux) is not installed"
        try:
            with anyio.fail_after(10):
                result = await anyio.run_process(
                    [self.bwrap, "--unshare-all", "--die-with-parent", *self._system_binds(),
                     "--", "/bin/true"],
                    check=False, env=HELPER_ENV,
                )
        except (OSError, TimeoutError) as exc:
            return False, f"bubblewrap did not start: {exc}"
        if result.returncode != 0:
            why = result.stderr.decode(errors="replace").strip()[-300:]
            return False, f"bubblewrap cannot create namespaces here: {why}"
        return True, "bubblewrap works"

    def _system_binds(self) -> list[str]:
        args: list[str] = []
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in ETC_FILES:
            args += ["--ro-bind-try", path, path]
        return args

    def command(
        self, contract: ToolContract, limits: Limits, *, env_fd: int | None = None
    ) -> list[str]:
        """The full bwrap command line for one run of `contract`.

        bwrap itself starts with the helpers' fixed environment; `--clearenv` empties the
        tool's, and `env_fd` (see `env_args_fd`) holds the `--setenv` options that fill it,
        so argument values never appear on a host command line or in a helper's environment.
        """
        spec = contract.engine_spec
        if not spec.command:
            raise InvalidInput(f"tool {contract.name!r}: engineSpec.command is empty")
        mounts = resolve_mounts(contract, self.base_dir)
        argv = [self.bwrap, "--unshare-all"]
        if limits.networked:
            argv.append("--share-net")
        argv += ["--die-with-parent", "--new-session", "--clearenv"]
        if env_fd is not None:
            argv += ["--args", str(env_fd)]
        argv += self._system_binds()
        if limits.networked:
            for path in NET_ETC_FILES:
                argv += ["--ro-bind-try", path, path]
        program = list(spec.command)
        if program[0] in PYTHON_NAMES:
            if self._python is None:
                self._python = system_python()
            program[0], extra = self._python
            for path in extra:
                argv += ["--ro-bind", path, path]
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for mount in mounts:
            flag = "--ro-bind" if mount.read_only else "--bind"
            argv += [flag, str(mount.source), mount.target]
        argv += ["--chdir", working_dir(contract, mounts), "--", *program]
        return argv

    async def run(
        self, contract: ToolContract, arguments: Mapping[str, Any], *, timeout: float
    ) -> ToolResult:
        limits = Limits.of(contract, self.execution)
        env = {"PATH": SANDBOX_PATH, "LANG": "C.UTF-8", "HOME": "/tmp"}
        env.update(tool_environment(contract, arguments))
        nproc = self.pids_limit if os.geteuid() != 0 else None
        with env_args_fd(env) as fd:
            argv = self.command(contract, limits, env_fd=fd)
            return await run_limited(argv, tool=contract.name, engine=self.name, cwd=None,
                                     limits=limits, timeout=timeout, nproc=nproc,
                                     pass_fds=(fd,))
