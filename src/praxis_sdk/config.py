"""Settings: defaults < YAML file < environment < CLI flags (INTERFACES section 2)."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from praxis_sdk.errors import ConfigError
from praxis_sdk.hosts import is_loopback, trusted_hosts

EMPTY_TOKEN = "auth_token is empty; unset it to run without auth"


class Section(BaseModel):
    """Base of every config section: unknown keys are found before validation."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class AgentConfig(Section):
    name: str = "praxis-agent"
    version: str = "0.1.0"
    description: str = "Praxis agent node"
    url: str | None = Field(None, description="Public base URL of the HTTP API")
    shared_dir: str = "./shared"
    tools: list[dict[str, Any]] = Field(default_factory=list, description="Inline contracts")
    tools_dir: str | None = "./tools"
    external_mcp_endpoints: list[str | dict[str, Any]] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"must not be empty or blank (got {value!r})")
        return value


class HTTPConfig(Section):
    host: str = "0.0.0.0"
    port: int = Field(8000, ge=0, le=65535)
    cors_origins: list[str] = Field(default_factory=list)
    auth_token: SecretStr | None = Field(None, description="Unset: no auth; empty: an error")
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)
    allowed_hosts: list[str] | None = Field(
        None, description="Host headers /mcp accepts; unset: loopback names on a loopback "
        "bind, else any"
    )
    published_host: str | None = Field(
        None, description="Host address a container publishes this port on (Compose sets "
        "it from PRAXIS_BIND); the open-API warning checks it instead of host"
    )

    @field_validator("auth_token")
    @classmethod
    def _token_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(EMPTY_TOKEN)
        return value

    def mcp_hosts(self) -> list[str]:
        return trusted_hosts(self.host, self.allowed_hosts)


class P2PConfig(Section):
    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(4001, ge=0, le=65535)
    listen_addresses: list[str] = Field(default_factory=list)
    announce_addresses: list[str] = Field(default_factory=list)
    keystore_path: str = "./keys"
    enable_mdns: bool = True
    bootstrap_nodes: list[str] = Field(default_factory=list)
    enable_dht: bool = False
    rendezvous: str = "praxis"
    max_message_bytes: int = Field(1024 * 1024, gt=0)
    allowed_peers: list[str] | None = Field(
        None, description="Peer ids that may call our tools: unset/null any, [] none"
    )
    connection_timeout: float = Field(10.0, gt=0)
    request_timeout: float = Field(30.0, gt=0)
    ping_interval: float = Field(5.0, gt=0)
    ping_misses: int = Field(3, ge=1)


class MCPServerConfig(Section):
    """One MCP server whose tools join the catalog."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)

    name: str = Field(min_length=1)
    transport: Literal["stdio", "streamable-http", "sse"] = "stdio"
    command: str = ""
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True
    expose: bool = Field(False, description="Offer this server's tools to peers")

    @model_validator(mode="after")
    def _check_target(self) -> MCPServerConfig:
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"MCP server {self.name!r}: stdio transport needs a command")
        if self.transport != "stdio" and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"MCP server {self.name!r}: {self.transport} needs an http(s) url")
        return self


class MCPLimits(Section):
    """Timeouts (seconds), per-server concurrency and reconnect pacing of MCP clients."""

    call_timeout: float = Field(60.0, gt=0)
    connect_timeout: float = Field(20.0, gt=0)
    max_concurrency: int = Field(16, ge=1)
    heartbeat_interval: float = Field(15.0, gt=0)
    backoff_initial: float = Field(0.5, gt=0)
    backoff_max: float = Field(30.0, gt=0)


class MCPConfig(Section):
    enabled: bool = True
    servers: list[MCPServerConfig] = Field(default_factory=list)
    serve: bool = True
    limits: MCPLimits = Field(default_factory=MCPLimits)


class LLMConfig(Section):
    enabled: bool = False
    provider: Literal["openai"] = "openai"
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key: SecretStr | None = None
    temperature: float = Field(0.1, ge=0, le=2)
    max_tokens: int = Field(2048, gt=0)
    timeout: float = Field(60.0, gt=0, description="Seconds one model call may take")
    max_retries: int = Field(2, ge=0, description="Retries after HTTP 429, 5xx or no connection")
    prompt_budget_tokens: int = Field(
        6000, ge=500, description="Estimated tokens of a plan prompt; the catalog is trimmed "
        "to fit, most relevant tools first")
    max_replans: int = Field(1, ge=0, description="New plans after a run with failed steps")


class ExecutionConfig(Section):
    default_engine: str = "sandbox"
    engines: list[str] = Field(default_factory=lambda: ["dagger", "docker", "sandbox"])
    allow_unsandboxed: bool = False
    max_concurrent: int = Field(8, ge=1)
    default_timeout: float = Field(60.0, gt=0)
    memory: str = "512m"
    cpus: float = Field(1.0, gt=0)
    network: str = "none"
    max_output_bytes: int = Field(1024 * 1024, gt=0)
    docker_host: str | None = None
    max_script_bytes: int = Field(1024 * 1024, gt=0)
    max_script_steps: int = Field(10_000, gt=0, description="CALL statements in one script")
    max_active_runs: int = Field(32, ge=1, description="Workflow runs at once; more is busy")


class A2AConfig(Section):
    enabled: bool = True
    serve_http: bool = Field(
        True, description="false: A2A only over libp2p (no JSON-RPC, REST or card over HTTP)")
    description: str | None = None
    skills: list[dict[str, Any]] = Field(default_factory=list)
    provider: dict[str, str] | None = None


class StorageConfig(Section):
    data_dir: str = "./data"
    database_url: str | None = Field(None, description="Default: SQLite under data_dir")
    task_retention: float = Field(
        30.0, ge=0, description="Days finished tasks are kept (pruned at start); 0 keeps all")

    def resolved_url(self) -> str:
        """The SQLAlchemy async URL: the configured one or `data_dir/praxis.db`."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir) / 'praxis.db'}"


class LoggingConfig(Section):
    level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    format: Literal["json", "text"] = "text"
    file: str | None = None


class MetricsConfig(Section):
    enabled: bool = True
    remote_write: str | None = None


# Legacy variable names of existing deployments -> dotted config path.
LEGACY_ENV: dict[str, str] = {
    "AGENT_NAME": "agent.name",
    "AGENT_VERSION": "agent.version",
    "OPENAI_API_KEY": "llm.api_key",
    "PRAXIS_API__PORT": "http.port",
    "PRAXIS_AUTH_TOKEN": "http.auth_token",
    "PRAXIS_P2P__MDNS_ENABLED": "p2p.enable_mdns",
    "PRAXIS_ENV": "environment",
    "PRAXIS_ENVIRONMENT": "environment",
    "PRAXIS_LOG_LEVEL": "logging.level",
}

_yaml_layer: ContextVar[dict[str, Any] | None] = ContextVar("praxis_yaml_layer", default=None)


class _YamlLayer(PydanticBaseSettingsSource):
    """The already-read, interpolated and checked YAML file as a settings source."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_yaml_layer.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_layer.get() or {})


class _LegacyEnv(PydanticBaseSettingsSource):
    """Older variable names; the canonical `PRAXIS_...__...` names win over these."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        env = {k.upper(): v for k, v in os.environ.items()}
        for var, path in LEGACY_ENV.items():
            if var in env:
                set_path(out, path, env[var])
        if env.get("PRAXIS_DEBUG", "").lower() in ("1", "true", "yes", "on"):
            set_path(out, "logging.level", "debug")
        return out


class Settings(BaseSettings):
    """The whole configuration of one agent node."""

    model_config = SettingsConfigDict(
        env_prefix="PRAXIS_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="ignore",
        validate_assignment=True,
    )

    environment: str = "development"
    debug: bool = False
    agent: AgentConfig = Field(default_factory=AgentConfig)
    http: HTTPConfig = Field(default_factory=HTTPConfig)
    p2p: P2PConfig = Field(default_factory=P2PConfig)
    mcp: MCPConfig = Field(default_factory=MCPConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    a2a: A2AConfig = Field(default_factory=A2AConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _LegacyEnv(settings_cls), _YamlLayer(settings_cls))

    def dump(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """Plain data of the resolved config; secrets shown as `**********` unless asked."""
        data = self.model_dump(mode="json")
        if not mask_secrets:
            _reveal(self, data)
        return data

    def to_yaml(self) -> str:
        """The resolved config as YAML with secrets masked (what `validate-config` prints)."""
        return yaml.safe_dump(self.dump(), sort_keys=False)


def security_warnings(config: Settings) -> list[str]:
    """What makes this node open to anyone who can reach it (logged at start, in /health)."""
    http = config.http
    if http.auth_token is not None or is_loopback(http.host):
        return []
    if http.published_host is None:
        where = f"the API listens on {http.host}"
    elif is_loopback(http.published_host):
        return []
    else:
        where = f"the API is published on {http.published_host}"
    return [f"http.auth_token is not set and {where}: anyone who reaches this address "
            "can run tools and workflows; set a token or bind 127.0.0.1"]


def _reveal(model: BaseModel, data: dict[str, Any]) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            data[name] = value.get_secret_value()
        elif isinstance(value, BaseModel):
            _reveal(value, data[name])


# ---------------------------------------------------------------- loading


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str] | None = None) -> Any:
    """Replace `${VAR}` and `${VAR:-default}` in every string of a YAML tree."""
    env = os.environ if env is None else env
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in a nested dict, creating levels as needed."""
    *parents, leaf = dotted.split(".")
    for key in parents:
        tree = tree.setdefault(key, {})
    tree[leaf] = value


def unknown_keys(model: type[BaseModel], data: Any, prefix: str = ""
                 ) -> list[tuple[str, str | None]]:
    """Dotted paths in `data` that `model` does not declare (recursing into sections),
    each with the closest declared path, if one is close."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[str, str | None]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        field = model.model_fields.get(key)
        if field is None:
            close = difflib.get_close_matches(str(key), list(model.model_fields), n=1)
            found.append((path, f"{prefix}{close[0]}" if close else None))
            continue
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            found += unknown_keys(sub, value, f"{path}.")
        elif key == "servers" and isinstance(value, list):
            for i, item in enumerate(value):
                found += unknown_keys(MCPServerConfig, item, f"{path}[{i}].")
    return found


def _unknown_line(path: str, close: str | None) -> str:
    return f"{path} (did you mean {close}?)" if close else path


def _drop(data: dict[str, Any], dotted: str) -> None:
    parts = re.split(r"\.|\[(\d+)\]\.?", dotted)
    keys = [int(p) if p.isdigit() else p for p in parts if p]
    node: Any = data
    for key in keys[:-1]:
        node = node[key]
    node.pop(keys[-1], None)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Parse a config file; any problem is a ConfigError naming the file and the cause."""
    file = Path(path)
    if file.is_dir():
        raise ConfigError(f"config path is a directory, not a file: {file}",
                          details={"errors": [str(file)]})
    if not file.is_file():
        raise ConfigError(f"config file not found: {file}", details={"errors": [str(file)]})
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        pos = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}: invalid YAML{pos}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of sections")
    return data


def load_config(
    path: str | Path | None = None,
    *,
    strict: bool = False,
    warnings: list[str] | None = None,
    **overrides: Any,
) -> Settings:
    """Load a node's settings.

    `path` (or `$CONFIG_FILE`) is the YAML file; `overrides` are CLI-level values given
    as dotted paths with `__` or as sections, e.g. `name="a"`, `http__port=8001`,
    `p2p={"port": 4002}`. Unknown YAML keys are appended to `warnings` (or raise under
    `strict`). Wrong values raise ConfigError listing `path: problem (got value)`.
    """
    path = path or os.environ.get("CONFIG_FILE") or None
    data = interpolate(read_yaml(path)) if path else {}
    unknown = unknown_keys(Settings, data)
    if unknown and strict:
        lines = [_unknown_line(key, close) for key, close in unknown]
        raise ConfigError("unknown config keys: " + ", ".join(lines), details={
            "errors": [key for key, _ in unknown], "suggestions": [c for _, c in unknown]})
    for key, close in unknown:
        _drop(data, key)
        if warnings is not None:
            warnings.append(f"unknown config key ignored: {_unknown_line(key, close)}")
    token = _yaml_layer.set(data)
    try:
        return Settings(**_cli_layer(overrides))
    except ValidationError as exc:
        file = str(path) if path else None
        raise config_error(exc, origin=lambda loc: _origin(loc, overrides, file)) from None
    finally:
        _yaml_layer.reset(token)


_SHORTCUTS = {
    "name": "agent.name",
    "port": "http.port",
    "host": "http.host",
    "p2p_port": "p2p.port",
    "log_level": "logging.level",
    "data_dir": "storage.data_dir",
}


def _cli_layer(overrides: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        dotted = _SHORTCUTS.get(key, key.replace("__", "."))
        if isinstance(value, dict) and "." not in dotted:
            out.setdefault(dotted, {}).update(value)
        else:
            set_path(out, dotted, value)
    return out


def _origin(loc: tuple[int | str, ...], overrides: dict[str, Any], file: str | None
            ) -> str | None:
    """Where the value at `loc` came from: a flag, an environment variable or the file
    (the layers in the order they win)."""
    parts = [str(p) for p in loc]
    dotted = ".".join(parts)

    def covers(path: str) -> bool:
        return dotted == path or dotted.startswith(f"{path}.")

    for key, value in overrides.items():
        if value is not None and covers(_SHORTCUTS.get(key, key.replace("__", "."))):
            return f"--{key.replace('_', '-')}" if key in _SHORTCUTS else key
    env = {name.upper(): name for name in os.environ}
    for end in range(len(parts), 0, -1):
        name = "PRAXIS_" + "__".join(parts[:end]).upper()
        if name in env:
            return env[name]
    for name, path in LEGACY_ENV.items():
        if name in env and covers(path):
            return env[name]
    return file


def config_error(exc: ValidationError, source: str | None = None,
                 origin: Callable[[tuple[int | str, ...]], str | None] | None = None
                 ) -> ConfigError:
    """One readable line per problem: `p2p.port: Input should be ... (got 'abc')`, led by
    where the value came from (`source`, or `origin(loc)` per problem)."""
    lines, wheres = [], []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        got = err.get("input")
        shown = "" if isinstance(got, dict) or err["type"] == "value_error" else f" (got {got!r})"
        lines.append(f"{loc}: {err['msg'].removeprefix('Value error, ')}{shown}")
        wheres.append(origin(err["loc"]) if origin else source)
    if len(set(wheres)) == 1:
        where = f"{wheres[0]}: " if wheres[0] else ""
        text = "; ".join(lines)
    else:
        where = ""
        pairs = zip(wheres, lines, strict=True)
        text = "; ".join(f"{w}: {line}" if w else line for w, line in pairs)
    return ConfigError(f"{where}invalid config: {text}",
                       details={"errors": lines, "sources": wheres})
