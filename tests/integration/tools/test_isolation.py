"""Isolation proofs, the same on the sandbox and on Docker: network, files, environment,
timeouts (children included), output flood, and files written under /shared."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import anyio
import pytest

from praxis_sdk.config import ExecutionConfig
from praxis_sdk.tools.contract import ToolContract, parse_contract
from praxis_sdk.tools.engines import Engine, SandboxEngine

PROBE = '''
import json, os, socket, subprocess, sys, time
mode = os.environ["MODE"]
if mode == "connect":
    try:
        socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=2).close()
        print(json.dumps({"connected": True}))
    except OSError as exc:
        print(json.dumps({"connected": False, "error": type(exc).__name__}))
elif mode == "read":
    try:
        print(json.dumps({"read": open(os.environ["TARGET"]).read()}))
    except OSError as exc:
        print(json.dumps({"read": None, "error": type(exc).__name__}))
elif mode == "env":
    print(json.dumps(sorted(os.environ)))
elif mode == "hang":
    child = ("import time\\nwhile True:\\n    open('/shared/alive', 'a').write('.')\\n"
             "    time.sleep(0.05)")
    subprocess.Popen([sys.executable, "-c", child])
    while True:
        time.sleep(1)
elif mode == "flood":
    while True:
        sys.stdout.write("x" * 65536)
elif mode == "write":
    with open("/shared/out/result.txt", "w") as handle:
        handle.write("persisted")
    print(json.dumps({"written": True}))
'''


def probe(workspace: Path, **spec) -> ToolContract:
    (workspace / "tools" / "probe").mkdir(exist_ok=True)
    (workspace / "tools" / "probe" / "main.py").write_text(PROBE)
    engine_spec = {
        "image": "python:3.11-slim",
        "command": ["python", "/tools/probe/main.py"],
        "mounts": {"./shared": "/shared", "./tools": "/tools"},
        "working_dir": "/shared",
        **spec,
    }
    return parse_contract({"name": "probe", "engine": "docker", "engineSpec": engine_spec},
                          "test")


async def test_no_socket_to_loopback_without_network(engine: Engine, workspace: Path) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await engine.run(probe(workspace), {"mode": "connect", "port": port},
                                  timeout=30)
    assert result.ok, result.error
    assert result.structured["connected"] is False


async def test_sandbox_with_network_reaches_loopback(workspace: Path) -> None:
    """The control for the proof above: the same probe connects when network is asked for."""
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = SandboxEngine(ExecutionConfig(), workspace)
    async with server:
        result = await engine.run(probe(workspace, network="host"),
                                  {"mode": "connect", "port": port}, timeout=30)
    assert result.structured == {"connected": True}


async def test_cannot_read_host_file_outside_mounts(engine: Engine, workspace: Path) -> None:
    secret = workspace.parent / "secret.txt"
    secret.write_text("top secret")
    secret.chmod(0o644)
    inside = workspace / "shared" / "visible.txt"
    inside.write_text("shared data")
    for target, expected in ((str(secret), None), ("/shared/visible.txt", "shared data")):
        result = await engine.run(probe(workspace), {"mode": "read", "target": target},
                                  timeout=30)
        assert result.ok, result.error
        assert result.structured["read"] == expected


async def test_environment_holds_only_what_the_contract_names(
    engine: Engine, workspace: Path
) -> None:
    os.environ["PRAXIS_TEST_HOST_SECRET"] = "do-not-leak"
    os.environ["PRAXIS_TEST_PASSED"] = "named"
    try:
        contract = probe(workspace, env={"FROM_CONTRACT": "1"},
                         env_passthrough=["PRAXIS_TEST_PASSED"])
        result = await engine.run(contract, {"mode": "env", "file_path": "a"}, timeout=30)
    finally:
        del os.environ["PRAXIS_TEST_HOST_SECRET"], os.environ["PRAXIS_TEST_PASSED"]
    names = set(result.structured)
    assert {"mode", "MODE", "file_path", "FILE_PATH", "PRAXIS_ARGS", "FROM_CONTRACT",
            "PRAXIS_TEST_PASSED"} <= names
    assert "PRAXIS_TEST_HOST_SECRET" not in names
    host_only = {n for n in os.environ if n not in ("PATH", "HOME", "LANG", "HOSTNAME", "PWD")}
    assert names & host_only == set()


async def test_timeout_kills_tool_and_children(engine: Engine, workspace: Path) -> None:
    alive = workspace / "shared" / "alive"
    started = time.perf_counter()
    result = await engine.run(probe(workspace), {"mode": "hang"}, timeout=3)
    assert time.perf_counter() - started < 8
    assert not result.ok and result.error.code == "timeout"
    assert "timed out after 3s" in result.error.message
    assert alive.exists(), "the child never ran"
    size = alive.stat().st_size
    await anyio.sleep(0.5)
    assert alive.stat().st_size == size, "a child of the tool outlived the timeout"


async def test_stdout_flood_is_cut_and_said(engine: Engine, workspace: Path) -> None:
    started = time.perf_counter()
    result = await engine.run(probe(workspace), {"mode": "flood"}, timeout=30)
    assert time.perf_counter() - started < 15
    assert not result.ok and result.error.code == "too_large"
    assert len(result.content[0].text) == 100_000
    assert "output was cut at 100000 bytes" in result.content[-1].text


async def test_output_file_under_shared_persists(engine: Engine, workspace: Path) -> None:
    (workspace / "shared" / "out").mkdir()
    (workspace / "shared" / "out").chmod(0o777)
    result = await engine.run(probe(workspace), {"mode": "write"}, timeout=30)
    assert result.ok, result.error
    assert (workspace / "shared" / "out" / "result.txt").read_text() == "persisted"


@pytest.mark.parametrize("memory", ["64m"])
async def test_memory_limit_stops_a_hungry_tool(
    engine: Engine, workspace: Path, memory: str
) -> None:
    script = workspace / "tools" / "hungry.py"
    script.write_text("data = bytearray(512 * 1024 * 1024)\nprint(len(data))\n")
    contract = probe(workspace, memory=memory, command=["python", "/tools/hungry.py"])
    result = await engine.run(contract, {}, timeout=30)
    assert not result.ok
    assert result.error.code == "tool_failed"
