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


async def test_the_invoke_lane_and_the_documented_route_answer_alike(tmp_path: Path) -> None:
    import httpx

    agent = Agent(config(tmp_path), serve_http=False)

    @agent.tool
    def shout(text: str) -> str:
        """Upper-cases text."""
        return text.upper()

    calls = [("/tools/shout/invoke", {"arguments": {"text": "hi"}}),
             ("/tools/shout/invoke", {"arguments": {"text": 3}}),
             ("/tools/shou/invoke", {"arguments": {}}),
             ("/tools/shout/invoke", {"timeout_s": 0})]
    answers: dict[str, list[tuple[int, dict]]] = {}
    async with agent:
        lane = agent.app.lane
        for way in ("lane", "route"):
            agent.app.lane = lane if way == "lane" else None  # None: FastAPI's own route
            transport = httpx.ASGITransport(agent.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
                replies = [await client.post(path, json=body) for path, body in calls]
            answers[way] = [(r.status_code, r.json()) for r in replies]
    for reply in (*answers["lane"], *answers["route"]):
        reply[1].pop("duration_ms", None)
    assert [status for status, _ in answers["lane"]] == [200, 400, 404, 400]
    assert answers["lane"] == answers["route"]
    assert answers["lane"][0][1]["content"] == [{"type": "text", "text": "HI"}]
    assert "timeout_s: Input should be greater than 0" in \
        answers["lane"][3][1]["error"]["message"]
