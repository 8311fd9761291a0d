"""The P2P wire format (INTERFACES 5): newline-delimited JSON and the Go agents' message shapes.

Pure code: no I/O, no trio. The protocol handlers frame lines with `LineBuffer` and
turn values into models here; the rest of the node only sees `ToolSpec`/`ToolResult`.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from praxis_sdk.errors import InvalidInput, PraxisError, TooLarge
from praxis_sdk.tools.result import TextContent, ToolError, ToolResult
from praxis_sdk.tools.spec import ToolSpec

CARD = "/praxis/card/1.0.0"
TOOL = "/praxis/tool/1.0.0"
A2A = "/praxis/a2a/1.0.0"
TOOL_PIPELINED = "/praxis/tool/2.0.0"  # many calls on one stream, matched by id (p2p/pipeline.py)
PROTOCOLS = (CARD, TOOL, A2A, TOOL_PIPELINED)
JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array")
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# PraxisError codes <-> numeric wire codes (JSON-RPC style, as the Go agents send).
_NUMERIC_BY_CODE = {
    "not_found": METHOD_NOT_FOUND,
    "invalid_input": INVALID_PARAMS,
    "not_allowed": -32003,
    "unavailable": -32004,
    "timeout": -32005,
    "busy": -32006,
    "too_large": -32007,
    "tool_failed": -32000,
}
_CODE_BY_NUMERIC = {value: key for key, value in _NUMERIC_BY_CODE.items()}


# ---- framing ---------------------------------------------------------------------------


def encode_line(value: BaseModel | dict[str, Any], max_bytes: int) -> bytes:
    """One JSON value as one UTF-8 line ending in `\\n`; TooLarge past `max_bytes`."""
    if isinstance(value, BaseModel):
        data = value.model_dump_json(exclude_none=True).encode()
    else:
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) + 1 > max_bytes:
        raise TooLarge(f"message of {len(data) + 1} bytes exceeds the {max_bytes}-byte line limit")
    return data + b"\n"


def decode_line(line: bytes) -> Any:
    """Parse one line (without or with its newline); InvalidInput when it is not JSON."""
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"invalid JSON on the wire: {exc}") from exc


class LineBuffer:
    """Splits a byte stream into lines, refusing any line longer than `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf.extend(data)

    def next_line(self) -> bytes | None:
        """The next complete line (newline stripped), or None if more bytes are needed."""
        index = self._buf.find(b"\n")
        if index < 0:
            if len(self._buf) > self.max_bytes:
                raise TooLarge(f"line exceeds the {self.max_bytes}-byte limit")
            return None
        if index + 1 > self.max_bytes:
            raise TooLarge(f"line of {index + 1} bytes exceeds the {self.max_bytes}-byte limit")
        line = bytes(self._buf[:index])
        del self._buf[: index + 1]
        return line

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a full line."""
        return len(self._buf)


# ---- models ----------------------------------------------------------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CardParam(_Wire):
    name: str
    type: str = "string"
    description: str = ""
    required: bool = False


class CardTool(_Wire):
    name: str
    description: str = ""
    parameters: list[CardParam] = Field(default_factory=list)
    input_schema: dict[str, Any] | None = Field(default=None, alias="inputSchema")


class Card(_Wire):
    name: str
    version: str = ""
    peer_id: str = Field(default="", alias="peerId")
    capabilities: list[str] = Field(default_factory=list)
    tools: list[CardTool] = Field(default_factory=list)
    timestamp: int = 0
    endpoints: dict[str, str] | None = None

    def dump(self) -> dict[str, Any]:
        """The card as it goes on the wire (Go field names, no nulls)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class ToolRequest(_Wire):
    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    timestamp: int = 0

    def flat_arguments(self) -> dict[str, Any]:
        """Arguments whether sent flat or as Go's `{args, params, secrets}`."""
        return flatten_arguments(self.arguments)


class WireError(_Wire):
    code: int | str = INTERNAL_ERROR
    message: str = ""


class ToolResponse(_Wire):
    id: str
    result: Any = None
    error: WireError | None = None


def parse(model: type[BaseModel], value: Any, what: str) -> Any:
    """Validate a decoded value as `model`; InvalidInput naming `what` when the shape is wrong."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        raise InvalidInput(f"bad {what}: {where}: {first['msg']}") from exc


def flatten_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Go agents nest arguments as `{args, params, secrets}`; the catalog wants them flat."""
    keys = set(arguments)
    if keys and keys <= {"args", "params", "secrets"} and all(
        isinstance(arguments[key], dict) for key in keys
    ):
        flat: dict[str, Any] = {}
        for key in ("params", "secrets", "args"):
            flat.update(arguments.get(key) or {})
        return flat
    return dict(arguments)


# ---- cards <-> tool specs ----------------------------------------------------------------


def _json_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), "string")
    return kind if kind in JSON_TYPES else "string"


def tool_to_card(spec: ToolSpec) -> CardTool:
    """A catalog tool as a card entry: parameters from its input schema, schema kept too."""
    schema = spec.input_schema or {"type": "object", "properties": {}}
    required = set(schema.get("required") or [])
    params = [
        CardParam(
            name=name,
            type=_json_type(prop if isinstance(prop, dict) else {}),
            description=str((prop or {}).get("description", "")) if isinstance(prop, dict)
            else "",
            required=name in required,
        )
        for name, prop in (schema.get("properties") or {}).items()
    ]
    return CardTool(name=spec.name, description=spec.description, parameters=params,
                    inputSchema=schema)


def card_tool_schema(tool: CardTool) -> dict[str, Any]:
    """The JSON schema of a peer's tool: its `inputSchema` when sent, else from parameters."""
    if isinstance(tool.input_schema, dict) and tool.input_schema:
        return tool.input_schema
    properties = {
        p.name: {"type": p.type if p.type in JSON_TYPES else "string",
                 "description": p.description}
        for p in tool.parameters
    }
    required = [p.name for p in tool.parameters if p.required]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def card_to_specs(card: Card, provider: str) -> list[ToolSpec]:
    """The tools a peer's card offers, as catalog entries of a `peer` provider."""
    return [
        ToolSpec(name=tool.name, description=tool.description,
                 input_schema=card_tool_schema(tool), source="peer",
                 provider=provider, engine="remote-p2p")
        for tool in card.tools
    ]


def build_card(
    *, name: str, version: str, peer_id: str, tools: list[ToolSpec],
    endpoints: dict[str, str] | None = None, capabilities: list[str] | None = None,
) -> Card:
    """Our card: exposed tools only (the caller filters), unix-seconds timestamp."""
    return Card(
        name=name, version=version, peerId=peer_id,
        capabilities=capabilities or ["p2p", "tools", "dsl", "workflow", "mcp", TOOL_PIPELINED],
        tools=[tool_to_card(spec) for spec in tools if spec.expose],
        timestamp=int(time.time()), endpoints=endpoints or None,
    )


# ---- tool results <-> wire ---------------------------------------------------------------


def new_request(request_id: str, name: str, arguments: dict[str, Any]) -> ToolRequest:
    return ToolRequest(id=request_id, name=name, arguments=arguments,
                       timestamp=int(time.time()))


def response_from_result(request_id: str, result: ToolResult) -> ToolResponse:
    """Our result in the Go shape: success content, or `{status: error}` plus `error`."""
    if result.ok:
        body: dict[str, Any] = {
            "content": [part.model_dump() for part in result.content],
            "isError": False,
            "engine": result.engine,  # extra: which engine ran it on the peer
        }
        if result.structured is not None:
            body["structuredContent"] = result.structured
        return ToolResponse(id=request_id, result=body)
    error = result.error or ToolError(code="tool_failed", message=result.text or "tool failed")
    return ToolResponse(
        id=request_id,
        result={"status": "error", "error": error.message,
                "content": [{"type": "text", "text": error.message}], "isError": True,
                "engine": result.engine},
        error=WireError(code=_NUMERIC_BY_CODE.get(error.code, INTERNAL_ERROR),
                        message=error.message, praxisCode=error.code),
    )


def response_from_error(request_id: str, error: PraxisError) -> ToolResponse:
    """A refusal or routing failure (not a run): `result` null, `error` set."""
    return ToolResponse(
        id=request_id, result=None,
        error=WireError(code=_NUMERIC_BY_CODE.get(error.code, INTERNAL_ERROR),
                        message=error.message, praxisCode=error.code),
    )


def _error_code(error: WireError | None, fallback: str) -> str:
    if error is None:
        return fallback
    extra = (error.model_extra or {}).get("praxisCode")
    if isinstance(extra, str):
        return extra
    if isinstance(error.code, int):
        return _CODE_BY_NUMERIC.get(error.code, fallback)
    return error.code or fallback


def _content_text(content: Any) -> list[TextContent]:
    parts: list[TextContent] = []
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            parts.append(TextContent(text=item["text"]))
    return parts


def result_from_response(
    response: ToolResponse, *, tool: str, provider: str, duration_ms: float
) -> ToolResult:
    """Any response shape a Go or Python peer sends, as our ToolResult."""
    body = response.result
    engine = body.get("engine") if isinstance(body, dict) else None
    common = {"tool": tool, "provider": provider,
              "engine": engine if isinstance(engine, str) and engine else "remote-p2p",
              "duration_ms": duration_ms}
    if isinstance(body, dict) and body.get("status") == "unknown_tool":
        return ToolResult.failure(code="not_found", message=f"peer has no tool {tool}", **common)
    if isinstance(body, dict) and body.get("status") == "error":
        message = str(body.get("error") or (response.error and response.error.message)
                      or "tool failed")
        return ToolResult.failure(code=_error_code(response.error, "tool_failed"),
                                  message=message, **common)
    if response.error is not None and (body is None or not isinstance(body, dict)):
        return ToolResult.failure(code=_error_code(response.error, "tool_failed"),
                                  message=response.error.message or "peer error", **common)
    if isinstance(body, dict) and "content" in body:
        content = _content_text(body.get("content"))
        if body.get("isError"):
            message = "\n".join(part.text for part in content) or "tool failed"
            return ToolResult.failure(code=_error_code(response.error, "tool_failed"),
                                      message=message, **common)
        structured = body.get("structuredContent")
        result = ToolResult.from_output(output="\n".join(p.text for p in content), **common)
        result.content = content
        if isinstance(structured, (dict, list)):
            result.structured = structured
        return result
    text = body if isinstance(body, str) else json.dumps(body)
    return ToolResult.from_output(output=text, **common)


def jsonrpc_error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    """A JSON-RPC 2.0 error response."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


_REQUEST_NUMBERS = itertools.count(1)


def new_request_id() -> str:
    """A unique id for one tool request in this process (ids are matched per stream, so
    they need no randomness: no `os.urandom` system call per call)."""
    return f"tool-{time.time_ns()}-{next(_REQUEST_NUMBERS)}"
