"""The agent's own tools (contracts and Python functions) as one `ToolProvider`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from praxis_sdk.errors import ConfigError, NotFound
from praxis_sdk.tools.contract import ToolContract
from praxis_sdk.tools.engines.resolve import EngineResolver
from praxis_sdk.tools.pyfunc import bind_function, python_tool
from praxis_sdk.tools.result import ToolResult
from praxis_sdk.tools.spec import ToolSpec


class LocalToolProvider:
    """Source `local`, named after the agent; runs each contract through the resolver.

    `python` contracts from YAML have their entrypoint imported here, so a bad
    entrypoint is a start-up error, not a failure at first call.
    """

    source: Literal["local"] = "local"

    def __init__(
        self,
        name: str,
        resolver: EngineResolver,
        contracts: Iterable[ToolContract] = (),
    ) -> None:
        self.name = name
        self.resolver = resolver
        self._contracts: dict[str, ToolContract] = {}
        self._specs: dict[str, ToolSpec] = {}
        for contract in contracts:
            self.add_contract(contract)

    def add_contract(self, contract: ToolContract) -> ToolSpec:
        """Register a contract; a second tool of the same name is a config error."""
        if contract.name in self._contracts:
            first = self._contracts[contract.name].origin or "an earlier contract"
            raise ConfigError(
                f"tool {contract.name!r} from {contract.origin or 'a contract'} "
                f"clashes with the one from {first}"
            )
        if contract.engine == "python":
            bind_function(contract)
        self._contracts[contract.name] = contract
        self._specs[contract.name] = contract.to_spec(self.name)
        return self._specs[contract.name]

    def add_python_tool(
        self,
        func: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        expose: bool = True,
    ) -> ToolSpec:
        """Register a Python function as a tool (what `@agent.tool` calls)."""
        return self.add_contract(python_tool(func, name, description, expose))

    def contract(self, name: str) -> ToolContract:
        try:
            return self._contracts[name]
        except KeyError:
            raise NotFound(f"agent {self.name!r} has no local tool {name!r}") from None

    @property
    def contracts(self) -> list[ToolContract]:
        return list(self._contracts.values())

    def tools(self) -> list[ToolSpec]:
        return list(self._specs.values())

    async def call(
        self, spec: ToolSpec, arguments: Mapping[str, Any], timeout: float | None
    ) -> ToolResult:
        result = await self.resolver.run(self.contract(spec.name), arguments, timeout)
        return result.model_copy(update={"provider": self.name})
