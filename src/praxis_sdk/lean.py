"""Import the agent without the optional extras its libraries load only because they are installed.

Each of these is installed for another reason, and the agent's libraries import it at
import time only when present, with a documented fallback when it is not:

- rich and pygments (about 3.5 MiB of RSS; typer's help uses them): structlog's `dev` and
  `tracebacks` modules load them to render tracebacks (our formatter uses
  `format_exc_info`), httpx for its command-line client (`httpx._main`);
- grpc (about 9 MiB; libp2p requires grpcio): a2a-sdk's gRPC transport and handlers, an
  optional extra (`a2a-sdk[grpc]`). Praxis serves and calls A2A over JSON-RPC and REST;
- watchfiles (about 1 MiB; uvicorn[standard] installs it): uvicorn's `--reload`
  supervisor, which falls back to polling without it. The agent never reloads;
- a2a-sdk's SQL stores (`DATABASE_STORES`; SQLAlchemy's ORM and asyncio extension, about
  6 MiB; SQLAlchemy is installed for our store): the SDK imports them when SQLAlchemy is
  present and puts placeholders in their place when not (its `[sql]` extra). Praxis keeps
  A2A tasks in its own store (`a2a/store.py` on `store.py`, SQLAlchemy Core).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager

OPTIONAL = ("rich", "pygments", "grpc", "watchfiles")
DATABASE_STORES = ("a2a.server.tasks.database_task_store",
                   "a2a.server.tasks.database_push_notification_config_store",
                   "a2a.server.cluster.database_event_stream",
                   "a2a.server.cluster.database_task_store")


@contextmanager
def without_optional_extras() -> Iterator[None]:
    """Within the block, importing an `OPTIONAL` package or one of a2a-sdk's
    `DATABASE_STORES` raises ImportError, unless loaded.

    Afterwards they are importable again (typer's errors and help load rich on use)."""
    blocked = [name for name in OPTIONAL + DATABASE_STORES if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def import_lean(*names: str) -> None:
    """Import `names` as `praxis-agent run` imports the agent: for what loads on first use
    (a2a-sdk's server and client, httpx). The block is process-wide while it lasts: no thread
    of the agent imports those extras."""
    with without_optional_extras():
        for name in names:
            importlib.import_module(name)


async def load_lean(*names: str) -> None:
    """`import_lean(*names)` in a worker thread (the event loop goes on), unless all of
    them are loaded already."""
    if any(name not in sys.modules for name in names):
        await asyncio.to_thread(import_lean, *names)
