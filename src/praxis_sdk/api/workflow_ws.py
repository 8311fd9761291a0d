"""`/ws/workflow`: DSL commands, drawn graphs and chat over one WebSocket session.

Work a client asks for runs in the background of its session (cancelled when it goes);
the bus events of every run reach it as they happen, before the run's result. Chat in
plain language keeps its conversation per connection: each request sees the turns
before it, one request at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, WebSocket

from praxis_sdk.api.services import Services, ws_services
from praxis_sdk.api.workflows import runner_of
from praxis_sdk.api.ws import Session
from praxis_sdk.errors import InvalidInput, PraxisError
from praxis_sdk.runner.progress import result_text, run_dsl, run_request
from praxis_sdk.runner.report import looks_like_dsl
from praxis_sdk.runner.service import WorkflowService, llm_missing

router = APIRouter(tags=["workflows"])
PUSH_DRAIN_S = 2.0
MAX_TURNS = 20  # conversation turns kept per connection (user and agent messages)


class WorkflowSession(Session):
    """A `/ws/workflow` client: DSL and graph runs in the background, events as they come."""

    def __init__(self, websocket: WebSocket, services: Services) -> None:
        super().__init__(websocket, services.bus, {
            "DSL_COMMAND": _dsl_command, "EXECUTE_WORKFLOW": _execute_workflow,
            "CHAT_MESSAGE": _chat_message})
        self.services = services
        self.pushed_id = 0
        self.sending_id: int | None = None
        self._pushed = asyncio.Event()
        self._jobs: set[asyncio.Task[None]] = set()
        self.conversation: list[dict[str, str]] = []
        self._chat = asyncio.Lock()

    @property
    def runner(self) -> WorkflowService:
        return runner_of(self.services)

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            for job in list(self._jobs):
                job.cancel()

    def spawn(self, job: Any) -> None:
        task = asyncio.create_task(job)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _push(self, sub: Any) -> None:
        await super()._push(self._tracked(sub))

    async def _tracked(self, sub: Any) -> Any:
        async for event in sub:
            self.sending_id = event.id
            yield event  # resumes once the event has been sent
            self.pushed_id, self.sending_id = event.id, None
            self._pushed.set()

    def _behind(self, event_id: int) -> bool:
        """Whether an event up to `event_id` this client wants is still queued or sending
        (the subscription filters, so unwanted ones never arrive)."""
        if self.pushed_id >= event_id:
            return False
        queued = self.sub is not None and self.sub.queued_up_to(event_id)
        return queued or self.sending_id is not None

    async def drained(self) -> None:
        """Wait (briefly) until the bus events published so far went out on this socket."""
        event_id = self.bus.last_id
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PUSH_DRAIN_S):
                while self._behind(event_id):
                    self._pushed.clear()
                    await self._pushed.wait()

    async def reply(self, type_: str, payload: dict[str, Any]) -> None:
        """Send unless the client has gone."""
        with contextlib.suppress(Exception):
            await self.send(type_, payload)


async def _dsl_command(session: Session, payload: dict[str, Any]) -> None:
    assert isinstance(session, WorkflowSession)
    command = payload.get("command", payload.get("dsl"))
    if not isinstance(command, str) or not command.strip():
        raise InvalidInput("DSL_COMMAND needs {command: \"CALL ...\"}")
    runner = session.runner  # fails here, not in the background, on a node without a runner
    session.spawn(run_dsl(runner, command, session.reply, session.drained))


async def _execute_workflow(session: Session, payload: dict[str, Any]) -> None:
    assert isinstance(session, WorkflowSession)
    workflow = payload.get("workflow", payload)
    run_id = workflow.get("id") if isinstance(workflow, dict) else None
    run_id = str(run_id) if run_id not in (None, "") else None
    try:
        if not isinstance(workflow, dict):
            raise InvalidInput("EXECUTE_WORKFLOW needs {workflow: {nodes, edges}}")
        await session.runner.run_graph(workflow, run_id=run_id)
    except PraxisError as exc:
        await session.send("workflowError", {"workflowId": run_id, "error": exc.to_dict()})


async def _chat_message(session: Session, payload: dict[str, Any]) -> None:
    assert isinstance(session, WorkflowSession)
    content = payload.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("CHAT_MESSAGE needs {content: \"...\"}")
    runner = session.runner
    if looks_like_dsl(content):
        session.spawn(_chat_dsl(session, runner, content))
    elif runner.planner is None:
        error = llm_missing(session.services.config)
        await session.send("chatMessage", {"content": error.message, "sender": "agent",
                                           "success": False, "error": error.to_dict()})
    else:
        session.spawn(_chat_request(session, runner, content))


async def _chat_dsl(session: WorkflowSession, runner: WorkflowService, content: str) -> None:
    out = await run_dsl(runner, content, session.reply, session.drained)
    await session.reply("chatMessage", {"content": result_text(out), "sender": "agent",
                                        "success": out["success"]})


async def _chat_request(session: WorkflowSession, runner: WorkflowService, content: str
                        ) -> None:
    async with session._chat:
        out = await run_request(runner, content, session.reply, session.drained,
                                conversation=list(session.conversation))
        session.conversation += [{"role": "user", "content": content},
                                 {"role": "assistant", "content": out["content"]}]
        del session.conversation[:-MAX_TURNS]


@router.websocket("/ws/workflow")
async def ws_workflow(websocket: WebSocket) -> None:
    """DSL_COMMAND, EXECUTE_WORKFLOW, CHAT_MESSAGE, SUBSCRIBE_EVENTS, PING (INTERFACES 3.1)."""
    await WorkflowSession(websocket, ws_services(websocket)).run()
