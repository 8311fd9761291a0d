"""`praxis-agent`: run a node, check configs, and talk to a running node."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from praxis_sdk import __version__
from praxis_sdk.config import Settings, load_config
from praxis_sdk.errors import PraxisError

app = typer.Typer(
    name="praxis-agent", help="Praxis agent node.", no_args_is_help=True,
    add_completion=False, pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: $CONFIG_FILE)"),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Unknown config keys are errors")]


def fail(message: str, code: int = 1) -> None:
    """One readable line on stderr and a non-zero exit, never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load(config: Path | None, strict: bool, **overrides: Any) -> Settings:
    warnings: list[str] = []
    try:
        settings = load_config(config, strict=strict, warnings=warnings, **overrides)
    except PraxisError as exc:
        fail(exc.message, 2)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    return settings


@app.command()
def run(
    config: ConfigOpt = None,
    name: Annotated[str | None, typer.Option(help="Agent name")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
    p2p_port: Annotated[int | None, typer.Option(help="libp2p TCP port")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning, error")] = None,
    strict: StrictOpt = False,
) -> None:
    """Start the agent and serve until SIGTERM or Ctrl-C."""
    from praxis_sdk.agent import Agent
    from praxis_sdk.logging import configure_logging

    settings = load(config, strict, name=name, port=port, p2p_port=p2p_port,
                    log_level=log_level)
    configure_logging(settings.logging, agent=settings.agent.name)
    try:
        Agent(settings).run()
    except PraxisError as exc:
        if settings.logging.level == "debug":
            raise
        fail(exc.message)
    except KeyboardInterrupt:
        pass


@app.command("validate-config")
def validate_config(config: ConfigOpt = None, strict: StrictOpt = False) -> None:
    """Print the resolved config (secrets masked) or every error in it."""
    typer.echo(load(config, strict).to_yaml(), nl=False)


@app.command("init-config")
def init_config(
    path: Annotated[Path, typer.Argument(help="Where to write it")] = Path("agent.yaml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file")] = False,
) -> None:
    """Write a commented starter config."""
    if path.exists() and not force:
        fail(f"{path} exists; use --force to overwrite")
    text = resources.files("praxis_sdk").joinpath("starter.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {path}")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"praxis-agent {__version__} (Python {sys.version.split()[0]})")


def main() -> None:
    app()
