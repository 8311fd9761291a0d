"""One error body for every route: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from praxis_sdk.errors import PraxisError

log = structlog.stdlib.get_logger(__name__)


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status: int, code: str, message: str, details: dict | None = None
                   ) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status)


async def _praxis(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PraxisError)
    return error_response(exc.status, exc.code, exc.message, exc.details)


def invalid_request(errors: Iterable[Mapping[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The message and details of a 400 for pydantic's errors about a request."""
    problems = []
    for err in errors:
        loc = ".".join(str(p) for p in err["loc"] if p != "body")
        problems.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return "invalid request: " + "; ".join(problems), {"problems": problems}


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "invalid_input", *invalid_request(exc.errors()))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized",
               413: "too_large", 400: "invalid_input"}


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


def internal_error(exc: Exception, path: str) -> str:
    """Log a bug with its traceback (call from its `except`); the message a client gets."""
    log.exception("unhandled error", path=path)
    return f"internal error: {type(exc).__name__}"


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return error_response(500, "internal", internal_error(exc, request.url.path))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PraxisError, _praxis)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
