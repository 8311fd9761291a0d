"""Our task rows as A2A `Task`s and back, and step results as A2A artifacts.

An A2A task keeps its whole A2A form (status, history, artifacts, metadata) in the row's
`meta["a2a"]`; the row's columns (state, input, result, error) say the same in the shape
`GET /tasks` shows. A row of another kind (dsl, workflow, tool) is shown over A2A too:
its state becomes the status and each step's result an artifact.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from a2a.helpers.proto_helpers import new_data_part, new_text_part
from a2a.types.a2a_pb2 import Artifact, Message, Part, Role, Task, TaskState, TaskStatus
from google.protobuf.json_format import MessageToDict, ParseDict

from praxis_sdk.store import Task as Row

STATE_NAMES: dict[int, str] = {
    TaskState.TASK_STATE_SUBMITTED: "submitted",
    TaskState.TASK_STATE_WORKING: "working",
    TaskState.TASK_STATE_COMPLETED: "completed",
    TaskState.TASK_STATE_FAILED: "failed",
    TaskState.TASK_STATE_CANCELED: "canceled",
    TaskState.TASK_STATE_REJECTED: "rejected",
    TaskState.TASK_STATE_INPUT_REQUIRED: "input-required",
    TaskState.TASK_STATE_AUTH_REQUIRED: "auth-required",
}
STATES: dict[str, int] = {name: value for value, name in STATE_NAMES.items()}
FINAL = frozenset({TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED,
                   TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED})
KIND = "a2a"


def state_name(state: int) -> str:
    return STATE_NAMES.get(state, "submitted")


def agent_text(text: str, task: Task | None = None, **ids: str) -> Message:
    """An agent message with one text part (for status updates)."""
    message = Message(role=Role.ROLE_AGENT, message_id=f"m-{time.time_ns():x}",
                      parts=[new_text_part(text)], **ids)
    if task is not None:
        message.task_id, message.context_id = task.id, task.context_id
    return message


def result_artifact(artifact_id: str, name: str, result: dict[str, Any]) -> Artifact:
    """A step's ToolResult as an artifact: the text a person reads, and the whole result."""
    text = "\n".join(part.get("text", "") for part in result.get("content") or [])
    if not text and result.get("error"):
        text = str(result["error"].get("message", ""))
    return Artifact(artifact_id=artifact_id, name=name,
                    parts=[new_text_part(text), new_data_part(result)])


def message_input(message: Message) -> dict[str, Any]:
    """What the caller asked, in the row's `input` column."""
    out: dict[str, Any] = {}
    texts = [p.text for p in message.parts if p.HasField("text")]
    data = [MessageToDict(p)["data"] for p in message.parts if p.HasField("data")]
    if texts:
        out["text"] = "\n".join(texts)
    if data:
        out["data"] = data[0] if len(data) == 1 else data
    return out


def to_row(task: Task, *, created_at: float | None = None) -> Row:
    """The row of an A2A task (kind "a2a")."""
    now = time.time()
    state = state_name(task.status.state)
    first_user = next((m for m in task.history if m.role == Role.ROLE_USER), None)
    status_text = "\n".join(p.text for p in task.status.message.parts if p.HasField("text"))
    error = None
    if task.status.state in (TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_REJECTED):
        error = {"code": "failed", "message": status_text or state, "details": {}}
    elif task.status.state == TaskState.TASK_STATE_CANCELED:
        error = {"code": "cancelled", "message": status_text or "canceled", "details": {}}
    whole = MessageToDict(task)
    result = {"artifacts": whole["artifacts"]} if task.artifacts else None
    meta = {"a2a": whole}
    if "runId" in task.metadata:
        meta["run_id"] = task.metadata["runId"]
    return Row(id=task.id, kind=KIND, state=state, context_id=task.context_id or None,
               input=message_input(first_user) if first_user else {}, result=result,
               error=error, meta=meta, created_at=created_at or now, updated_at=now)


def from_row(row: Row) -> Task:
    """An A2A task from any row; the row's state (e.g. after recovery) wins."""
    data = (row.meta or {}).get("a2a")
    task = Task()
    if isinstance(data, dict):
        ParseDict(data, task, ignore_unknown_fields=True)
    else:
        task.id = row.id
        task.context_id = row.context_id or ""
        task.metadata.update({"kind": row.kind})
        task.artifacts.extend(_step_artifacts(row))
    state = STATES.get(row.state, TaskState.TASK_STATE_SUBMITTED)
    if task.status.state != state:
        message = (row.error or {}).get("message") if isinstance(row.error, dict) else None
        task.status.CopyFrom(TaskStatus(state=state))
        if message:
            task.status.message.CopyFrom(agent_text(message, task))
    if not task.status.HasField("timestamp"):
        task.status.timestamp.FromDatetime(datetime.fromtimestamp(row.updated_at, UTC))
    if not isinstance(data, dict) and row.error and not task.status.HasField("message"):
        task.status.message.CopyFrom(agent_text(str(row.error.get("message", "")), task))
    return task


def _step_artifacts(row: Row) -> list[Artifact]:
    result = row.result if isinstance(row.result, dict) else {}
    artifacts = []
    for step_id, step in (result.get("steps") or {}).items():
        if isinstance(step, dict) and isinstance(step.get("result"), dict):
            name = step.get("output") or f"{step_id}:{step.get('tool')}"
            artifacts.append(result_artifact(f"{row.id}-{step_id}", name, step["result"]))
    if not artifacts and result and "steps" not in result:
        artifacts.append(Artifact(artifact_id=f"{row.id}-result", name="result",
                                  parts=[Part(data=new_data_part(result).data)]))
    return artifacts
