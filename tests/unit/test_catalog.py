"""The catalog over several providers: resolution, clashes, validation, events, refusals."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from praxis_sdk.bus import EventBus
from praxis_sdk.errors import InvalidInput, NotAllowed, NotFound, Unavailable
from praxis_sdk.metrics import Metrics
from praxis_sdk.tools.catalog import ToolCatalog, split_qualified
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolProvider, ToolSpec

SCHEMA = {"type": "object", "properties": {"text": {"type": "string"},
                                           "times": {"type": "integer"}},
          "required": ["text"], "additionalProperties": False}


class EchoProvider:
    """A second kind of provider, as MCP servers and peers are: it echoes its name."""

    def __init__(self, source: Literal["local", "mcp", "peer"], name: str, tools: list[str],
                 *, expose: bool = True, down: bool = False) -> None:
        self.source = source
        self.name = name
        self.down = down
        self._specs = [ToolSpec(name=t, source=source, provider=name, engine="echo",
                                input_schema=SCHEMA, expose=expose) for t in tools]

    def tools(self) -> list[ToolSpec]:
        return self._specs

    async def call(self, spec: ToolSpec, arguments: dict[str, Any], timeout: float | None
                   ) -> ToolResult:
        if self.down:
            raise Unavailable(f"{self.name} is down")
        return ToolResult.from_output(tool=spec.name, provider=self.name, engine="echo",
                                      output=f'{{"from": "{self.name}"}}', duration_ms=0.1)


@pytest.fixture
def catalog() -> ToolCatalog:
    catalog = ToolCatalog(bus=EventBus(), metrics=Metrics())
    catalog.add_provider(EchoProvider("peer", "agent-b", ["echo", "shout"]))
    catalog.add_provider(EchoProvider("mcp", "files", ["echo", "read_file"]))
    catalog.add_provider(EchoProvider("local", "me", ["echo", "secret"], expose=False))
    return catalog


def test_providers_satisfy_the_protocol() -> None:
    assert isinstance(EchoProvider("mcp", "x", []), ToolProvider)


def test_split_qualified() -> None:
    assert split_qualified("echo@agent-b") == ("echo", "agent-b")
    assert split_qualified("echo") == ("echo", None)
    assert split_qualified("echo@") == ("echo@", None)


async def test_nearest_provider_wins_and_pinning_picks(catalog: ToolCatalog) -> None:
    assert (await catalog.invoke("echo", {"text": "a"})).structured == {"from": "me"}
    assert (await catalog.invoke("echo@files", {"text": "a"})).structured == {"from": "files"}
    pinned = await catalog.invoke("echo", {"text": "a"}, provider="agent-b")
    assert pinned.structured == {"from": "agent-b"}
    assert [s.source for s in catalog.specs() if s.name == "echo"] == ["local", "mcp", "peer"]


async def test_unknown_tool_names_close_matches(catalog: ToolCatalog) -> None:
    with pytest.raises(NotFound) as info:
        await catalog.invoke("shoutt", {"text": "a"})
    assert info.value.details["suggestions"] == ["shout"]


async def test_unknown_provider_lists_the_known_ones(catalog: ToolCatalog) -> None:
    with pytest.raises(NotFound) as info:
        catalog.lookup("echo@agent-c")
    assert info.value.message == ("unknown provider 'agent-c' (for tool 'echo'); "
                                  "known providers: agent-b, files, me")
    assert info.value.details["providers"] == ["agent-b", "files", "me"]
    assert info.value.details["suggestions"] == ["agent-b"]
    with pytest.raises(NotFound, match="known providers: agent-b, files, me$"):
        catalog.lookup("echo@nobody")


async def test_pinned_provider_without_the_tool(catalog: ToolCatalog) -> None:
    with pytest.raises(NotFound) as info:
        catalog.lookup("shoutt@agent-b")
    assert info.value.message == "unknown tool 'shoutt' on provider 'agent-b'; did you mean shout?"
    with pytest.raises(NotFound) as info:
        catalog.lookup("read_file@agent-b")
    assert info.value.message == ("unknown tool 'read_file' on provider 'agent-b'; "
                                  "'read_file' is on files")
    assert info.value.details["providers"] == ["files"]


async def test_every_argument_problem_is_listed(catalog: ToolCatalog) -> None:
    with pytest.raises(InvalidInput) as info:
        await catalog.invoke("shout", {"times": "2", "loud": True})
    problems = info.value.details["problems"]
    assert len(problems) == 3, problems
    assert any("'text' is a required property" in p for p in problems)
    assert any(p.startswith("times:") for p in problems)
    assert any("'loud' was unexpected" in p for p in problems)


async def test_peers_only_reach_exposed_own_tools(catalog: ToolCatalog) -> None:
    with pytest.raises(NotAllowed):
        await catalog.invoke("secret", {"text": "a"}, exposed_only=True)
    with pytest.raises(NotAllowed):  # a peer's tool is never relayed to another peer
        await catalog.invoke("shout", {"text": "a"}, exposed_only=True)
    assert [s.qualified_name for s in catalog.exposed_local()] == ["read_file@files"]
    listed = {s.name for s in catalog.exposed_local()}
    for name in ("echo", "secret", "shout", "read_file", "read_file@files", "nope", "echo@"):
        assert catalog.exposed(name) == (name in listed), name
    catalog.add_provider(EchoProvider("mcp", "notes", ["echo", "note"]))
    assert catalog.exposed("note") and not catalog.exposed("echo")  # ours, unexposed, wins


async def test_events_and_routing_errors(catalog: ToolCatalog) -> None:
    sub = catalog.bus.subscribe(["tool.started", "tool.completed", "tool.failed"])
    await catalog.invoke("read_file", {"text": "a"})
    catalog.add_provider(EchoProvider("mcp", "files", ["read_file"], down=True))
    with pytest.raises(Unavailable):
        await catalog.invoke("read_file", {"text": "a"})
    types = [(await sub.get()).type for _ in range(4)]
    assert types == ["tool.started", "tool.completed", "tool.started", "tool.failed"]


def test_change_listeners(catalog: ToolCatalog) -> None:
    seen: list[int] = []
    catalog.on_change(lambda: seen.append(len(catalog.specs())))
    provider = EchoProvider("peer", "agent-c", ["new"])
    catalog.add_provider(provider)
    catalog.remove_provider(provider)
    assert seen == [7, 6]
