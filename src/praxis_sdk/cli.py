"""`praxis-agent`: the entry point.

`praxis-agent run` with plain options (`-c FILE`, `--port 8001`, `--name=a`, `--strict`,
each at most once) starts the agent here, without loading typer, which a running agent
would otherwise keep in memory to the end (about 1.1 MiB). Anything else (help, the
other commands, an option typer must check or reject) goes to the typer app in
`commands.py`, whose `run` calls the same `serve`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from praxis_sdk.errors import PraxisError

if TYPE_CHECKING:  # the config (pydantic-settings) loads only for commands that read one
    from praxis_sdk.config import Settings

# `run`'s options that take a value, as commands.py declares them for typer
# (tests/unit/test_cli_options.py fails when the two differ)
RUN_OPTIONS = {"--config": "config", "-c": "config", "--name": "name", "--port": "port",
               "--p2p-port": "p2p_port", "--log-level": "log_level"}
NUMBERS = ("port", "p2p_port")


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fail(message: str, code: int = 1) -> None:
    """One readable line on stderr and a non-zero exit, never a traceback."""
    warn(f"error: {message}")
    raise SystemExit(code)


def load(config: Path | None, strict: bool, **overrides: Any) -> Settings:
    from praxis_sdk.config import load_config

    warnings: list[str] = []
    try:
        settings = load_config(config, strict=strict, warnings=warnings, **overrides)
    except PraxisError as exc:
        fail(exc.message, 2)
    for warning in warnings:
        warn(f"warning: {warning}")
    return settings


def start_logging(settings: Settings) -> None:
    """Logging as configured; a log file that cannot be written is a one-line error."""
    from praxis_sdk.logging import configure_logging

    try:
        configure_logging(settings.logging, agent=settings.agent.name)
    except OSError as exc:
        fail(f"cannot write the log file {settings.logging.file}: {exc.strerror}")


def serve(config: Path | None = None, *, name: str | None = None, port: int | None = None,
          p2p_port: int | None = None, log_level: str | None = None,
          strict: bool = False) -> None:
    """`praxis-agent run`: start the agent and serve until SIGTERM or Ctrl-C."""
    from praxis_sdk.lean import without_optional_extras

    with without_optional_extras():
        from praxis_sdk.agent import Agent
        from praxis_sdk.config import security_warnings

    settings = load(config, strict, name=name, port=port, p2p_port=p2p_port,
                    log_level=log_level)
    for warning in security_warnings(settings):
        warn(f"WARNING: {warning}")
    start_logging(settings)
    try:
        Agent(settings).run()
    except PraxisError as exc:
        if settings.logging.level == "debug":
            raise
        fail(exc.message)
    except KeyboardInterrupt:
        pass


def run_options(argv: list[str]) -> dict[str, Any] | None:
    """`serve`'s arguments for `run` followed by plain options, converted as typer
    converts them; None for anything typer must parse (it answers as it always did)."""
    if argv[:1] != ["run"]:
        return None
    options: dict[str, Any] = {}
    args = iter(argv[1:])
    for arg in args:
        if arg == "--strict":
            key, value = "strict", True
        else:
            flag, equals, text = arg.partition("=")
            key = RUN_OPTIONS.get(flag)
            if key is None or (equals and not flag.startswith("--")):
                return None
            if not equals:
                text = next(args, "")
            if not text or text.startswith("-"):
                return None
            if key in NUMBERS and not (text.isascii() and text.isdigit()):
                return None
            value = int(text) if key in NUMBERS else Path(text) if key == "config" else text
        if key in options:
            return None
        options[key] = value
    return options


def main() -> None:
    options = run_options(sys.argv[1:])
    if options is None:
        from praxis_sdk.commands import main as typer_main

        typer_main()
        return
    try:
        serve(**options)
    except KeyboardInterrupt:  # Ctrl-C while starting: typer's exit code
        raise SystemExit(130) from None


def __getattr__(name: str) -> Any:
    if name == "app":  # the typer app, as `praxis_sdk.cli.app` (scripts/demo.py)
        from praxis_sdk.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
