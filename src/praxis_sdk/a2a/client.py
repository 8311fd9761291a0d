"""Delegation: hand a whole request to another agent as an A2A task and follow it.

The SDK's client does the talking. The other agent is named by URL, agent name or peer
id; a peer's HTTP URL comes from its P2P card (`endpoints.http`), and its A2A card from
there. When the peer's HTTP A2A route cannot be reached but libp2p can, the SDK's
JSON-RPC client is given an httpx transport that carries each request over
`/praxis/a2a/1.0.0` instead (no streaming there: the task is polled). Cancelling the
delegating step cancels the delegated task. `praxisHops` in the message metadata cuts
loops (see `hops.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from a2a.helpers.proto_helpers import new_text_part
from a2a.types.a2a_pb2 import (
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
)
from a2a.utils.constants import TransportProtocol
from google.protobuf.json_format import MessageToDict

from praxis_sdk.a2a.hops import HOPS_KEY, MAX_HOPS, current_hops
from praxis_sdk.a2a.tasks import FINAL, state_name
from praxis_sdk.errors import (
    InvalidInput,
    NotAllowed,
    NotFound,
    PraxisError,
    Unavailable,
    describe,
)
from praxis_sdk.lean import load_lean

if TYPE_CHECKING:  # the SDK's client (about 3 MiB) loads at the first delegation
    from a2a.client.client import Client as SDKClient

Peers = Callable[[], dict[str, dict[str, Any]]]
SendP2P = Callable[[str, dict[str, Any], float], Awaitable[dict[str, Any]]]
CANCEL_WAIT_S = 10.0
POLL_FIRST_S, POLL_MAX_S = 0.05, 1.0


@dataclass
class Delegation:
    """What came back from the other agent."""

    agent: str
    transport: str
    task_id: str = ""
    state: str = "submitted"
    message: str = ""
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "transport": self.transport, "taskId": self.task_id,
                "state": self.state, "message": self.message, "artifacts": self.artifacts}


class Delegator:
    """Sends requests to other agents: `await delegator.delegate("agent-b", "CALL x")`."""

    def __init__(self, *, peers: Peers | None = None, send_p2p: SendP2P | None = None,
                 token: str | None = None, timeout: float = 600.0) -> None:
        self.peers = peers
        self.send_p2p = send_p2p
        self.token = token
        self.timeout = timeout

    async def delegate(self, agent: str, request: str, *, timeout: float | None = None
                       ) -> Delegation:
        """Run `request` (DSL or plain language) on `agent` to its end; its artifacts."""
        if not isinstance(agent, str) or not agent.strip():
            raise InvalidInput("delegation needs the agent: a name, peer id or http(s) URL")
        if not isinstance(request, str) or not request.strip():
            raise InvalidInput("delegation needs a non-empty request")
        hops = current_hops() + 1
        if hops > MAX_HOPS:
            raise NotAllowed(f"not delegating to {agent}: the request has already been "
                             f"handed on {hops - 1} times (limit {MAX_HOPS}); is there a "
                             "delegation loop?", details={"hops": hops - 1})
        message = Message(role=Role.ROLE_USER, message_id=uuid.uuid4().hex,
                          parts=[new_text_part(request)])
        message.metadata.update({HOPS_KEY: hops})
        deadline = timeout or self.timeout
        await load_lean("a2a.client")  # the SDK's client loads at the first delegation
        from a2a.client.errors import A2AClientError

        async with self._client(agent, deadline) as (client, transport, streaming):
            result = Delegation(agent=agent, transport=transport)
            named = asyncio.Event()  # set once the other agent has named the task
            follow = asyncio.ensure_future(self._follow(client, message, result, streaming,
                                                        named))
            try:
                async with asyncio.timeout(deadline):
                    await asyncio.shield(follow)
            except asyncio.CancelledError:
                await self._abandon(client, follow, result, named)
                raise
            except TimeoutError:
                await self._abandon(client, follow, result, named)
                raise PraxisError(f"delegated task on {agent} did not finish within "
                                  f"{deadline:g}s; it was cancelled") from None
            except A2AClientError as exc:
                raise Unavailable(f"A2A request to {agent} failed: {describe(exc)}") from None
        return result

    async def _follow(self, client: SDKClient, message: Message, result: Delegation,
                      streaming: bool, named: asyncio.Event) -> None:
        request = SendMessageRequest(message=message)
        request.configuration.return_immediately = not streaming
        async for event in client.send_message(request):
            _absorb(result, event)
            if result.task_id:
                named.set()
        poll = POLL_FIRST_S
        while result.task_id and result.state not in _FINAL_NAMES:
            await asyncio.sleep(poll)  # a peer that cannot stream is polled, backing off
            poll = min(poll * 2, POLL_MAX_S)
            _take_task(result, await client.get_task(GetTaskRequest(id=result.task_id)))

    async def _abandon(self, client: SDKClient, follow: asyncio.Future[None],
                       result: Delegation, named: asyncio.Event) -> None:
        """Best effort, bounded: stop following and cancel the delegated task.

        A cancel can come while the other agent's first answer (which names the task) is
        still on its way; that answer is waited for, so the task does not run on unseen.
        The cancel is sent without waiting for the following to unwind (a request in
        flight, e.g. a poll over libp2p, may take its time to notice it was cancelled).
        """
        follow.add_done_callback(lambda f: f.cancelled() or f.exception())  # no stray warning
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CANCEL_WAIT_S):
                if not named.is_set() and not follow.done():
                    naming = asyncio.ensure_future(named.wait())
                    try:
                        await asyncio.wait([naming, follow],
                                           return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        naming.cancel()
                follow.cancel()
                if result.task_id and result.state not in _FINAL_NAMES:
                    task = await asyncio.shield(client.cancel_task(CancelTaskRequest(
                        id=result.task_id)))
                    _take_task(result, task)
                await asyncio.wait([follow])

    @contextlib.asynccontextmanager
    async def _client(self, agent: str, timeout: float
                      ) -> AsyncIterator[tuple[SDKClient, str, bool]]:
        """An SDK client for `agent`: over HTTP when its A2A card answers, else libp2p."""
        import httpx  # loaded with the SDK's client (load_lean above)
        from a2a.client import A2ACardResolver, ClientConfig, ClientFactory, minimal_agent_card

        from praxis_sdk.a2a.transport import P2PTransport

        url, peer_id = self._locate(agent)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        failure: Exception | None = None
        if url:
            http = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout,
                                                                            connect=5.0))
            try:
                card = await A2ACardResolver(http, url).get_agent_card()
                client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)
                                       ).create(card)
            except Exception as exc:  # unreachable or no A2A here: try libp2p
                failure = exc
                await http.aclose()
            else:
                try:
                    yield client, "http", card.capabilities.streaming
                finally:
                    await http.aclose()
                return
        if peer_id and self.send_p2p is not None:
            http = httpx.AsyncClient(transport=P2PTransport(self.send_p2p, peer_id, timeout))
            card = minimal_agent_card(f"p2p://{peer_id}/a2a/v1",
                                      [TransportProtocol.JSONRPC.value])
            card.capabilities.streaming = False
            client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
            try:
                yield client, "p2p", False
            finally:
                await http.aclose()
            return
        reason = f": {failure}" if failure else ""
        raise Unavailable(f"cannot reach agent {agent} over HTTP or libp2p{reason}")

    def _locate(self, agent: str) -> tuple[str | None, str | None]:
        """(HTTP base URL, peer id) of an agent named by URL, agent name or peer id."""
        if agent.startswith(("http://", "https://")):
            return agent.rstrip("/"), None
        for peer_id, card in (self.peers() if self.peers else {}).items():
            if agent in (peer_id, card.get("name")):
                endpoints = card.get("endpoints") or {}
                return endpoints.get("http"), peer_id
        raise NotFound(f"unknown agent {agent!r}: not a connected peer (by name or peer id) "
                       "and not an http(s) URL", details={"agent": agent})


_FINAL_NAMES = frozenset(state_name(s) for s in FINAL) | {"input-required", "auth-required"}


def _absorb(result: Delegation, event: StreamResponse) -> None:
    if event.HasField("task"):
        _take_task(result, event.task)
    elif event.HasField("status_update"):
        result.task_id = result.task_id or event.status_update.task_id
        result.state = state_name(event.status_update.status.state)
        result.message = _text(event.status_update.status.message)
    elif event.HasField("artifact_update"):
        result.task_id = result.task_id or event.artifact_update.task_id
        _add_artifact(result, MessageToDict(event.artifact_update.artifact))
    elif event.HasField("message"):
        result.state, result.message = "completed", _text(event.message)


def _take_task(result: Delegation, task: Task) -> None:
    result.task_id = task.id or result.task_id
    result.state = state_name(task.status.state)
    result.message = _text(task.status.message) or result.message
    for artifact in task.artifacts:
        _add_artifact(result, MessageToDict(artifact))


def _add_artifact(result: Delegation, artifact: dict[str, Any]) -> None:
    if any(a.get("artifactId") == artifact.get("artifactId") for a in result.artifacts):
        return
    parts = artifact.get("parts") or []
    result.artifacts.append({
        "artifactId": artifact.get("artifactId"), "name": artifact.get("name", ""),
        "text": "\n".join(p["text"] for p in parts if "text" in p),
        "data": next((p["data"] for p in parts if "data" in p), None)})


def _text(message: Message) -> str:
    return "\n".join(p.text for p in message.parts if p.HasField("text"))
