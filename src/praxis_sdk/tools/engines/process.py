"""Run a child process with a deadline, capped output, and a clean kill of its whole group;
and turn what any engine saw (exit code, stdout, stderr) into the one result shape."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from praxis_sdk.errors import Timeout as ToolTimeout
from praxis_sdk.errors import TooLarge, ToolFailed
from praxis_sdk.tools.engines.base import HELPER_ENV, Limits
from praxis_sdk.tools.result import TextContent, ToolResult

STDERR_TAIL_BYTES = 4096
STDERR_KEEP_BYTES = 64 * 1024
CHUNK = 65536


@dataclass
class Outcome:
    """What a run produced, whichever engine ran it."""

    exit_code: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    truncated: bool = False
    duration_ms: float = 0.0


async def _read_capped(
    stream: asyncio.StreamReader, limit: int, on_overflow: Callable[[], None]
) -> tuple[bytes, bool]:
    """Keep the first `limit` bytes and drain the rest to EOF; call `on_overflow` once.

    Draining matters: asyncio only reports the process finished once its pipes close.
    """
    buf = bytearray()
    truncated = False
    while chunk := await stream.read(CHUNK):
        room = limit - len(buf)
        if len(chunk) > room:
            buf.extend(chunk[: max(room, 0)])
            if not truncated:
                truncated = True
                on_overflow()
        else:
            buf.extend(chunk)
    return bytes(buf), truncated


async def _read_tail(stream: asyncio.StreamReader, keep: int) -> bytes:
    buf = bytearray()
    while chunk := await stream.read(CHUNK):
        buf.extend(chunk)
        if len(buf) > 2 * keep:
            del buf[:-keep]
    return bytes(buf[-keep:])


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL the child's process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


async def run_process(
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: str | None,
    timeout: float,
    max_output_bytes: int,
    grace: float = 5.0,
    pass_fds: tuple[int, ...] = (),
) -> Outcome:
    """Run `argv` in a new session; on timeout or output flood kill the whole group."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        pass_fds=pass_fds,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out_task = asyncio.ensure_future(
        _read_capped(proc.stdout, max_output_bytes, lambda: _kill_group(proc))
    )
    err_task = asyncio.ensure_future(_read_tail(proc.stderr, STDERR_KEEP_BYTES))

    async def finish() -> None:
        await asyncio.shield(asyncio.gather(out_task, err_task))
        await proc.wait()

    timed_out = False
    try:
        try:
            await asyncio.wait_for(finish(), timeout)
        except TimeoutError:
            timed_out = True
            _kill_group(proc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finish(), grace)
        # The leader is gone; whatever it left in its group goes too.
        _kill_group(proc)
    finally:
        if proc.returncode is None:
            _kill_group(proc)
        for task in (out_task, err_task):
            task.cancel()
    stdout, truncated = out_task.result() if _finished(out_task) else (b"", False)
    stderr = err_task.result() if _finished(err_task) else b""
    return Outcome(
        exit_code=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        truncated=truncated,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _finished(task: asyncio.Future) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


def _tail(data: bytes) -> str:
    text = data[-STDERR_TAIL_BYTES:].decode("utf-8", "replace")
    return text.strip()


def outcome_to_result(
    outcome: Outcome, *, tool: str, engine: str, timeout: float, max_output_bytes: int
) -> ToolResult:
    """Success when the tool exited 0 within its limits; else a failure carrying stderr's tail."""
    stdout = outcome.stdout.decode("utf-8", "replace")
    stderr_tail = _tail(outcome.stderr)
    common = {"tool": tool, "provider": "", "engine": engine, "duration_ms": outcome.duration_ms}
    details: dict[str, object] = {"exit_code": outcome.exit_code, "stderr": stderr_tail}
    if outcome.timed_out:
        return ToolResult.failure(
            code=ToolTimeout.code,
            message=f"tool {tool!r} timed out after {round(timeout, 2):g}s and was killed",
            details=details,
            **common,
        )
    if outcome.truncated:
        message = (
            f"tool {tool!r} output was cut at {max_output_bytes} bytes "
            "(execution.max_output_bytes) and the tool was stopped"
        )
        result = ToolResult.failure(
            code=TooLarge.code, message=message, details=details, **common
        )
        result.content = [TextContent(text=stdout), TextContent(text=f"[output cut: {message}]")]
        return result
    if outcome.exit_code != 0:
        why = stderr_tail.splitlines()[-1] if stderr_tail else "no error output"
        result = ToolResult.failure(
            code=ToolFailed.code,
            message=f"tool {tool!r} exited with code {outcome.exit_code}: {why}",
            details=details,
            **common,
        )
        if stdout.strip():
            result.content.append(TextContent(text=stdout))
        return result
    return ToolResult.from_output(output=stdout, **common)


def rlimit_prefix(memory_bytes: int, cpu_seconds: int, nproc: int | None) -> list[str]:
    """`prlimit ... --` applying the limits to the command it execs.

    A wrapper process, not a `preexec_fn`: Python code between fork and exec can deadlock
    when the agent has other threads (worker threads, the child watcher), which it does.
    """
    prlimit = shutil.which("prlimit", path=HELPER_ENV["PATH"]) or "prlimit"
    limits = [f"--as={memory_bytes}", f"--cpu={cpu_seconds}", "--core=0"]
    if nproc is not None:
        limits.append(f"--nproc={nproc}")
    return [prlimit, *limits, "--"]


async def run_limited(
    argv: list[str], *, tool: str, engine: str, cwd: str | None, limits: Limits,
    timeout: float, nproc: int | None = None, pass_fds: tuple[int, ...] = (),
) -> ToolResult:
    """One tool run of `argv` under its memory, CPU-time and process limits.

    `prlimit` and whatever `argv` starts with run with `HELPER_ENV` only: the tool's own
    environment is for `argv` to set (bwrap `--setenv`, `env -i`), never the helpers'.
    """
    cpu_seconds = max(1, math.ceil(timeout * max(limits.cpus, 1.0))) + 1
    outcome = await run_process(
        [*rlimit_prefix(limits.memory_bytes, cpu_seconds, nproc), *argv],
        env=HELPER_ENV, cwd=cwd, timeout=timeout, max_output_bytes=limits.max_output_bytes,
        pass_fds=pass_fds,
    )
    return outcome_to_result(outcome, tool=tool, engine=engine, timeout=timeout,
                             max_output_bytes=limits.max_output_bytes)


def collected_result(
    *, tool: str, engine: str, limits: Limits, timeout: float, started: float,
    exit_code: int | None, stdout: bytes, stderr: bytes, timed_out: bool, truncated: bool,
) -> ToolResult:
    """The result of a run whose output an engine collected itself (containers)."""
    outcome = Outcome(exit_code=exit_code, stdout=stdout, stderr=stderr, timed_out=timed_out,
                      truncated=truncated, duration_ms=(time.perf_counter() - started) * 1000)
    return outcome_to_result(outcome, tool=tool, engine=engine, timeout=timeout,
                             max_output_bytes=limits.max_output_bytes)
