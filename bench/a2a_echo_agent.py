"""A bare a2a-sdk echo agent (FastAPI + uvicorn), the yardstick of bench_a2a.py.

    python bench/a2a_echo_agent.py --port 9000 --store memory|sqlite [--db FILE]
"""

from __future__ import annotations

import argparse

import uvicorn
from a2a.helpers.proto_helpers import new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import (
    add_a2a_routes_to_fastapi,
    create_agent_card_routes,
    create_jsonrpc_routes,
)
from a2a.server.tasks import DatabaseTaskStore, InMemoryTaskStore, TaskUpdater
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    Task,
    TaskState,
    TaskStatus,
)
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine


class Echo(AgentExecutor):
    """Task submitted, one artifact with the text, completed: the shape ours sends."""

    async def execute(self, context: RequestContext, event_queue) -> None:  # noqa: ANN001
        if context.current_task is None:
            await event_queue.enqueue_event(Task(
                id=context.task_id, context_id=context.context_id,
                status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
                history=[context.message]))
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        await updater.add_artifact([new_text_part(context.get_user_input())], name="echo")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue) -> None:  # noqa: ANN001
        await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory")
    parser.add_argument("--db", default="echo.db")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}/"
    card = AgentCard(
        name="echo", description="echo", version="1",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC",
                                             protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True),
        skills=[AgentSkill(id="echo", name="echo", description="echoes the text", tags=["echo"])],
        default_input_modes=["text/plain"], default_output_modes=["text/plain"])
    if args.store == "memory":
        store = InMemoryTaskStore()
    else:
        store = DatabaseTaskStore(create_async_engine(f"sqlite+aiosqlite:///{args.db}"))
    handler = DefaultRequestHandler(agent_executor=Echo(), task_store=store, agent_card=card)
    app = FastAPI()
    add_a2a_routes_to_fastapi(app, agent_card_routes=create_agent_card_routes(card),
                              jsonrpc_routes=create_jsonrpc_routes(handler, rpc_url="/"))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
