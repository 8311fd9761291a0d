"""How component reports add up to the node's status (what /health answers)."""

from __future__ import annotations

import pytest

from praxis_sdk.health import overall

CRITICAL = {"store", "http"}


@pytest.mark.parametrize(("parts", "expected"), [
    ({"store": "healthy", "http": "healthy", "p2p": "healthy"}, "healthy"),
    ({"store": "healthy", "http": "healthy", "p2p": "disabled"}, "healthy"),
    ({"store": "healthy", "http": "healthy", "p2p": "starting"}, "degraded"),
    ({"store": "healthy", "http": "healthy", "mcp": "degraded"}, "degraded"),
    ({"store": "healthy", "http": "healthy", "p2p": "unhealthy"}, "degraded"),
    ({"store": "unhealthy", "http": "healthy", "p2p": "healthy"}, "unhealthy"),
    ({"store": "healthy", "http": "unhealthy"}, "unhealthy"),
])
def test_overall(parts: dict[str, str], expected: str) -> None:
    assert overall({name: {"status": s} for name, s in parts.items()}, CRITICAL) == expected
