"""Error types every layer raises; each interface maps them to its wire format once."""

from __future__ import annotations

from typing import Any


class PraxisError(Exception):
    """Base of all errors a user may see. `code` is stable; `status` is the HTTP status."""

    code = "internal"
    status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The `{"code", "message", "details"}` body used by HTTP, P2P and JSON-RPC."""
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(PraxisError):
    code, status = "invalid_input", 400


class Unauthorized(PraxisError):
    code, status = "unauthorized", 401


class NotAllowed(PraxisError):
    code, status = "not_allowed", 403


class NotFound(PraxisError):
    code, status = "not_found", 404


class Conflict(PraxisError):
    code, status = "conflict", 409


class TooLarge(PraxisError):
    code, status = "too_large", 413


class Busy(PraxisError):
    code, status = "busy", 429


class Unavailable(PraxisError):
    code, status = "unavailable", 503


class Timeout(PraxisError):
    code, status = "timeout", 504


class ToolFailed(PraxisError):
    code, status = "tool_failed", 502


class ConfigError(PraxisError):
    """A configuration that cannot be used; `details["errors"]` lists each problem."""

    code, status = "config_error", 400


ERRORS_BY_CODE: dict[str, type[PraxisError]] = {
    cls.code: cls
    for cls in (
        InvalidInput, Unauthorized, NotAllowed, NotFound, Conflict, TooLarge,
        Busy, Unavailable, Timeout, ToolFailed, ConfigError,
    )
}


def first_leaf(exc: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups; `exc` itself otherwise."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException) -> str:
    """An exception's text for a user, or its type name when the text is empty (as with
    httpx's ConnectError); exception groups are described by their first leaf."""
    leaf = first_leaf(exc)
    return str(leaf) or type(leaf).__name__


def from_dict(data: dict[str, Any]) -> PraxisError:
    """Rebuild an error sent by another node or process (unknown codes stay generic)."""
    cls = ERRORS_BY_CODE.get(str(data.get("code")), PraxisError)
    return cls(str(data.get("message", "error")), details=data.get("details") or {})
