"""structlog set-up: JSON or text lines to stderr and optionally a file; stdlib logs too."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog

from praxis_sdk.config import LoggingConfig

_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(config: LoggingConfig, *, agent: str | None = None) -> None:
    """Route structlog and the libraries' stdlib logging through one formatter and level."""
    level = getattr(logging, config.level.upper())
    renderer = (
        structlog.processors.JSONRenderer()
        if config.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if config.file:
        Path(config.file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(config.file, encoding="utf-8"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    # Chatty libraries stay one level quieter than ours unless we debug.
    for name in ("uvicorn.access", "libp2p", "multiaddr", "httpx", "aiosqlite", "docker"):
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.WARNING)
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    if agent:
        structlog.contextvars.bind_contextvars(agent=agent)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger named like the module that asks."""
    return structlog.stdlib.get_logger(name)
