"""Which Host names an HTTP endpoint trusts (the DNS-rebinding check); standard library only,
so the standalone MCP filesystem server can use it without the agent's dependencies."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def trusted_hosts(bind: str, configured: list[str] | None) -> list[str]:
    """The Host names an MCP endpoint on `bind` accepts (DNS-rebinding check).

    Configured names win; unset means the loopback names on a loopback bind, else any
    (`*`), since the names a public address is reached by are not known here.
    """
    if configured is not None:
        return configured
    return list(LOOPBACK_NAMES) if is_loopback(bind) else ["*"]
