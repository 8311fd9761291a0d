"""Private network namespaces for LAN tests (mDNS): a hub with a bridge, one veth per node.

Only namespaces this module creates are touched (names start with a random prefix);
addresses come from 10.77.0.0/24; `lan()` always removes everything it made.
Needs root (`ip netns`).
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SUBNET = "10.77.0"


def ip(*args: str) -> None:
    """Run one `ip` command; a failure names the command and its stderr."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=15)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")


@dataclass
class Lan:
    """A bridge in a hub namespace and the node namespaces plugged into it."""

    prefix: str
    hub: str
    nodes: dict[str, str] = field(default_factory=dict)  # namespace -> IPv4 address

    def exec_argv(self, namespace: str, argv: list[str]) -> list[str]:
        """The argv that runs `argv` inside `namespace`."""
        return ["ip", "netns", "exec", namespace, *argv]


def _add_node(lan: Lan, index: int) -> str:
    namespace = f"{lan.prefix}n{index}"
    address = f"{SUBNET}.{10 + index}"
    ip("netns", "add", namespace)
    lan.nodes[namespace] = address
    outer = f"{lan.prefix}v{index}"
    ip("link", "add", "eth0", "netns", namespace, "type", "veth",
       "peer", "name", outer, "netns", lan.hub)
    ip("-n", lan.hub, "link", "set", outer, "master", "br0")
    ip("-n", lan.hub, "link", "set", outer, "up")
    ip("-n", namespace, "link", "set", "lo", "up")
    ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
    ip("-n", namespace, "link", "set", "eth0", "up")
    ip("-n", namespace, "route", "add", "default", "dev", "eth0")
    return namespace


@contextmanager
def lan(count: int = 2) -> Iterator[Lan]:
    """`count` namespaces joined by a bridge; removed on exit whatever happened."""
    prefix = f"prx{secrets.token_hex(3)}"
    net = Lan(prefix=prefix, hub=f"{prefix}hub")
    try:
        ip("netns", "add", net.hub)
        ip("-n", net.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", net.hub, "link", "set", "br0", "up")
        for index in range(1, count + 1):
            _add_node(net, index)
        yield net
    finally:
        for namespace in [*net.nodes, net.hub]:
            subprocess.run(["ip", "netns", "delete", namespace], capture_output=True, timeout=15)
