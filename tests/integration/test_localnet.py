"""`praxis-agent up` and `praxis-agent demo` as a user runs them: real processes, real ports."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from praxis_sdk.localnet import Ports
from tests.support.localnet import free_base
from tests.support.waiting import wait_until

CLI = [sys.executable, "-m", "praxis_sdk"]


def urls(base: int) -> list[str]:
    ports = Ports.from_base(base)
    return [f"http://127.0.0.1:{p}" for p in (ports.mcp, ports.http1, ports.http2)]


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_demo_runs_the_workflow_across_the_network_and_stops_it(tmp_path: Path) -> None:
    base = free_base()
    done = subprocess.run([*CLI, "demo", "--port-base", str(base), "--dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=240, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for line in ("healthy  mcp-filesystem", "healthy  praxis-agent-1", "healthy  praxis-agent-2",
                 "agent 2 sees 1 peer(s): praxis-agent-1 (connected)"):
        assert line in out
    assert "s1 write_file     completed  on mcp-filesystem via mcp" in out
    assert "s2 word_counter   completed  on praxis-agent-1 via sandbox" in out
    assert "s3 text_analyzer  completed  on praxis-agent-2 via sandbox" in out
    assert '"reading_seconds": {"expression": "32 * 60 / 200", "result": 9.6}' in out
    assert "workflow completed" in out and "Traceback" not in out + done.stderr
    assert (tmp_path / "shared" / "notes.txt").read_text().startswith("Praxis agents share")
    assert not any(answers(url) for url in urls(base)), "a service outlived the demo"


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_up_reports_progress_until_healthy_and_stops_all_on_signal(
        tmp_path: Path, stop_signal: signal.Signals) -> None:
    base = free_base()
    proc = subprocess.Popen([*CLI, "up", "--port-base", str(base), "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("all healthy in"):
                break
        assert lines and lines[-1].startswith("all healthy in"), "".join(lines)
        assert [line.split()[1] for line in lines if line.startswith("starting")] == [
            "mcp-filesystem", "praxis-agent-1", "praxis-agent-2"]
        assert all(answers(url) for url in urls(base))
        wait_until(lambda: [(p["name"], p["state"]) for p in httpx.get(
            f"{urls(base)[2]}/peers", timeout=2).json()] == [("praxis-agent-1", "connected")],
            what="agent 2 linked to agent 1", timeout=30)
        proc.send_signal(stop_signal)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(lines) + rest
    assert f"stopped; logs are under {tmp_path}" in rest
    assert not any(answers(url) for url in urls(base))


def test_up_names_the_service_that_cannot_start(tmp_path: Path) -> None:
    base = free_base()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", base))  # agent 1's HTTP port
        taken.listen()
        done = subprocess.run([*CLI, "up", "--port-base", str(base), "--dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("error: praxis-agent-1 stopped (exit code"), done.stderr
    assert not any(answers(url) for url in urls(base)[::2])


@pytest.mark.parametrize(("command", "base", "clash"), [
    ("demo", 9000, "puts the MCP server's port on 4002, which is agent 2's libp2p port"),
    ("up", 7999, "puts agent 2's HTTP port on 8000, which is agent 1's HTTP port"),
    ("up", 5000, "puts the MCP server's port on 2, outside 1024-65535"),
])
def test_a_port_base_clashing_with_the_defaults_is_refused(
        tmp_path: Path, command: str, base: int, clash: str) -> None:
    home = tmp_path / "net"
    done = subprocess.run([*CLI, command, "--port-base", str(base), "--dir", str(home)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: --port-base {base} {clash}"), done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert not home.exists()
