"""The `praxis-agent` commands (typer). `cli.main` starts `run` with plain options
itself, without typer; everything else comes here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from praxis_sdk import __version__
from praxis_sdk.cli import fail, load, serve, start_logging
from praxis_sdk.errors import PraxisError

if TYPE_CHECKING:
    from praxis_sdk.localnet import Ports

app = typer.Typer(
    name="praxis-agent", help="Praxis agent node.", no_args_is_help=True,
    add_completion=False, pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: $CONFIG_FILE)"),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Unknown config keys are errors")]
UrlOpt = Annotated[str, typer.Option(envvar="PRAXIS_URL", help="The agent's HTTP base URL")]
TokenOpt = Annotated[str | None, typer.Option(envvar="PRAXIS_TOKEN", help="Bearer token")]


def main() -> None:
    """Run the app; a usage error (a bad option value, an unknown option) is one `error:`
    line naming the option, exit code 2, as every other error is."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        # typer has printed the help; its click is a private copy, so match by name as
        # typer's own rich_utils does
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise SystemExit(exc.exit_code) from None
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        fail(" ".join(exc.format_message().split()) + hint, exc.exit_code)
    except typer.Abort:
        fail("aborted")
    if isinstance(code, int):
        raise SystemExit(code)


def follow(call: Callable[..., dict[str, Any]], url: str, text: str, **options: Any
           ) -> dict[str, Any]:
    """Run a remote command (`run_remote`, `ask_remote`) with its progress on stderr."""
    try:
        return call(url, text, emit=lambda line: typer.echo(line, err=True), **options)
    except PraxisError as exc:
        fail(exc.message)
        raise  # fail() always exits


def echo_json(value: Any) -> None:
    import json

    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


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
    serve(config, name=name, port=port, p2p_port=p2p_port, log_level=log_level,
          strict=strict)


@app.command("mcp-stdio")
def mcp_stdio(config: ConfigOpt = None, strict: StrictOpt = False) -> None:
    """Serve the node's tool catalog over MCP on stdin/stdout (desktop MCP clients).

    The node runs without its HTTP server; stdout carries only the protocol, logs go to
    stderr.
    """
    from praxis_sdk.agent import Agent
    from praxis_sdk.mcp.stdio import run_stdio

    settings = load(config, strict)
    start_logging(settings)
    try:
        run_stdio(Agent(settings, serve_http=False), version=settings.agent.version)
    except PraxisError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        pass


@app.command("validate-config")
def validate_config(config: ConfigOpt = None, strict: StrictOpt = False) -> None:
    """Print the resolved config (secrets masked) or every error in it, tools included."""
    from praxis_sdk.agent import load_tool_contracts

    settings = load(config, strict)
    try:
        contracts = load_tool_contracts(settings)
    except PraxisError as exc:
        fail(exc.message, 2)
    typer.echo(settings.to_yaml(), nl=False)
    typer.echo(contracts_line([c.name for c in contracts], settings.agent.tools_dir), err=True)


def contracts_line(names: list[str], tools_dir: str | None) -> str:
    """`# 2 tool contracts: a, b`, saying so when the tools directory does not exist."""
    line = f"# {len(names)} tool contracts" + (f": {', '.join(names)}" if names else "")
    if tools_dir and not Path(tools_dir).is_dir():
        line += f" (no tools directory at {tools_dir})"
    return line


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
def dsl(
    script: Annotated[str | None, typer.Argument(help="DSL text, e.g. 'CALL calculator 1+1'")
                      ] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the script from a file"
                                              )] = None,
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the result")] = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Run a DSL script on a running agent, showing live progress, then the results."""
    from praxis_sdk.runner.remote import failure_message, run_remote
    from praxis_sdk.runner.report import result_lines

    if (script is None) == (file is None):
        fail("give a script as an argument or with -f FILE (one of the two)", 2)
    try:
        text = file.read_text(encoding="utf-8") if file is not None else str(script)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", 2)
    result = follow(run_remote, url, text, token=token, timeout=timeout)
    if as_json:
        echo_json(result)
    elif result.get("result") is not None:
        typer.echo("\n".join(result_lines(result["result"])))
    if not result.get("success"):
        fail(failure_message(result))


PortBaseOpt = Annotated[int, typer.Option(
    "--port-base", envvar="PRAXIS_DEMO_PORT_BASE",
    help="Agent 1's HTTP port N; the others follow: agent 2 HTTP N+1, MCP N-4998, libp2p "
    "N-3999 and N-3998 (8000: 8000, 8001, 3002, 4001, 4002). A base that puts a port on "
    "one of those defaults (e.g. 9000: MCP on 4002) is refused")]
HomeOpt = Annotated[Path, typer.Option(
    "--dir", help="Folder for the services' data, logs and the shared files")]


def local_ports(base: int) -> Ports:
    """The `Ports` of `--port-base`, or exit 2 with the reason it cannot be used."""
    from praxis_sdk.localnet import Ports, port_base_problem

    problem = port_base_problem(base)
    if problem is not None:
        fail(problem, 2)
    return Ports.from_base(base)


@app.command()
def up(port_base: PortBaseOpt = 8000, home: HomeOpt = Path("praxis-net")) -> None:
    """Start the local network (MCP filesystem server + two agents) until Ctrl-C."""
    from praxis_sdk.localnet import LocalNet

    try:
        with LocalNet(home, local_ports(port_base), emit=typer.echo) as net:
            took = net.start()
            typer.echo(f"all healthy in {took:.2f}s; try: praxis-agent dsl --url "
                       f"{net.services[1].url} 'CALL calculator --expression \"6*7\"'"
                       "  (Ctrl-C stops)")
            net.watch()
    except PraxisError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        pass


@app.command()
def demo(
    port_base: PortBaseOpt = 8000, home: HomeOpt = Path("praxis-net"),
    keep: Annotated[bool, typer.Option("--keep", help="Leave the network up until Ctrl-C")
                    ] = False,
) -> None:
    """Start the local network, run a workflow across both agents and the MCP server."""
    from praxis_sdk.demo import run_demo
    from praxis_sdk.localnet import LocalNet

    try:
        with LocalNet(home, local_ports(port_base), emit=typer.echo) as net:
            net.start()
            outcome = run_demo(net, emit=typer.echo)
            if keep and outcome.get("success"):
                typer.echo(f"running; try: curl {net.services[1].url}/tools  (Ctrl-C stops)")
                net.watch()
    except PraxisError as exc:
        fail(exc.message)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if not outcome.get("success"):
        raise typer.Exit(1)


@app.command()
def ask(
    request: Annotated[str, typer.Argument(help="What you want, in plain language")],
    url: UrlOpt = "http://127.0.0.1:8000",
    token: TokenOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer")] = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole answer as JSON")
                       ] = False,
) -> None:
    """Ask a running agent in plain language: its plan, live progress, then the answer.

    The agent needs an LLM (the llm section of its config).
    """
    from praxis_sdk.runner.remote import ask_remote

    answer = follow(ask_remote, url, request, token=token, timeout=timeout)
    if as_json:
        echo_json(answer)
    elif answer.get("success"):
        typer.echo(answer.get("content", ""))
    if not answer.get("success"):
        fail(str(answer.get("content") or "the request failed"))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"praxis-agent {__version__} (Python {sys.version.split()[0]})")
