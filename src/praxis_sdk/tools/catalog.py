"""The tool catalog: one lookup over every provider (local, MCP servers, peers)."""

from __future__ import annotations

import asyncio
import difflib
import os
import time
from collections.abc import Callable
from typing import Any

from praxis_sdk.bus import EventBus
from praxis_sdk.errors import InvalidInput, NotAllowed, NotFound, PraxisError, Timeout
from praxis_sdk.metrics import Metrics
from praxis_sdk.tools import schemas
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolProvider, ToolSpec, effective_timeout

# When two providers offer the same name, the nearer one wins: local, then MCP, then peers
# (ties broken by provider name). `name@provider` always picks one explicitly.
SOURCE_RANK = {"local": 0, "mcp": 1, "peer": 2}
GRACE_S = 5.0


class CallIds:
    """Call ids: 12 hex digits of OS randomness each (like `uuid4().hex[:12]`), read from
    the OS 3 KiB at a time: one system call per 512 calls instead of one per call (each
    one let a busy thread take the GIL away from the event loop)."""

    SIZE = 6
    CHUNK = 3072

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0

    def __call__(self) -> str:
        if self._at + self.SIZE > len(self._pool):
            self._pool, self._at = os.urandom(self.CHUNK), 0
        start, self._at = self._at, self._at + self.SIZE
        return self._pool[start:self._at].hex()


def split_qualified(name: str) -> tuple[str, str | None]:
    """`tool@provider` -> (`tool`, `provider`); a plain name has no provider."""
    tool, sep, provider = name.partition("@")
    return (tool, provider) if sep and provider else (name, None)


class ToolCatalog:
    """Finds tools, checks arguments against their schemas, and runs them with events."""

    def __init__(
        self, *, bus: EventBus, metrics: Metrics, default_timeout: float = 60.0
    ) -> None:
        self._providers: dict[tuple[str, str], ToolProvider] = {}
        self._listeners: list[Callable[[], None]] = []
        self.bus = bus
        self.metrics = metrics
        self.default_timeout = default_timeout
        self._call_ids = CallIds()

    # ---------------------------------------------------------------- providers

    def add_provider(self, provider: ToolProvider) -> None:
        """Add or replace a provider (same source and name replaces) and tell listeners."""
        self._providers[(provider.source, provider.name)] = provider
        self.changed()

    def remove_provider(self, provider: ToolProvider) -> None:
        if self._providers.get((provider.source, provider.name)) is provider:
            del self._providers[(provider.source, provider.name)]
            self.changed()

    def providers(self) -> list[ToolProvider]:
        return list(self._providers.values())

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever the set of tools may have changed."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Providers call this when their tool list changed."""
        for listener in list(self._listeners):
            listener()

    # ---------------------------------------------------------------- lookup

    def specs(self) -> list[ToolSpec]:
        """Every tool of every provider, in resolution order."""
        found = [spec for p in self._providers.values() for spec in p.tools()]
        return sorted(found, key=lambda s: (s.name, SOURCE_RANK.get(s.source, 9), s.provider))

    def exposed_local(self) -> list[ToolSpec]:
        """Our own (and our MCP servers') tools that peers may call: what our card lists.

        One entry per name, the one an unqualified call would run.
        """
        seen: set[str] = set()
        out = []
        for spec in self.specs():
            if spec.source != "peer" and spec.name not in seen:
                seen.add(spec.name)
                if spec.expose:
                    out.append(spec)
        return out

    def exposed(self, name: str) -> bool:
        """Whether `name` is in `exposed_local()`, without listing every tool: the tool an
        unqualified call of `name` runs is ours (or our MCP servers') and exposed."""
        if split_qualified(name)[1] is not None:
            return False
        try:
            spec, _ = self.resolve(name)
        except NotFound:
            return False
        return spec.source != "peer" and spec.expose

    def resolve(self, name: str, provider: str | None = None) -> tuple[ToolSpec, ToolProvider]:
        """The spec and provider that run `name` (`tool@provider` or `provider=` pins one)."""
        tool, pinned = split_qualified(name)
        provider = provider or pinned
        for key, prov in sorted(
            self._providers.items(), key=lambda kv: (SOURCE_RANK.get(kv[0][0], 9), kv[0][1])
        ):
            if provider and key[1] != provider:
                continue
            for spec in prov.tools():
                if spec.name == tool:
                    return spec, prov
        raise self._not_found(tool, provider)

    def lookup(self, name: str, provider: str | None = None) -> ToolSpec:
        """Just the spec (what planners and validators need)."""
        return self.resolve(name, provider)[0]

    def _not_found(self, tool: str, provider: str | None) -> NotFound:
        known = sorted({key[1] for key in self._providers})
        if provider and provider not in known:
            return self._unknown_provider(tool, provider, known)
        pool = self._providers.values() if not provider else [
            p for key, p in self._providers.items() if key[1] == provider]
        names = sorted({s.name for p in pool for s in p.tools()})
        close = difflib.get_close_matches(tool, names, n=3, cutoff=0.6)
        where = f" on provider {provider!r}" if provider else ""
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        elsewhere = sorted({s.provider for s in self.specs() if s.name == tool}) \
            if provider else []
        also = f"; {tool!r} is on {', '.join(elsewhere)}" if elsewhere else ""
        return NotFound(
            f"unknown tool {tool!r}{where}{hint}{also}",
            details={"tool": tool, "provider": provider, "suggestions": close,
                     "providers": elsewhere},
        )

    @staticmethod
    def _unknown_provider(tool: str, provider: str, known: list[str]) -> NotFound:
        """A pinned provider (`tool@provider`) that no one here is called."""
        close = difflib.get_close_matches(provider, known, n=3, cutoff=0.6)
        ordered = close + [name for name in known if name not in close]
        listed = f"known providers: {', '.join(ordered)}" if ordered else "no providers known"
        return NotFound(
            f"unknown provider {provider!r} (for tool {tool!r}); {listed}",
            details={"tool": tool, "provider": provider, "suggestions": close,
                     "providers": ordered},
        )

    # ---------------------------------------------------------------- validation

    def problems(self, spec: ToolSpec, arguments: dict[str, Any]) -> list[str]:
        """Each way `arguments` break the tool's input schema, one readable line each."""
        if not isinstance(arguments, dict):
            return ["arguments must be a JSON object"]
        check = schemas.checks(spec.input_schema)
        if check.is_valid(arguments):  # the usual case: no error list to build
            return []
        out = []
        for err in sorted(check.validator.iter_errors(arguments), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in err.absolute_path)
            out.append(f"{where}: {err.message}" if where else err.message)
        return out

    def validate(self, spec: ToolSpec, arguments: dict[str, Any]) -> None:
        problems = self.problems(spec, arguments)
        if problems:
            raise InvalidInput(
                f"invalid arguments for {spec.name}: " + "; ".join(problems),
                details={"tool": spec.name, "problems": problems},
            )

    # ---------------------------------------------------------------- running

    async def invoke(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        *,
        provider: str | None = None,
        timeout: float | None = None,
        exposed_only: bool = False,
        caller: str | None = None,
    ) -> ToolResult:
        """Resolve, validate and run a tool; publish `tool.*` events and record metrics.

        `exposed_only` is set for calls from peers and MCP clients of other nodes: a tool
        with `expose: false` is refused before anything runs.
        """
        arguments = arguments if arguments is not None else {}
        spec, prov = self.resolve(name, provider)
        if exposed_only and (not spec.expose or spec.source == "peer"):
            raise NotAllowed(f"tool {spec.name!r} is not exposed to peers")
        self.validate(spec, arguments)
        deadline = effective_timeout(timeout, spec.timeout, self.default_timeout)
        call_id = self._call_ids()
        base = {"callId": call_id, "tool": spec.name, "provider": spec.provider,
                "source": spec.source}
        if caller:
            base["caller"] = caller
        self.bus.publish("tool.started", base)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(deadline + GRACE_S):
                result = await prov.call(spec, arguments, deadline)
        except TimeoutError:
            result = self._failed(spec, Timeout(f"tool {spec.name!r} timed out after {deadline}s"),
                                  started)
        except PraxisError as exc:
            self._record(spec, spec.engine or spec.source, "error", started)
            self.bus.publish("tool.failed", {**base, "error": exc.to_dict()})
            raise
        outcome = "ok" if result.ok else "error"
        self._record(spec, result.engine, outcome, started)
        if result.ok:
            self.bus.publish("tool.completed", {**base, "engine": result.engine,
                                                "durationMs": result.duration_ms})
        else:
            self.bus.publish("tool.failed", {**base, "engine": result.engine,
                                             "error": result.error.model_dump()
                                             if result.error else None})
        return result

    def _failed(self, spec: ToolSpec, exc: PraxisError, started: float) -> ToolResult:
        return ToolResult.failure(
            tool=spec.name, provider=spec.provider, engine=spec.engine or spec.source,
            code=exc.code, message=exc.message,
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def _record(self, spec: ToolSpec, engine: str, outcome: str, started: float) -> None:
        labels = (spec.name, engine or spec.source, outcome)
        self.metrics.child(self.metrics.tool_calls, *labels).inc()
        self.metrics.child(self.metrics.tool_duration, *labels).observe(
            time.perf_counter() - started)
