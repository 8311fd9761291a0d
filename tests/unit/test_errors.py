"""What a user reads when something outside fails: never an empty reason."""

from __future__ import annotations

import httpx
import pytest

from praxis_sdk.errors import Unavailable, describe
from praxis_sdk.p2p.discovery import resolve_url
from tests.support.agents import free_port


def test_describe_uses_the_text_or_else_the_type() -> None:
    assert describe(httpx.ConnectError("")) == "ConnectError"
    assert describe(TimeoutError()) == "TimeoutError"
    assert describe(OSError("disk full")) == "disk full"
    group = ExceptionGroup("1 error", [ExceptionGroup("inner", [ValueError("bad frame")])])
    assert describe(group) == "bad frame"


async def test_bootstrap_url_that_cannot_be_read_says_why() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with httpx.AsyncClient() as client:
        with pytest.raises(Unavailable) as info:
            await resolve_url(url, client, 2.0)
    prefix = f"cannot read {url}/p2p/info: "
    assert info.value.message.startswith(prefix)
    assert info.value.message.removeprefix(prefix).strip(), info.value.message
