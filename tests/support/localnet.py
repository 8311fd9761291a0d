"""Ports for `praxis-agent up`/`demo` in tests and benches."""

from __future__ import annotations

import random
import socket

from praxis_sdk.localnet import Ports


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base() -> int:
    """A `--port-base` whose five derived ports are all free right now."""
    while True:
        base = random.randrange(20000, 40000)
        if all(port_free(p) for p in vars(Ports.from_base(base)).values()):
            return base
