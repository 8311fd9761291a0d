"""Runs plans: ready steps concurrently (bounded), dependents after their dependencies.

Per step: conditions (false -> `skipped`), references resolved from earlier results,
a timeout, and retries with backoff. A failed step stops the run: nothing new starts,
running steps finish, the rest are `skipped`. `cancel(run_id)` cancels running steps and
skips the rest. Every change is published (`workflowStart`, `nodeStatusUpdate`,
`workflowLog`, `workflowComplete`, `workflowError`) and saved.

Wiring: `Executor(invoke, publish=bus.publish, save=store.save_run, ...)` where
`invoke(tool, arguments, provider, timeout)` is e.g. `catalog.invoke` adapted to that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from praxis_sdk.errors import Conflict, NotFound, PraxisError
from praxis_sdk.runner.conditions import as_text, evaluate, resolve
from praxis_sdk.runner.plan import Plan, Step
from praxis_sdk.runner.state import NODE_DONE, NodeState, RunState, now
from praxis_sdk.tools.result import ToolResult

Invoke = Callable[[str, dict[str, Any], "str | None", "float | None"], Awaitable[ToolResult]]
Publish = Callable[[str, dict[str, Any]], None]
Save = Callable[[RunState], Awaitable[None]]

log = logging.getLogger(__name__)
NOT_RETRIED = frozenset({"invalid_input", "not_found", "not_allowed", "unauthorized"})


class _Run:
    def __init__(self, state: RunState) -> None:
        self.state = state
        self.steps = {s.id: s for s in state.plan.steps}
        self.tasks: dict[str, asyncio.Task[ToolResult]] = {}
        self.cancelled = asyncio.Event()
        self.done = asyncio.Event()
        self.driver: asyncio.Task[None] | None = None
        self.save_lock = asyncio.Lock()
        self.unsaved = False  # changed since the last save began


class Executor:
    """One per node; `start`/`run` a plan, `cancel`/`wait`/`get` by run id."""

    def __init__(
        self,
        invoke: Invoke,
        *,
        publish: Publish | None = None,
        save: Save | None = None,
        max_parallel: int = 8,
        default_timeout: float | None = None,
        timeout_grace: float = 1.0,
        keep_finished: int = 1000,
    ) -> None:
        self._invoke = invoke
        self._publish = publish
        self._save = save
        self.max_parallel = max(1, max_parallel)
        self.default_timeout = default_timeout
        self.timeout_grace = timeout_grace
        self.keep_finished = keep_finished
        self._runs: dict[str, _Run] = {}
        self._active: set[str] = set()
        self._finished: deque[_Run] = deque()  # in the order they finished

    # ---------------------------------------------------------------- public

    async def start(self, plan: Plan, run_id: str | None = None) -> RunState:
        """Begin running `plan` in the background; returns once it is saved and announced."""
        run_id = run_id or uuid.uuid4().hex
        if run_id in self._runs and not self._runs[run_id].done.is_set():
            raise Conflict(f"workflow {run_id!r} is already running")
        state = RunState(id=run_id, plan=plan,
                         nodes={s.id: NodeState() for s in plan.steps})
        run = _Run(state)
        self._runs[run_id] = run
        self._active.add(run_id)
        self._forget_old()
        state.status = "running"
        self._emit("workflowStart", {"workflowId": run_id, **plan.to_graph()})
        await self._persist(run)
        run.driver = asyncio.create_task(self._drive(run), name=f"workflow-{run_id}")
        return state

    async def run(self, plan: Plan, run_id: str | None = None) -> RunState:
        """Run `plan` to its end and return the final state."""
        state = await self.start(plan, run_id)
        return await self.wait(state.id)

    async def wait(self, run_id: str, timeout: float | None = None) -> RunState:
        """The final state of a run; `TimeoutError` if it is still running after `timeout`."""
        run = self._get(run_id)
        async with asyncio.timeout(timeout):
            await run.done.wait()
        return run.state

    async def cancel(self, run_id: str, timeout: float = 10.0) -> RunState:
        """Cancel a run (running steps cancelled, the rest skipped) and wait for it to settle."""
        run = self._get(run_id)
        if not run.done.is_set():
            run.cancelled.set()
            for task in list(run.tasks.values()):
                task.cancel()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await run.done.wait()
        return run.state

    def get(self, run_id: str) -> RunState | None:
        run = self._runs.get(run_id)
        return run.state if run else None

    def active(self) -> list[str]:
        return [rid for rid in self._active if not self._runs[rid].done.is_set()]

    async def aclose(self, timeout: float = 10.0) -> None:
        """Cancel every active run (shutdown)."""
        for run_id in self.active():
            await self.cancel(run_id, timeout)

    # ---------------------------------------------------------------- driving

    async def _drive(self, run: _Run) -> None:
        try:
            await self._schedule(run)
        except Exception as exc:  # a bug must still end the run visibly
            log.exception("workflow %s crashed", run.state.id)
            self._stop_rest(run, "skipped")
            run.state.error = {"code": "internal", "message": f"{type(exc).__name__}: {exc}",
                               "details": {}}
            run.state.status = "failed"
        finally:
            await self._finish(run)

    async def _schedule(self, run: _Run) -> None:
        steps, state = run.steps, run.state
        waiting = {sid: len(set(s.depends_on)) for sid, s in steps.items()}
        users: dict[str, list[str]] = {sid: [] for sid in steps}
        for sid, step in steps.items():
            for dep in set(step.depends_on):
                users[dep].append(sid)
        ready = deque(sid for sid, n in waiting.items() if n == 0)
        running: dict[asyncio.Task[ToolResult], str] = {}

        def release(sid: str) -> None:
            for user in users[sid]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    ready.append(user)

        while True:
            while ready and len(running) < self.max_parallel and not self._stopping(run):
                sid = ready.popleft()
                task = await self._begin(run, steps[sid])
                if task is None:
                    release(sid)
                else:
                    running[task] = sid
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                sid = running.pop(task)
                run.tasks.pop(sid, None)
                await self._end(run, steps[sid], task)
                release(sid)
        if state.status == "running" and self._stopping(run):
            self._stop_rest(run, "skipped")

    def _stopping(self, run: _Run) -> bool:
        return run.cancelled.is_set() or run.state.error is not None

    async def _begin(self, run: _Run, step: Step) -> asyncio.Task[ToolResult] | None:
        """Start a step; None when it ended at once (skipped, failed check, marker node)."""
        node = run.state.nodes[step.id]
        if step.condition is not None:
            try:
                holds = evaluate(step.condition, run.state.results)
            except PraxisError as exc:
                await self._node_failed(run, step, exc.to_dict())
                return None
            if not holds:
                self._log(run, "info", f"step {step.id} skipped: {skip_reason(step.condition)}")
                await self._set(run, step, "skipped")
                return None
        if step.tool is None:
            await self._set(run, step, "completed")
            return None
        try:
            arguments = self._arguments(run, step)
        except PraxisError as exc:
            await self._node_failed(run, step, exc.to_dict())
            return None
        node.started_at = now()
        await self._set(run, step, "running")
        task = asyncio.create_task(self._attempts(run, step, arguments))
        run.tasks[step.id] = task
        if run.cancelled.is_set():  # cancelled while this step was being saved
            task.cancel()
        return task

    def _arguments(self, run: _Run, step: Step) -> dict[str, Any]:
        arguments = resolve(step.arguments, run.state.results)
        for name in step.string_params:
            if name in arguments and not isinstance(arguments[name], str):
                arguments[name] = as_text(arguments[name])
        return arguments

    async def _end(self, run: _Run, step: Step, task: asyncio.Task[ToolResult]) -> None:
        node = run.state.nodes[step.id]
        node.finished_at = now()
        if task.cancelled():
            node.error = {"code": "cancelled", "message": "cancelled", "details": {}}
            await self._set(run, step, "cancelled")
            return
        exc = task.exception()
        if exc is not None:  # _attempts turns every error into a result; this is a bug
            await self._node_failed(run, step, {"code": "internal", "message": repr(exc),
                                                "details": {}})
            return
        result = task.result()
        node.result = result
        if result.ok:
            if step.output:
                run.state.results[step.output] = result
            await self._set(run, step, "completed")
        else:
            error = result.error.model_dump() if result.error else {
                "code": "tool_failed", "message": result.text, "details": {}}
            await self._node_failed(run, step, error)

    async def _node_failed(self, run: _Run, step: Step, error: dict[str, Any]) -> None:
        node = run.state.nodes[step.id]
        node.error = error
        node.finished_at = node.finished_at or now()
        self._log(run, "error", f"step {step.id} ({step.tool}) failed: {error.get('message')}")
        if run.state.error is None:
            run.state.error = {
                "code": error.get("code", "tool_failed"),
                "message": f"step {step.id} ({step.tool}) failed: {error.get('message')}",
                "details": {"step": step.id, "tool": step.tool, "error": error},
            }
        await self._set(run, step, "failed", error=error)

    # ---------------------------------------------------------------- one step

    async def _attempts(self, run: _Run, step: Step, arguments: dict[str, Any]) -> ToolResult:
        node = run.state.nodes[step.id]
        attempts = step.retry.attempts if step.retry else 1
        result = None
        for attempt in range(1, attempts + 1):
            node.attempts = attempt
            result = await self._call(step, arguments)
            if result.ok or attempt == attempts or (
                result.error is not None and result.error.code in NOT_RETRIED
            ):
                return result
            delay = step.retry.delay(attempt) if step.retry else 0.0
            self._log(run, "warning", f"step {step.id} ({step.tool}) attempt {attempt} of "
                      f"{attempts} failed: {result.text}; retrying in {delay:g}s")
            self._emit("nodeStatusUpdate", {"workflowId": run.state.id, "nodeId": step.id,
                                            "status": "running", "attempt": attempt + 1})
            await self._persist(run)
            with contextlib.suppress(TimeoutError):  # the backoff; a cancel ends it early
                async with asyncio.timeout(delay):
                    await run.cancelled.wait()
            if run.cancelled.is_set():
                raise asyncio.CancelledError
        assert result is not None
        return result

    async def _call(self, step: Step, arguments: dict[str, Any]) -> ToolResult:
        timeout = step.timeout or self.default_timeout
        deadline = None if timeout is None else timeout + self.timeout_grace
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(deadline):
                return await self._invoke(step.tool or "", arguments, step.provider, timeout)
        except TimeoutError:
            return self._failure(step, "timeout", f"timed out after {timeout:g}s", started)
        except PraxisError as exc:
            return self._failure(step, exc.code, exc.message, started, exc.details)
        except Exception as exc:
            log.exception("tool %s raised", step.tool)
            return self._failure(step, "internal", f"{type(exc).__name__}: {exc}", started)

    def _failure(self, step: Step, code: str, message: str, started: float,
                 details: dict[str, Any] | None = None) -> ToolResult:
        elapsed = (asyncio.get_running_loop().time() - started) * 1000
        return ToolResult.failure(tool=step.tool or "", provider=step.provider or "",
                                  engine="", code=code, message=message, details=details,
                                  duration_ms=elapsed)

    # ---------------------------------------------------------------- state

    async def _set(self, run: _Run, step: Step, status: str, **extra: Any) -> None:
        run.state.nodes[step.id].status = status  # type: ignore[assignment]
        payload = {"workflowId": run.state.id, "nodeId": step.id, "status": status}
        self._emit("nodeStatusUpdate", payload | extra)
        if not run.cancelled.is_set():  # a cancelled run is saved once, as it ends
            await self._persist(run)

    def _stop_rest(self, run: _Run, status: str) -> None:
        for sid, node in run.state.nodes.items():
            if node.status not in NODE_DONE:
                node.status = status  # type: ignore[assignment]
                self._emit("nodeStatusUpdate", {"workflowId": run.state.id, "nodeId": sid,
                                                "status": status})

    async def _finish(self, run: _Run) -> None:
        state = run.state
        if run.cancelled.is_set() and state.status == "running":
            state.status = "cancelled"
            state.error = {"code": "cancelled", "message": "the workflow was cancelled",
                           "details": {}}
        elif state.status == "running":
            state.status = "failed" if state.error else "completed"
        if state.status == "completed":
            self._emit("workflowComplete", {"workflowId": state.id, "result": state.summary()})
        else:
            self._emit("workflowError", {"workflowId": state.id, "error": state.error})
        await self._persist(run)
        run.done.set()
        self._active.discard(state.id)
        self._finished.append(run)

    async def _persist(self, run: _Run) -> None:
        """Save the run; changes made while a save is running share the next save."""
        run.state.updated_at = now()
        if self._save is None:
            return
        run.unsaved = True
        async with run.save_lock:
            if not run.unsaved:  # a save that began after this change has written it
                return
            run.unsaved = False
            try:
                await self._save(run.state)
            except Exception:
                log.exception("saving workflow %s failed", run.state.id)

    def _log(self, run: _Run, level: str, message: str) -> None:
        self._emit("workflowLog", {"workflowId": run.state.id, "level": level,
                                   "message": message})

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        if self._publish is None:
            return
        try:
            self._publish(kind, payload)
        except Exception:
            log.exception("publishing %s failed", kind)

    def _get(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is None:
            raise NotFound(f"no workflow run {run_id!r}")
        return run

    def _forget_old(self) -> None:
        while len(self._finished) > self.keep_finished:
            run = self._finished.popleft()
            if self._runs.get(run.state.id) is run:
                del self._runs[run.state.id]


def _closes(text: str, start: int) -> int:
    """Where the parenthesis at `start` closes (quoted text skipped); -1 if it does not."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def skip_reason(condition: str) -> str:
    """Why a step whose condition was false did not run, in plain words: an IF step's
    `(x > 1) is false`, an ELSE step's (`not (x > 1)`, as compile.py writes it)
    `(x > 1) is true`, nested branches' `(a) and (not (b)) does not hold`."""
    text = condition.strip()
    if text.startswith("not (") and _closes(text, 4) == len(text) - 1:
        return f"{text[4:]} is true (ELSE branch)"
    if text.startswith("(") and _closes(text, 0) == len(text) - 1:
        return f"{text} is false"
    if text.startswith("(") and " and (" in text:
        return f"{text} does not hold"
    return f"({text}) is false"
