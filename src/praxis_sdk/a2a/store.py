"""The SDK's `TaskStore` on the node's one task table (`praxis_sdk.store.Store`).

Writes are fast without giving durability up: a task is committed when it is accepted
(its first save) and when it reaches a final or interrupted state, each awaited; a move
to `working` is queued for the next grouped commit without waiting, and progress within
a state (status messages, artifacts) stays in memory until the next state is written.
A crash can lose only progress, and start-up recovery marks such tasks failed. Live and
recently finished tasks are kept in memory, so the SDK's reads of them (and of the new
ids it checks before creating a task, `NewTaskIds` among them) never touch the disk.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from a2a.server.context import ServerCallContext
from a2a.server.id_generator import IDGenerator, IDGeneratorContext
from a2a.server.tasks.task_store import TaskStore
from a2a.types.a2a_pb2 import ListTasksRequest, ListTasksResponse, Task, TaskState
from a2a.utils.constants import DEFAULT_LIST_TASKS_PAGE_SIZE, MAX_LIST_TASKS_PAGE_SIZE
from a2a.utils.errors import InvalidParamsError

from praxis_sdk.a2a.tasks import FINAL, STATE_NAMES, from_row, state_name, to_row
from praxis_sdk.metrics import Metrics

Publish = Callable[[str, dict[str, Any]], Any]
AWAITED = FINAL | {TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED}
RECENT = 2048  # finished tasks, and ids looked up and not found, kept in memory


class PraxisTaskStore(TaskStore):
    """A2A tasks as rows of kind "a2a"; every other row is readable as an A2A task."""

    def __init__(self, store: Any, *, publish: Publish, metrics: Metrics) -> None:
        self.store = store
        self.publish = publish
        self.metrics = metrics
        self._live: dict[str, tuple[Task, float]] = {}  # id -> (task, created_at)
        self._recent: OrderedDict[str, Task | None] = OrderedDict()  # None: not stored

    async def save(self, task: Task, context: ServerCallContext | None = None) -> None:
        before = self._live.get(task.id)
        copy = Task()
        copy.CopyFrom(task)
        state = task.status.state
        if state in AWAITED:  # final or waiting for the caller: written now, not kept live
            self._live.pop(task.id, None)
            self._remember(task.id, copy)
        else:
            self._recent.pop(task.id, None)
        self._events(before[0] if before else None, copy)
        if before is not None and before[0].status.state == state and state not in AWAITED:
            self._live[task.id] = (copy, before[1])  # same state: progress stays in memory
            return
        row = to_row(task, created_at=before[1] if before else None)  # kept if stored
        if state not in AWAITED:
            self._live[task.id] = (copy, row.created_at)
        if before is None or state in AWAITED:
            await self.store.put_task(row)
            if state in FINAL:
                self._finished(row.state, row.created_at, row.updated_at)
        else:
            await self.store.put_task(row, wait=False)

    async def get(self, task_id: str, context: ServerCallContext | None = None) -> Task | None:
        live = self._live.get(task_id)
        found = live[0] if live is not None else self._recent.get(task_id, False)
        if found is False:
            row = await self.store.find_task(task_id)
            found = None if row is None else from_row(row)
            if found is None or found.status.state in AWAITED:
                self._remember(task_id, found)
        if found is None:
            return None
        copy = Task()
        copy.CopyFrom(found)
        return copy

    def not_stored(self, task_id: str) -> None:
        """Note an id known not to be stored (one just made), so `get` needs no lookup."""
        self._remember(task_id, None)

    def _remember(self, task_id: str, task: Task | None) -> None:
        self._recent[task_id] = task
        self._recent.move_to_end(task_id)
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    async def list(self, params: ListTasksRequest, context: ServerCallContext | None = None
                   ) -> ListTasksResponse:
        size = params.page_size if params.HasField("page_size") else DEFAULT_LIST_TASKS_PAGE_SIZE
        size = max(1, min(size, MAX_LIST_TASKS_PAGE_SIZE))
        try:
            offset = int(params.page_token or 0)
        except ValueError:
            raise InvalidParamsError(message=f"invalid page token {params.page_token!r}"
                                     ) from None
        after = None
        if params.HasField("status_timestamp_after"):
            after = params.status_timestamp_after.ToNanoseconds() / 1e9
        state = STATE_NAMES.get(params.status) if params.status else None
        rows, total = await self.store.list_tasks(
            state=state, context_id=params.context_id or None, updated_after=after,
            limit=size, offset=offset)
        tasks = [self._live[r.id][0] if r.id in self._live else from_row(r) for r in rows]
        following = offset + len(rows)
        return ListTasksResponse(
            tasks=tasks, page_size=size, total_size=total,
            next_page_token=str(following) if following < total else "")

    async def delete(self, task_id: str, context: ServerCallContext | None = None) -> None:
        self._live.pop(task_id, None)
        self._recent.pop(task_id, None)
        await self.store.delete_task(task_id)

    def _events(self, before: Task | None, after: Task) -> None:
        if before is None or before.status.state != after.status.state:
            self.publish("taskStatusUpdate", {
                "taskId": after.id, "state": state_name(after.status.state), "kind": "a2a",
                "contextId": after.context_id})
        known = {a.artifact_id for a in before.artifacts} if before else set()
        for artifact in after.artifacts:
            if artifact.artifact_id not in known:
                self.publish("taskArtifactUpdate", {
                    "taskId": after.id, "artifactId": artifact.artifact_id,
                    "name": artifact.name, "contextId": after.context_id})

    def _finished(self, state: str, created_at: float, updated_at: float) -> None:
        self.metrics.tasks.labels("a2a", state).inc()
        self.metrics.task_duration.labels("a2a", state).observe(max(0.0, updated_at - created_at))



class NewTaskIds(IDGenerator):
    """Task ids for new tasks (random UUIDs) that the store knows are not stored yet."""

    def __init__(self, store: PraxisTaskStore) -> None:
        self.store = store

    def generate(self, context: IDGeneratorContext) -> str:
        task_id = str(uuid.uuid4())
        self.store.not_stored(task_id)
        return task_id
