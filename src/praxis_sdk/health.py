"""Component health and how it adds up to the node's status."""

from __future__ import annotations

from typing import Any, Literal, Protocol

Status = Literal["healthy", "degraded", "unhealthy"]
_RANK = {"healthy": 0, "disabled": 0, "degraded": 1, "unhealthy": 2}


class Component(Protocol):
    """A part of the node with a lifecycle: started in order, stopped in reverse."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def health(self) -> dict[str, Any]:
        """`{"status": healthy|degraded|unhealthy, ...details}`."""
        ...


def overall(components: dict[str, dict[str, Any]], critical: set[str]) -> Status:
    """Unhealthy if a critical part is; degraded if any part is not healthy."""
    worst: Status = "healthy"
    for name, report in components.items():
        status = report.get("status", "unhealthy")
        if status == "unhealthy" and name in critical:
            return "unhealthy"
        if _RANK.get(status, 2) > _RANK[worst]:
            worst = "degraded"
    return worst
