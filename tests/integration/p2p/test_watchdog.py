"""The watchdog: when the node's listener dies, the node restarts on its address and says why.

The test breaks the listener from outside: it takes a duplicate of the node process's
listening socket (pidfd_getfd) and shuts it down, as a failing kernel or a stray
close would.
"""

from __future__ import annotations

import ctypes
import os
import socket
from collections.abc import Callable
from typing import Any

import psutil

from tests.integration.p2p.conftest import Node

SYS_PIDFD_GETFD = 438  # x86-64, arm64 and every other architecture of the unified table


def shut_down_listener(node: Node) -> None:
    port = int(node.multiaddr.split("/tcp/")[1].split("/")[0])
    fd = next(conn.fd for conn in psutil.Process(node.proc.pid).net_connections("tcp")
              if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port)
    pidfd = os.pidfd_open(node.proc.pid)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        mine = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
        assert mine >= 0, os.strerror(ctypes.get_errno())
    finally:
        os.close(pidfd)
    with socket.socket(fileno=mine) as stolen:
        stolen.shutdown(socket.SHUT_RDWR)


def test_a_dead_listener_is_restarted_and_health_says_why(
        nodes: Callable[..., Node], wait_for: Callable[..., Any]) -> None:
    node = nodes("agent-a", ping_interval=0.5, connection_timeout=2.0)
    good = nodes("agent-b", connection_timeout=2.0)
    assert good.connect(node.multiaddr) == node.peer_id
    address = node.multiaddr
    shut_down_listener(node)

    health = wait_for(lambda: (h := node.get("/health"))["restarts"] == 1
                      and h["status"] == "healthy" and h, 15, "the watchdog to restart P2P")
    assert health["last_restart_reason"], health
    assert health["addresses"][0] == address  # same port: peers' addresses still work
    wait_for(lambda: "P2P node restarted" in node.log(), 5, "the restart to be logged")
    assert "stopped on its own" in node.log()
    assert node.metric("praxis_p2p_node_restarts_total") == 1

    wait_for(lambda: good.post("/p2p/connect", {"target": address}).get("peer_id"), 10,
             "the good peer to reconnect")
    assert good.call(node.peer_id, "echo", text="back")["ok"]
