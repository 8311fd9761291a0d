"""The SDK side: an Agent in this process with a Python tool, driven through Client."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from praxis_sdk import Agent, Client, PraxisError, load_config


def config(tmp_path: Path):  # noqa: ANN201
    return load_config(
        None, name="sdk-agent", port=0, host="127.0.0.1",
        agent={"shared_dir": str(tmp_path / "shared"), "tools_dir": None},
        storage={"data_dir": str(tmp_path / "data")},
        p2p={"enabled": False},
    )


async def test_python_tools_run_through_the_http_api(tmp_path: Path) -> None:
    agent = Agent(config(tmp_path))

    @agent.tool
    def shout(text: str, times: int = 1) -> dict:
        """Upper-cases text.

        Args:
            text: What to shout.
            times: How often.
        """
        return {"shout": " ".join([text.upper()] * times)}

    @agent.tool(name="nap", expose=False)
    async def slow(seconds: float) -> str:
        """Sleeps a while."""
        await asyncio.sleep(seconds)
        return "rested"

    async with agent, Client(agent.url) as client:
        tools = {t["name"]: t for t in await client.tools()}
        assert tools["shout"]["input_schema"]["properties"]["text"]["description"] == \
            "What to shout."
        assert tools["nap"]["expose"] is False
        result = await client.invoke("shout", {"text": "hi", "times": 2})
        assert result.ok and result.structured == {"shout": "HI HI"}
        assert result.engine == "python"
        late = await client.invoke("nap", {"seconds": 5}, timeout_s=0.2)
        assert late.ok is False and late.error.code == "timeout"
        with pytest.raises(PraxisError, match="times"):
            await client.invoke("shout", {"text": "hi", "times": "twice"})
        assert (await client.health())["status"] == "healthy"
    assert agent.started_at is None
