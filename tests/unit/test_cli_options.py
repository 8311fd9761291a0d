"""`praxis-agent run`'s fast path (cli.py, no typer) knows exactly typer's `run` options."""

from __future__ import annotations

from pathlib import Path

import typer.main

from praxis_sdk import cli
from praxis_sdk.commands import app


def test_the_fast_path_knows_every_run_option_typer_declares() -> None:
    run = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    valued = {opt: param.name for param in run.params if not param.is_flag
              for opt in param.opts}
    flags = {opt for param in run.params if param.is_flag for opt in param.opts}
    assert valued == cli.RUN_OPTIONS
    assert flags == {"--strict"}
    assert set(cli.NUMBERS) == {p.name for p in run.params if p.name.endswith("port")}


def test_plain_options_are_converted_as_typer_would() -> None:
    assert cli.run_options(["run", "-c", "a.yaml", "--port=8001", "--strict"]) == {
        "config": Path("a.yaml"), "port": 8001, "strict": True}
    for odd in (["run", "--port", "x"], ["run", "--port", "1", "--port", "2"],
                ["run", "--help"], ["run", "-c"], ["validate-config"]):
        assert cli.run_options(odd) is None, odd  # typer answers these, as it always did
