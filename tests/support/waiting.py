"""Polling with a deadline: the one way tests wait for something to become true."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(check: Callable[[], Any], timeout: float = 20, what: str = "condition",
               interval: float = 0.05) -> Any:
    """Call `check` until it returns something truthy and return that; after `timeout`
    seconds fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
