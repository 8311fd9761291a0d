"""Fixtures: MCP filesystem server processes, stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.mcp_agents.helpers import FsServer


@pytest.fixture
def fs_server(tmp_path: Path) -> Iterator[Callable[[str], FsServer]]:
    """`fs_server("name")` starts `praxis-mcp-filesystem` serving `tmp_path/name`."""
    started: list[FsServer] = []

    def start(name: str = "fsroot") -> FsServer:
        server = FsServer(tmp_path / name).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
