"""Tool contracts (INTERFACES 4.1): what a tool takes and how an engine runs it.

Contracts come from the config (`agent.tools`, a list of mappings) or from a folder of
`<name>/contract.yaml` files. Seed-style contracts (`engine: dagger`, `engineSpec`,
`required: "true"`, `env_passthrough`) load unchanged; keys this model does not know
are kept, not rejected, so older contracts keep working.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from praxis_sdk.errors import ConfigError
from praxis_sdk.tools.envnames import reserved_env_name
from praxis_sdk.tools.spec import ToolSpec

ParamType = Literal["string", "number", "integer", "boolean", "object", "array"]
EngineName = Literal["dagger", "docker", "sandbox", "local", "python", "remote-mcp"]
NO_ENV_ENGINES = ("python", "remote-mcp")  # arguments reach these as values, not variables
MOUNT_MODES = ("", "ro", "rw")
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$"
PARAM_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0", ""}


def _as_bool(value: Any) -> Any:
    """`"true"`/`"false"` (and yes/no/on/off) as booleans; anything else is left to pydantic."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return value


class ToolParam(BaseModel):
    """One parameter; it becomes a property of the tool's input JSON Schema."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=PARAM_PATTERN)
    type: ParamType = "string"
    description: str = ""
    required: bool = False
    default: Any = None
    enum: list[Any] | None = None
    items: dict[str, Any] | None = None

    _coerce_required = field_validator("required", mode="before")(_as_bool)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        if self.enum is not None:
            schema["enum"] = self.enum
        if self.items is not None and self.type == "array":
            schema["items"] = self.items
        return schema


class EngineSpec(BaseModel):
    """How to run the tool: image and command, mounts, environment and limits."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    image: str | None = None
    command: list[str] = Field(default_factory=list)
    mounts: dict[str, str] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    env_passthrough: list[str] = Field(default_factory=list)
    working_dir: str | None = None
    timeout: float | None = Field(None, gt=0)
    memory: str | None = None
    cpus: float | None = Field(None, gt=0)
    network: str | None = None
    entrypoint: str | None = None
    address: str | None = None
    tool: str | None = None

    @field_validator("command", mode="before")
    @classmethod
    def _split_command(cls, value: Any) -> Any:
        return shlex.split(value) if isinstance(value, str) else value

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
        return value

    @field_validator("mounts", mode="before")
    @classmethod
    def _mount_strings(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): str(v) for k, v in value.items()}
        return value

    @field_validator("mounts")
    @classmethod
    def _absolute_targets(cls, value: dict[str, str]) -> dict[str, str]:
        """`source: /target` (read-write), `/target:ro` (read-only) or `/target:rw`."""
        for source, target in value.items():
            path, _, mode = target.partition(":")
            if not path.startswith("/"):
                raise ValueError(f"mount target for {source!r} must be an absolute path")
            if mode not in MOUNT_MODES:
                raise ValueError(f"mount {source!r}: mode {mode!r} is not ro or rw")
        return value


class ToolContract(BaseModel):
    """A tool contract as written in YAML (INTERFACES 4.1)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    engine: EngineName | None = None
    params: list[ToolParam] = Field(default_factory=list)
    engine_spec: EngineSpec = Field(default_factory=EngineSpec, alias="engineSpec")
    expose: bool = True

    _origin: str = PrivateAttr(default="")
    _function: Callable[..., Any] | None = PrivateAttr(default=None)

    _coerce_expose = field_validator("expose", mode="before")(_as_bool)

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("params")
    @classmethod
    def _unique_params(cls, value: list[ToolParam]) -> list[ToolParam]:
        seen: set[str] = set()
        for param in value:
            if param.name in seen:
                raise ValueError(f"parameter {param.name!r} is declared twice")
            seen.add(param.name)
        return value

    @model_validator(mode="after")
    def _safe_param_names(self) -> ToolContract:
        """Arguments become environment variables (`name` and `NAME`): none may be one the
        loader, shell or interpreter reads, nor one the contract itself sets."""
        if self.engine in NO_ENV_ENGINES:
            return self
        spec = self.engine_spec
        own = {*spec.env, *spec.env_passthrough}
        for param in self.params:
            if reserved_env_name(param.name):
                raise ValueError(
                    f"parameter {param.name!r} is reserved: it would set {param.name.upper()}, "
                    "which the loader, shell or interpreter reads; rename it"
                )
            for var in dict.fromkeys((param.name, param.name.upper())):
                if var in own:
                    raise ValueError(
                        f"parameter {param.name!r} clashes with the environment variable "
                        f"{var} that engineSpec.env or env_passthrough sets; rename one"
                    )
        return self

    @property
    def origin(self) -> str:
        """Where the contract came from (a file, `agent.tools[i]`, or a Python function)."""
        return self._origin

    @property
    def function(self) -> Callable[..., Any] | None:
        """The Python function of a `python_tool`, when the contract was built from one."""
        return self._function

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the arguments: properties in declared order, nothing else allowed."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.params},
            "additionalProperties": False,
        }
        required = [p.name for p in self.params if p.required]
        if required:
            schema["required"] = required
        return schema

    def to_spec(self, provider_name: str) -> ToolSpec:
        """The catalog's view of this tool, served by `provider_name` (the agent)."""
        return ToolSpec(
            name=self.name,
            description=self.description,
            input_schema=self.input_schema(),
            source="local",
            provider=provider_name,
            engine=self.engine or "",
            expose=self.expose,
            timeout=self.engine_spec.timeout,
        )

    def rebase_mounts(self, roots: Mapping[str, Path], base: Path) -> None:
        """Make relative mount sources absolute: a source naming a known root (`./shared`,
        `./tools`) becomes that folder of the agent; any other is taken from `base`."""
        rebased = {}
        for source, target in self.engine_spec.mounts.items():
            path = Path(source).expanduser()
            if not path.is_absolute():
                key = path.as_posix().removeprefix("./").split("/", 1)
                root = roots.get(key[0])
                path = (root / key[1] if len(key) > 1 else root) if root else base / path
            rebased[str(path)] = target
        self.engine_spec.mounts = rebased

    def with_defaults(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments with declared defaults filled in for parameters not given."""
        merged = {p.name: p.default for p in self.params if p.default is not None}
        merged.update(arguments)
        return merged


def _format_errors(origin: str, exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in err["loc"])
        problems.append(f"{origin}: {where}: {message}" if where else f"{origin}: {message}")
    return problems


def parse_contract(data: Any, origin: str) -> ToolContract:
    """One contract from a mapping; errors name `origin` and the offending field."""
    if not isinstance(data, Mapping):
        problem = f"{origin}: a tool contract must be a mapping, got {type(data).__name__}"
        raise ConfigError(problem, details={"errors": [problem]})
    try:
        contract = ToolContract.model_validate(dict(data))
    except ValidationError as exc:
        problems = _format_errors(origin, exc)
        raise ConfigError("; ".join(problems), details={"errors": problems}) from None
    contract._origin = origin
    return contract


def load_contracts(items: Iterable[Any], origin: str = "agent.tools") -> list[ToolContract]:
    """Contracts from a config list (`agent.tools`); every bad entry is reported at once."""
    contracts, problems = [], []
    for index, item in enumerate(items):
        try:
            contracts.append(parse_contract(item, f"{origin}[{index}]"))
        except ConfigError as exc:
            problems.extend(exc.details.get("errors", [exc.message]))
    _raise_if(problems)
    return contracts


def load_contract_file(path: Path, label: str | None = None) -> ToolContract:
    """One `contract.yaml`; YAML syntax errors name the file and line."""
    label = label or str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{label}:{where}: {problem}") from None
    return parse_contract(data, label)


def load_contracts_dir(folder: str | Path) -> list[ToolContract]:
    """Contracts from `folder/*/contract.yaml`, sorted by folder name; a missing folder is empty.

    Errors name files relative to `folder`'s parent (e.g. `tools/calculator/contract.yaml`),
    so messages do not carry the host's absolute paths.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    contracts, problems = [], []
    for path in sorted(root.glob("*/contract.yaml")):
        label = f"{root.name}/{path.parent.name}/{path.name}"
        try:
            contracts.append(load_contract_file(path, label))
        except ConfigError as exc:
            problems.extend(exc.details.get("errors", [exc.message]))
    _raise_if(problems)
    return contracts


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise ConfigError("; ".join(problems), details={"errors": problems})
